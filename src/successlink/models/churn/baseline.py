"""The transparent baseline: an L2-regularised logistic regression on standardised features.

It answers "is the booster worth its opacity?". Every coefficient reads directly: the change
in log-odds of churn per standard deviation of the (log-compressed) feature. Counts and
money are heavy-tailed, so numbers pass through sign(x) log(1 + |x|) first; an unknown
value becomes the training median plus a 0/1 "unknown" column, and each category its own
0/1 column. Everything fitted is kept as plain numbers (no pickles).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from successlink.models.churn.features import FeatureSpec

Floats = npt.NDArray[np.float64]
# A few dozen coefficients are pinned down long before a million rows; past this many the
# baseline learns on a fixed random sample (seeded, so it stays reproducible).
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Baseline:
    """Fitted design (medians, which columns get an unknown flag, scaling) and coefficients."""

    medians: tuple[float, ...]
    flagged: tuple[int, ...]
    n_numeric: int
    levels: tuple[int, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def predict(self, x: Floats) -> Floats:
        z = _standardise(self._design(x), self.means, self.scales) @ np.asarray(self.coef)
        out: Floats = 1.0 / (1.0 + np.exp(-(z + self.intercept)))
        return out

    def _design(self, x: Floats) -> Floats:
        return _design(x, self.n_numeric, np.asarray(self.medians), self.flagged, self.levels)

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Baseline:
        return cls(tuple(data["medians"]), tuple(data["flagged"]), int(data["n_numeric"]),
                   tuple(data["levels"]), tuple(data["means"]), tuple(data["scales"]),
                   tuple(data["coef"]), float(data["intercept"]))


def _compress(x: Floats) -> Floats:
    out: Floats = np.sign(x) * np.log1p(np.abs(x))
    return out


def _design(x: Floats, n_numeric: int, medians: Floats, flagged: tuple[int, ...],
            levels: tuple[int, ...]) -> Floats:
    numeric = _compress(x[:, :n_numeric])
    unknown = np.isnan(numeric)
    filled = np.where(unknown, medians[np.newaxis, :], numeric)
    parts = [filled, unknown[:, list(flagged)].astype(np.float64)]
    for j, count in enumerate(levels):
        codes = x[:, n_numeric + j]
        parts.append((codes[:, np.newaxis] == np.arange(count)[np.newaxis, :]).astype(float))
    return np.hstack(parts)


def _standardise(design: Floats, means: tuple[float, ...], scales: tuple[float, ...]) -> Floats:
    out: Floats = (design - np.asarray(means)) / np.asarray(scales)
    return out


def fit_baseline(x: Floats, y: npt.ArrayLike, spec: FeatureSpec, *, c: float = 0.1,
                 seed: int = 7) -> Baseline:
    """Fit on a feature matrix built by `spec` (C is the inverse L2 strength)."""
    yy = np.asarray(y)
    if len(x) > MAX_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(x), MAX_ROWS, replace=False))
        x, yy = x[keep], yy[keep]
    n_numeric = len(spec.numeric)
    numeric = _compress(x[:, :n_numeric])
    with np.errstate(all="ignore"):
        medians = np.nanmedian(numeric, axis=0) if numeric.size else np.zeros(n_numeric)
    medians = np.where(np.isnan(medians), 0.0, medians)
    flagged = tuple(int(j) for j in np.flatnonzero(np.isnan(numeric).any(axis=0)))
    levels = tuple(len(v) for v in spec.categories.values())
    design = _design(x, n_numeric, medians, flagged, levels)
    means = design.mean(axis=0)
    scales = design.std(axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=2000)
    model.fit((design - means) / scales, yy)
    return Baseline(tuple(float(v) for v in medians), flagged, n_numeric, levels,
                    tuple(float(v) for v in means), tuple(float(v) for v in scales),
                    tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0]))
