"""sBG retention per cohort (channel, affiliate, plan...), small cohorts borrowing from parents.

Accounts acquired on different dates are right-censored at the as-of date, so each cohort is
fitted with the right-censored sBG likelihood (`fit_sbg_censored`). The cohorts form a tree
given by `levels` (say channel, then affiliate): the root holds every account of one billing
interval (monthly and annual plans renew on different clocks and are never mixed in a fit).
Each child is fitted with its parent's curve as a prior worth `prior_weight` accounts, which
is empirical-Bayes-like shrinkage: a cohort of n accounts moves from its parent toward its own
curve as n grows past `prior_weight`. Below `min_accounts`, or when its own data cannot be
fitted, a cohort simply uses its parent's fit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.models.clv.sbg import (
    SbgFit,
    SurvivalCounts,
    fit_sbg_censored,
    log_parameter_covariance,
    survival_counts,
)

FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]

OWN, POOLED, PARENT = "own", "pooled", "parent"


@dataclass(frozen=True, eq=False)
class CohortFit:
    """One cohort's retention curve and where it came from.

    `key` lists the cohort's values level by level (() is the root); `source` is "own" for
    the root, "pooled" when fitted on its own accounts with the parent as prior, "parent" when
    too small (or unfittable) and using the parent's curve; `log_cov` is the covariance of
    (log alpha, log beta) for parameter uncertainty (NaN when it cannot be estimated).
    """

    key: tuple[str, ...]
    fit: SbgFit
    accounts: int
    source: str
    log_cov: FloatArray

    def label(self, names: Sequence[str]) -> str:
        """Readable name, e.g. "channel=affiliate/affiliate_id=aff_00012" ("all" at the root)."""
        parts = [f"{n}={v}" for n, v in zip(names, self.key, strict=False)]
        return "/".join(parts) if parts else "all"


@dataclass(frozen=True)
class CohortTree:
    """Fitted cohorts and, for every account, the deepest cohort it belongs to."""

    names: tuple[str, ...]
    fits: dict[tuple[str, ...], CohortFit]
    account_key: list[tuple[str, ...]]

    def of_account(self, i: int) -> CohortFit:
        return self.fits[self.account_key[i]]

    def members(self) -> dict[tuple[str, ...], npt.NDArray[np.intp]]:
        """Positions of the accounts of each deepest cohort, for vectorised valuation."""
        positions: dict[tuple[str, ...], list[int]] = {}
        for i, key in enumerate(self.account_key):
            positions.setdefault(key, []).append(i)
        return {key: np.asarray(rows, dtype=np.intp) for key, rows in positions.items()}


def fit_cohort_tree(
    duration_days: npt.ArrayLike,
    churned: npt.ArrayLike,
    levels: Sequence[tuple[str, npt.ArrayLike]],
    *,
    period_days: float,
    slack_days: float = 0.0,
    min_accounts: int = 30,
    prior_weight: float = 100.0,
    relative_risk: Mapping[tuple[str, ...], float] | None = None,
) -> CohortTree:
    """Fit the root and every cohort of `levels` (name, per-account value) top-down.

    An empty value ("") at a level means the account has no such cohort (e.g. no affiliate):
    it stays in its parent's cohort and the deeper levels are skipped for it.
    `relative_risk` maps a cohort key to its hazard ratio to its parent, learnt elsewhere
    (see the module docstring); a cohort it names borrows its parent's curve tilted by it.
    """
    ratios = relative_risk or {}
    days = np.asarray(duration_days, dtype=np.float64)
    gone = np.asarray(churned, dtype=bool)
    values = [np.asarray(v, dtype=str) for _, v in levels]
    names = tuple(name for name, _ in levels)
    n = days.size
    if n == 0:
        raise ValueError("no accounts to fit retention on")

    def counts_of(members: npt.NDArray[np.intp]) -> SurvivalCounts:
        return survival_counts(days[members], gone[members], period_days=period_days,
                               slack_days=slack_days)

    everyone = np.arange(n)
    root_counts = counts_of(everyone)
    root = fit_sbg_censored(root_counts)
    fits: dict[tuple[str, ...], CohortFit] = {
        (): CohortFit((), root, n, OWN, log_parameter_covariance(root, root_counts))}
    account_key: list[tuple[str, ...]] = [()] * n
    frontier: list[tuple[tuple[str, ...], npt.NDArray[np.intp]]] = [((), everyone)]
    for depth in range(len(levels)):
        next_frontier = []
        for key, members in frontier:
            parent = fits[key]
            column = values[depth][members]
            groups, inverse = np.unique(column, return_inverse=True)
            for g, value in enumerate(groups):
                if value == "":
                    continue
                child = members[inverse == g]
                child_key = (*key, str(value))
                prior = parent
                if child_key in ratios:
                    prior = CohortFit(key, tilted(parent.fit, ratios[child_key]),
                                      parent.accounts, parent.source, parent.log_cov)
                fits[child_key] = _child_fit(child_key, counts_of(child), prior,
                                             child.size, min_accounts, prior_weight)
                for i in child:
                    account_key[i] = child_key
                next_frontier.append((child_key, child))
        frontier = next_frontier
    return CohortTree(names, fits, account_key)


def _child_fit(key: tuple[str, ...], counts: SurvivalCounts, parent: CohortFit, size: int,
               min_accounts: int, prior_weight: float) -> CohortFit:
    if size < min_accounts:
        return CohortFit(key, parent.fit, size, PARENT, parent.log_cov)
    try:
        fit = fit_sbg_censored(counts, prior=parent.fit, prior_weight=prior_weight)
    except ValueError:
        return CohortFit(key, parent.fit, size, PARENT, parent.log_cov)
    cov = log_parameter_covariance(fit, counts, prior=parent.fit, prior_weight=prior_weight)
    return CohortFit(key, fit, size, POOLED, cov)


def tilted(fit: SbgFit, ratio: float) -> SbgFit:
    """`fit` with churn scaled by a hazard ratio: first-period survival S(1) ** ratio.

    alpha (how unequal the customers are) is kept and beta moved so that
    beta / (alpha + beta) = S(1) ** ratio; a ratio of 1 returns `fit` itself.
    """
    if ratio == 1.0 or not math.isfinite(ratio) or ratio <= 0:
        return fit
    kept = float(fit.survival(1)) ** ratio
    kept = min(max(kept, 1e-9), 1.0 - 1e-9)
    beta = fit.alpha * kept / (1.0 - kept)
    return SbgFit(fit.alpha, beta, fit.log_likelihood, fit.periods, fit.period_days,
                  fit.n_customers)


def relative_risks(tree: CohortTree, horizon_days: float, *, low: float = 0.2,
                   high: float = 5.0) -> dict[tuple[str, ...], float]:
    """Each cohort's hazard ratio to its parent over `horizon_days`: log S / log S_parent.

    Read off the fitted (already pooled) curves, so a small cohort's ratio is shrunk toward
    1 with its curve; clipped to [low, high] so one odd cohort cannot run away.
    """
    periods = max(round(horizon_days / next(iter(tree.fits.values())).fit.period_days), 1)
    out: dict[tuple[str, ...], float] = {}
    for key, cohort in tree.fits.items():
        if not key:
            continue
        own = float(cohort.fit.survival(periods))
        parent = float(tree.fits[key[:-1]].fit.survival(periods))
        if not (0.0 < own < 1.0 and 0.0 < parent < 1.0):
            continue
        out[key] = min(max(math.log(own) / math.log(parent), low), high)
    return out
