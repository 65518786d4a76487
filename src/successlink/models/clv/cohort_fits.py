"""sBG retention per cohort (channel, affiliate, plan...), small cohorts borrowing from parents.

Accounts acquired on different dates are right-censored at the as-of date, so each cohort is
fitted with the right-censored sBG likelihood (`fit_sbg_censored`). The cohorts form a tree
given by `levels` (say channel, then affiliate): the root holds every account of one billing
interval (monthly and annual plans renew on different clocks and are never mixed in a fit).
Each child is fitted with its parent's curve as a prior worth `prior_weight` accounts, which
is empirical-Bayes-like shrinkage: a cohort of n accounts moves from its parent toward its own
curve as n grows past `prior_weight`. Below `min_accounts`, or when its own data cannot be
fitted, a cohort simply uses its parent's fit. A cohort too young to show its own shape (an
affiliate who joined two months ago) is not fitted on its few renewals, which bend its tail
either way: it takes its siblings' typical curve at the level its early losses and its
accounts' plans make credible (`hazard_credibility`, docs/models/ltv.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from successlink.models.clv.hazard_credibility import (
    MIN_SIBLINGS,
    fit_hazard_credibility,
    observed_expected,
)
from successlink.models.clv.relative_hazard import cumulative_hazard, fit_relative_hazard
from successlink.models.clv.sbg import (
    SbgFit,
    SurvivalCounts,
    fit_sbg_censored,
    log_parameter_covariance,
    survival_counts,
)

FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]
IndexArray = npt.NDArray[np.intp]

DAYS_PER_YEAR = 365.25
# A credibility-weighted hazard ratio stays within this range, like `relative_risks`.
RATIO_RANGE = (0.2, 5.0)

OWN, POOLED, PARENT, TILTED = "own", "pooled", "parent", "tilted"
Child = tuple[tuple[str, ...], npt.NDArray[np.intp], SurvivalCounts, "CohortFit"]


@dataclass(frozen=True, eq=False)
class CohortFit:
    """One cohort's retention curve and where it came from.

    `key` lists the cohort's values level by level (() is the root); `source` is "own" for
    the root, "pooled" when fitted on its own accounts with the parent as prior, "parent" when
    too small (or unfittable) and using the parent's curve, "tilted" when too young to show
    its own shape and using its siblings' typical curve tilted by its credible hazard ratio
    (see `fit_cohort_tree`); `log_cov` is the covariance of
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
    credibility: bool = True,
    features: npt.ArrayLike | None = None,
    age_days: npt.ArrayLike | None = None,
) -> CohortTree:
    """Fit the root and every cohort of `levels` (name, per-account value) top-down.

    An empty value ("") at a level means the account has no such cohort (e.g. no affiliate):
    it stays in its parent's cohort and the deeper levels are skipped for it.
    `relative_risk` maps a cohort key to its hazard ratio to its parent, learnt elsewhere
    (see the module docstring); a cohort it names borrows its parent's curve tilted by it.
    With `credibility`, a child with at least `min_accounts` accounts watched for a year
    (`age_days`: days since each account started, churned or not; without it, days of paid
    life) is fitted as above, and a younger one *settles* on a curve with its siblings'
    typical shape tilted by its credibility-weighted hazard ratio (`_settled`): its own
    losses against the losses that curve predicts at the same renewals and, when `features`
    (one row per account, known from its start, such as plan indicators) are given, how much
    riskier its accounts look than its parent's of the same age (`relative_hazard`).
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
    year = max(round(DAYS_PER_YEAR / period_days), 1)
    # Periods each account was at risk of (lost in, or renewed through), for ages and hazards.
    at_risk = np.where(gone, np.maximum(np.ceil((days - slack_days) / period_days), 1),
                       np.floor((days + slack_days) / period_days)).astype(np.int64)
    signal = _account_signal(features, gone, cumulative_hazard(root, at_risk)) \
        if credibility and features is not None else None
    age = np.minimum(at_risk, year)
    watched = days if age_days is None else np.asarray(age_days, dtype=np.float64)
    if watched.shape != days.shape:
        raise ValueError("age_days needs one entry per account")
    old = watched >= DAYS_PER_YEAR
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
            children: list[Child] = []
            for g, value in enumerate(groups):
                if value == "":
                    continue
                child = members[inverse == g]
                child_key = (*key, str(value))
                prior = parent
                if child_key in ratios:
                    prior = CohortFit(key, tilted(parent.fit, ratios[child_key]),
                                      parent.accounts, parent.source, parent.log_cov)
                children.append((child_key, child, counts_of(child), prior))
            done: dict[tuple[str, ...], CohortFit] = {}
            if credibility:
                # Children old enough to show their own shape are fitted as usual; the
                # others settle on a typical sibling's curve at their credible level.
                done = {k: _child_fit(k, counts, prior, child.size, min_accounts, prior_weight)
                        for k, child, counts, prior in children
                        if _shows_shape(child, old, min_accounts)}
                done.update(_settled(children, done, members, signal, age, year,
                                     min_accounts))
            for child_key, child, counts, prior in children:
                fits[child_key] = done[child_key] if child_key in done else \
                    _child_fit(child_key, counts, prior, child.size, min_accounts, prior_weight)
                for i in child:
                    account_key[i] = child_key
                next_frontier.append((child_key, child))
        frontier = next_frontier
    return CohortTree(names, fits, account_key)


def _account_signal(features: npt.ArrayLike, churned: npt.NDArray[np.bool_],
                    exposure: FloatArray) -> FloatArray | None:
    """Each account's log hazard ratio from its features (None: nothing to learn from)."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    model = fit_relative_hazard(x, churned, exposure)
    return None if model is None else model.log_ratio(x)


def _shows_shape(child: IndexArray, old: npt.NDArray[np.bool_], min_accounts: int) -> bool:
    """Whether a cohort is old enough for its own curve: min_accounts watched for a year."""
    return int(np.sum(old[child])) >= min_accounts


def _typical_alpha(mature: Mapping[tuple[str, ...], CohortFit]) -> float | None:
    """The median heterogeneity (alpha) of the siblings fitted on their own accounts.

    A parent that mixes good and bad children is more heterogeneous than any one of them,
    so a child too young to show its shape takes a typical sibling's instead. None when
    fewer than MIN_SIBLINGS siblings show one.
    """
    alphas = [math.log(c.fit.alpha) for c in mature.values() if c.source == POOLED]
    if len(alphas) < MIN_SIBLINGS:
        return None
    return math.exp(float(np.median(alphas)))


def _settled(children: list[Child], mature: Mapping[tuple[str, ...], CohortFit],
             members: IndexArray, signal: FloatArray | None, age: npt.NDArray[np.int64],
             year: int, min_accounts: int) -> dict[tuple[str, ...], CohortFit]:
    """Curves of the children too young to show their own shape (at least min_accounts).

    Each child's reference is its prior reshaped to the siblings' typical alpha (kept as
    it is when there is none) with the same survival a year on. All siblings' losses are set
    against those their references predict at the same renewals, and their accounts' mean
    signal against the parent's accounts *of the same age* (plans change as accounts grow
    older, so an old book and a young one are not compared as they stand); from these the
    credibility model is fitted (`hazard_credibility`). A young child's curve is then its
    reference tilted by its posterior hazard ratio. It is not fitted again on its own few
    renewals: they are already in its ratio, and on top of it they would bend its tail
    (two periods without a loss read as a curve that never drops).
    """
    if not children:
        return {}
    alpha = _typical_alpha(mature)
    references = [prior.fit if alpha is None else reshaped(prior.fit, alpha, year)
                  for _, _, _, prior in children]
    pairs = [observed_expected(counts, ref) for (_, _, counts, _), ref in
             zip(children, references, strict=True)]
    observed = np.array([o for o, _ in pairs])
    expected = np.array([e for _, e in pairs])
    shift = None
    if signal is not None:
        bucket_sum = np.bincount(age[members], weights=signal[members], minlength=year + 1)
        bucket_n = np.bincount(age[members], minlength=year + 1)
        by_age = bucket_sum / np.maximum(bucket_n, 1)
        shift = np.array([float(np.mean(signal[child] - by_age[age[child]]))
                          for _, child, _, _ in children])
    model = fit_hazard_credibility(observed, expected, shift)
    if model is None:
        return {}
    out = {}
    for i, (key, child, _, _) in enumerate(children):
        if key in mature or child.size < min_accounts:
            continue
        s = 0.0 if shift is None else float(shift[i])
        ratio = min(max(model.ratio(observed[i], expected[i], s), RATIO_RANGE[0]),
                    RATIO_RANGE[1])
        fit = tilted(references[i], ratio, periods=year)
        out[key] = CohortFit(key, fit, child.size, TILTED,
                             _tilt_covariance(references[i], fit, ratio, year,
                                              model.log_ratio_variance(observed[i],
                                                                       expected[i], s)))
    return out


def _tilt_covariance(reference: SbgFit, fit: SbgFit, ratio: float, year: int,
                     log_ratio_variance: float) -> FloatArray:
    """Covariance of (log alpha, log beta) of a settled cohort: its level is uncertain (the
    posterior spread of its hazard ratio), its shape is its siblings' and held fixed."""
    step = 0.01
    nudged = tilted(reference, ratio * math.exp(step), periods=year)
    slope = (math.log(nudged.beta) - math.log(fit.beta)) / step
    return np.array([[0.0, 0.0], [0.0, slope * slope * log_ratio_variance]])


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


def tilted(fit: SbgFit, ratio: float, periods: int = 1) -> SbgFit:
    """`fit` with churn scaled by a hazard ratio: survival S(periods) ** ratio.

    Under proportional hazards every S(t) would become S(t) ** ratio; an sBG curve can match
    that at one t only, so it is matched at `periods` (a year of the interval: 12 for
    monthly plans, 1 for annual ones) and alpha (how unequal the customers are) is kept.
    For periods = 1 it is closed form, beta / (alpha + beta) = S(1) ** ratio. A ratio of 1
    returns `fit` itself.
    """
    if ratio == 1.0 or not math.isfinite(ratio) or ratio <= 0:
        return fit
    return _with_survival(fit, fit.alpha, float(fit.survival(periods)) ** ratio, periods)


def reshaped(fit: SbgFit, alpha: float, periods: int = 1) -> SbgFit:
    """A curve with heterogeneity `alpha` and the same survival as `fit` at `periods`."""
    if alpha == fit.alpha:
        return fit
    return _with_survival(fit, alpha, float(fit.survival(periods)), periods)


def _with_survival(fit: SbgFit, alpha: float, kept: float, periods: int) -> SbgFit:
    """`fit` with `alpha` and the beta that gives S(periods) = kept (data window kept)."""
    kept = min(max(kept, 1e-9), 1.0 - 1e-9)
    if periods == 1:
        beta = alpha * kept / (1.0 - kept)
    else:
        # S(t) = B(alpha, beta + t) / B(alpha, beta) rises with beta from 0 to 1.
        def gap(log_beta: float) -> float:
            b = math.exp(log_beta)
            return float(special.betaln(alpha, b + periods)
                         - special.betaln(alpha, b)) - math.log(kept)

        low, high = -30.0, 30.0
        if gap(low) > 0 or gap(high) < 0:
            return fit
        beta = math.exp(optimize.brentq(gap, low, high, xtol=1e-12))
    return SbgFit(alpha, beta, fit.log_likelihood, fit.periods, fit.period_days,
                  fit.n_customers)


def relative_risks(tree: CohortTree, horizon_days: float, *, low: float = 0.2,
                   high: float = 5.0, centred: bool = False) -> dict[tuple[str, ...], float]:
    """Each cohort's hazard ratio to its parent over `horizon_days`: log S / log S_parent.

    Read off the fitted (already pooled) curves, so a small cohort's ratio is shrunk toward
    1 with its curve; clipped to [low, high] so one odd cohort cannot run away.
    With `centred`, each ratio is divided by the median ratio of its siblings that have a
    curve of their own: the ratio to a *typical* sibling. That is what carries over to
    another billing interval, where the parent's curve mixes the same children in other
    proportions (one big leaky affiliate can dominate a channel's monthly curve and hardly
    show in its annual one).
    """
    periods = max(round(horizon_days / next(iter(tree.fits.values())).fit.period_days), 1)
    raw: dict[tuple[str, ...], float] = {}
    for key, cohort in tree.fits.items():
        if not key:
            continue
        own = float(cohort.fit.survival(periods))
        parent = float(tree.fits[key[:-1]].fit.survival(periods))
        if not (0.0 < own < 1.0 and 0.0 < parent < 1.0):
            continue
        raw[key] = math.log(own) / math.log(parent)
    if centred:
        typical: dict[tuple[str, ...], list[float]] = {}
        for key, ratio in raw.items():
            if tree.fits[key].source != PARENT:
                typical.setdefault(key[:-1], []).append(ratio)
        raw = {key: ratio / float(np.median(typical.get(key[:-1], [1.0])))
               for key, ratio in raw.items()}
    return {key: min(max(ratio, low), high) for key, ratio in raw.items()}
