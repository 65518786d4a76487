"""Churn and expansion rate by decile of one metric, each rate with its Wilson interval.

Deciles are cut at quantiles of the distinct values, so tied values always share a bin: a
metric that is zero for 60% of accounts gets one "0" bin holding all of them, not six bins
that split identical accounts at random and show differences that are pure noise. Missing
values ("not measured") get a bin of their own, because not answering a survey is itself
a behaviour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from successlink.stats.proportions import wilson_intervals

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Rate:
    """A share with its interval."""

    events: int
    accounts: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True)
class Bin:
    """Accounts whose metric lies in [low, high] (both None for the missing-value bin)."""

    low: float | None
    high: float | None
    churn: Rate
    expansion: Rate

    @property
    def accounts(self) -> int:
        return self.churn.accounts

    @property
    def label(self) -> str:
        if self.low is None or self.high is None:
            return "not measured"
        if self.low == self.high:
            return _number(self.low)
        return f"{_number(self.low)} to {_number(self.high)}"


@dataclass(frozen=True)
class MetricDeciles:
    """One metric's bins, and how strongly it moves with churn."""

    metric: str
    bins: tuple[Bin, ...]
    missing: Bin | None
    # Spearman correlation of the metric with churning, over measured accounts (NaN when
    # the metric or the outcome does not vary).
    churn_correlation: float
    measured: int

    @property
    def churn_spread(self) -> float:
        """Churn rate of the worst bin minus that of the best (0 with fewer than 2 bins)."""
        rates = [b.churn.rate for b in self.bins if b.accounts > 0]
        return max(rates) - min(rates) if len(rates) > 1 else 0.0


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def rates(events: npt.ArrayLike, accounts: npt.ArrayLike, *, confidence: float = 0.95
          ) -> list[Rate]:
    """Rates with Wilson intervals, element-wise."""
    e = np.asarray(events, dtype=np.int64)
    n = np.asarray(accounts, dtype=np.int64)
    low, high = wilson_intervals(e, n, confidence=confidence)
    share = np.divide(e, n, out=np.full(e.shape, math.nan), where=n > 0)
    return [Rate(int(a), int(b), float(c), float(d), float(f))
            for a, b, c, d, f in zip(e, n, share, low, high, strict=True)]


def bin_starts(values: Floats, bins: int) -> Floats:
    """Ascending, distinct lower bounds: bin i holds starts[i] <= v < starts[i+1] (the last
    bin everything from its start up). Decile j starts at the value ranked j*n/bins, so
    each bin holds about a tenth of the accounts unless ties make it hold more."""
    measured = np.sort(values[~np.isnan(values)])
    if measured.size == 0:
        return np.zeros(0)
    ranks = (np.arange(bins) * measured.size) // bins
    return np.unique(measured[ranks])


def assign(values: Floats, starts: Floats) -> Ints:
    """Bin index of each value (-1 for missing)."""
    out = np.full(values.shape, -1, dtype=np.int64)
    if starts.size == 0:
        return out
    measured = ~np.isnan(values)
    out[measured] = np.searchsorted(starts[1:], values[measured], side="right")
    return out


def metric_deciles(metric: str, values: npt.ArrayLike, churned: npt.ArrayLike,
                   expanded: npt.ArrayLike, *, bins: int = 10,
                   confidence: float = 0.95) -> MetricDeciles:
    """Bins of `values` (NaN = missing) with their churn and expansion rates."""
    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(churned, dtype=np.int64)
    x = np.asarray(expanded, dtype=np.int64)
    if not (v.shape == c.shape == x.shape):
        raise ValueError("values, churned and expanded must have one entry per account")
    starts = bin_starts(v, bins)
    which = assign(v, starts)
    count = starts.size
    n = np.bincount(which[which >= 0], minlength=count)
    churn = rates(np.bincount(which[which >= 0], weights=c[which >= 0], minlength=count)
                  .astype(np.int64), n, confidence=confidence)
    grow = rates(np.bincount(which[which >= 0], weights=x[which >= 0], minlength=count)
                 .astype(np.int64), n, confidence=confidence)
    found = []
    for i in range(count):
        members = v[which == i]
        if members.size:
            found.append(Bin(float(members.min()), float(members.max()), churn[i], grow[i]))
    missing_mask = which < 0
    missing = None
    if missing_mask.any():
        m = int(missing_mask.sum())
        missing = Bin(None, None, rates([c[missing_mask].sum()], [m], confidence=confidence)[0],
                      rates([x[missing_mask].sum()], [m], confidence=confidence)[0])
    measured = ~missing_mask
    rho = math.nan
    if measured.sum() > 2 and np.ptp(v[measured]) > 0 and np.ptp(c[measured]) > 0:
        rho = float(stats.spearmanr(v[measured], c[measured]).statistic)
    return MetricDeciles(metric, tuple(found), missing, rho, int(measured.sum()))
