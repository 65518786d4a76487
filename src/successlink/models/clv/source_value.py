"""Expected value per referred account for each source (affiliate, channel), with an interval.

Two uncertainties are combined per replicate: which accounts the source happened to bring
(a bootstrap over its accounts) and what its cohorts' retention parameters are (a draw of
(log alpha, log beta) from each cohort's Laplace approximation; every account's value is
scaled by DERL under the drawn parameters over DERL under the fitted ones). The interval is
the percentile range of the replicate means. Sources above `exact_bootstrap_max` accounts
replace the resampling by its normal limit (mean +- z x standard error), which is what the
bootstrap converges to and avoids a replicates x accounts matrix for a channel of a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.models.clv.account_value import derl_of
from successlink.models.clv.cohort_fits import CohortFit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SourceValues:
    """Per group: mean value per account, interval bounds and the number of accounts."""

    mean: FloatArray
    low: FloatArray
    high: FloatArray
    accounts: IntArray


def parameter_ratios(cohorts: Sequence[CohortFit], max_renewals: int, discount: float,
                     draws: int, rng: np.random.Generator) -> FloatArray:
    """ratio[c, b, m] = DERL(m+1) under draw b of cohort c's parameters / under its fit.

    A cohort with no usable covariance gets ratio 1 (no parameter uncertainty added).
    """
    n = np.arange(max_renewals + 1, dtype=np.float64) + 1.0
    out = np.ones((len(cohorts), draws, n.size))
    for c, cohort in enumerate(cohorts):
        if not np.all(np.isfinite(cohort.log_cov)):
            continue
        centre = np.log([cohort.fit.alpha, cohort.fit.beta])
        # Clipped to the fit's own bounds (|ln| <= 20), as a homogeneous cohort's huge alpha,
        # beta come with a huge variance along the ridge where their ratio is fixed.
        sample = np.exp(np.clip(rng.multivariate_normal(centre, cohort.log_cov, size=draws),
                                -20.0, 20.0))
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            base = derl_of(cohort.fit.alpha, cohort.fit.beta, n, discount)
            drawn = derl_of(sample[:, :1], sample[:, 1:], n[None, :], discount)
            ratio = np.where(base > 0, drawn / base, 1.0)
        out[c] = np.where(np.isfinite(ratio), ratio, 1.0)
    return out


def source_values(
    values: npt.ArrayLike,
    group: npt.ArrayLike,
    n_groups: int,
    cohort: npt.ArrayLike,
    renewals: npt.ArrayLike,
    ratios: FloatArray,
    *,
    level: float = 0.9,
    rng: np.random.Generator,
    exact_bootstrap_max: int = 5000,
) -> SourceValues:
    """Mean value per account of each group and its `level` interval (see the module doc).

    `cohort` indexes the first axis of `ratios` (from `parameter_ratios`), `renewals` its
    last (clipped to it). Groups without accounts get NaN.
    """
    v = np.asarray(values, dtype=np.float64)
    g = np.asarray(group, dtype=np.int64)
    c = np.asarray(cohort, dtype=np.int64)
    m = np.minimum(np.asarray(renewals, dtype=np.int64), ratios.shape[2] - 1)
    draws = ratios.shape[1]
    tail = (1.0 - level) / 2.0
    mean = np.full(n_groups, np.nan)
    low, high = mean.copy(), mean.copy()
    counts = np.bincount(g, minlength=n_groups).astype(np.int64)
    order = np.argsort(g, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    for k in range(n_groups):
        members = order[starts[k]:starts[k + 1]]
        if members.size == 0:
            continue
        own = v[members]
        mean[k] = float(own.mean())
        if members.size <= exact_bootstrap_max:
            scaled = own[None, :] * ratios[c[members], :, m[members]].T  # draws x members
            pick = rng.integers(0, members.size, size=(draws, members.size))
            replicate = np.take_along_axis(scaled, pick, axis=1).mean(axis=1)
        else:
            # Sum values per (cohort, renewals) cell once: draws x cells, not draws x accounts.
            cell = c[members] * ratios.shape[2] + m[members]
            cells, where = np.unique(cell, return_inverse=True)
            sums = np.bincount(where, weights=own)
            cell_ratio = ratios[cells // ratios.shape[2], :, cells % ratios.shape[2]]
            se = own.std(ddof=1) / np.sqrt(members.size)
            replicate = (sums @ cell_ratio) / members.size + rng.standard_normal(draws) * se
        low[k], high[k] = np.quantile(replicate, [tail, 1.0 - tail])
    return SourceValues(mean, low, high, counts)
