"""How good a churn prediction is: ranking (AUC, PR-AUC, lift) and honesty (Brier, ECE).

Definitions (all on predicted probabilities `p` and 0/1 outcomes `y`):

- AUC: the probability that a random churner is ranked above a random stayer, ties
  counting half (the Mann-Whitney statistic on mid-ranks).
- PR-AUC: average precision, sum over thresholds of (recall_k - recall_{k-1}) * precision_k
  with tied scores taken together (the step-wise area, not the trapezoid, which is
  optimistic for precision-recall curves).
- Brier score: mean of (p - y)^2.
- Top-decile lift: the churn rate among the 10% of rows with the highest p (ceil(n/10)
  rows, ties broken by row order), divided by the overall rate.
- Calibration curve and ECE use equal-frequency bins: rows sorted by p are split into
  `bins` groups of (near) equal size, so every bin has enough rows to say something even
  when most predictions are small. ECE = sum over bins of (n_b / n) |mean p_b - mean y_b|.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

Floats = npt.NDArray[np.float64]
BINS = 10


@dataclass(frozen=True)
class CalibrationBin:
    """One equal-frequency bin: its rows, mean prediction and observed churn rate."""

    rows: int
    mean_predicted: float
    observed: float


@dataclass(frozen=True)
class Scores:
    """Every figure for one set of predictions."""

    rows: int
    positives: int
    auc: float
    pr_auc: float
    brier: float
    lift_top_decile: float
    ece: float
    curve: tuple[CalibrationBin, ...]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["curve"] = [asdict(b) for b in self.curve]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scores:
        fields = {k: v for k, v in data.items() if k != "curve"}
        return cls(**fields, curve=tuple(CalibrationBin(**b) for b in data["curve"]))


def _arrays(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[Floats, Floats]:
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    if yy.shape != pp.shape or yy.ndim != 1:
        raise ValueError(f"outcomes {yy.shape} and predictions {pp.shape} must be equal 1-d")
    return yy, pp


def auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Area under the ROC curve (NaN when only one class is present)."""
    yy, pp = _arrays(y, p)
    pos = int(yy.sum())
    neg = yy.size - pos
    if pos == 0 or neg == 0:
        return math.nan
    ranks = rankdata(pp)  # mid-ranks: ties count half
    return float((ranks[yy == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def pr_auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Average precision (NaN without positives)."""
    yy, pp = _arrays(y, p)
    pos = yy.sum()
    if pos == 0:
        return math.nan
    order = np.argsort(-pp, kind="stable")
    ys, ps = yy[order], pp[order]
    tp = np.cumsum(ys)
    # The last row of each run of tied scores: a threshold takes the whole run.
    last = np.r_[ps[1:] != ps[:-1], True]
    tp, seen = tp[last], np.flatnonzero(last) + 1.0
    precision = tp / seen
    recall_step = np.diff(np.r_[0.0, tp]) / pos
    return float(np.sum(recall_step * precision))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared error of the probabilities."""
    yy, pp = _arrays(y, p)
    return float(np.mean((pp - yy) ** 2)) if yy.size else math.nan


def top_decile_lift(y: npt.ArrayLike, p: npt.ArrayLike, share: float = 0.1) -> float:
    """Churn rate in the top `share` by prediction over the overall rate."""
    yy, pp = _arrays(y, p)
    if yy.size == 0 or yy.sum() == 0:
        return math.nan
    top = max(1, math.ceil(share * yy.size))
    order = np.argsort(-pp, kind="stable")[:top]
    return float(yy[order].mean() / yy.mean())


def calibration_curve(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = BINS
                      ) -> tuple[CalibrationBin, ...]:
    """Equal-frequency bins of the rows sorted by prediction (fewer when rows are few)."""
    yy, pp = _arrays(y, p)
    order = np.argsort(pp, kind="stable")
    groups = np.array_split(order, min(bins, yy.size)) if yy.size else []
    return tuple(CalibrationBin(int(g.size), float(pp[g].mean()), float(yy[g].mean()))
                 for g in groups if g.size)


def ece(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = BINS) -> float:
    """Expected calibration error over equal-frequency bins."""
    curve = calibration_curve(y, p, bins)
    n = sum(b.rows for b in curve)
    if n == 0:
        return math.nan
    return float(sum(b.rows / n * abs(b.mean_predicted - b.observed) for b in curve))


def evaluate(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = BINS) -> Scores:
    """Every figure at once."""
    yy, pp = _arrays(y, p)
    return Scores(rows=int(yy.size), positives=int(yy.sum()), auc=auc(yy, pp),
                  pr_auc=pr_auc(yy, pp), brier=brier(yy, pp), lift_top_decile=top_decile_lift(
                      yy, pp), ece=ece(yy, pp, bins), curve=calibration_curve(yy, pp, bins))
