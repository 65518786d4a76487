"""Shifted-beta-geometric (sBG) model for contractual, subscription customers.

Each customer renews at the end of every period with their own probability; across customers
the churn probability follows a beta(alpha, beta) distribution. That heterogeneity is why
cohort retention rises with tenure (the flaky leave first) and why a constant-retention
projection undervalues a customer base (Fader & Hardie 2007, 2010).

Time is counted in whole periods of `period_days` days (a yearly contract: 365; a monthly
plan: whatever the billing interval is, say 30.44 or 31 - the caller decides, nothing here
assumes a month). Period 0 is the start: everyone is alive and has made their first payment.
Discount rates are per period. See docs/models/sbg.md for the formulas and conventions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SbgFit:
    """A fitted sBG model: beta(alpha, beta) churn probabilities and the data window.

    `periods` is the number of periods observed (the `alive` counts had `periods + 1`
    entries), each `period_days` long; `n_customers` is the cohort size at period 0.
    """

    alpha: float
    beta: float
    log_likelihood: float
    periods: int
    period_days: float
    n_customers: int

    @overload
    def survival(self, t: int) -> float: ...
    @overload
    def survival(self, t: npt.ArrayLike) -> FloatArray: ...
    def survival(self, t: npt.ArrayLike) -> float | FloatArray:
        """Share of the cohort still alive after `t` periods: S(t) = B(a, b+t) / B(a, b)."""
        tt = _periods(t, minimum=0)
        log_s = special.betaln(self.alpha, self.beta + tt) - special.betaln(self.alpha, self.beta)
        return _shaped(np.exp(log_s), t)

    @overload
    def churn_probability(self, t: int) -> float: ...
    @overload
    def churn_probability(self, t: npt.ArrayLike) -> FloatArray: ...
    def churn_probability(self, t: npt.ArrayLike) -> float | FloatArray:
        """P(a new customer churns in period t), t >= 1: B(a+1, b+t-1) / B(a, b)."""
        tt = _periods(t, minimum=1)
        log_p = special.betaln(self.alpha + 1.0, self.beta + tt - 1.0) - special.betaln(
            self.alpha, self.beta
        )
        return _shaped(np.exp(log_p), t)

    @overload
    def retention_rate(self, t: int) -> float: ...
    @overload
    def retention_rate(self, t: npt.ArrayLike) -> FloatArray: ...
    def retention_rate(self, t: npt.ArrayLike) -> float | FloatArray:
        """Share of those alive at period t-1 who renew into period t: (b+t-1) / (a+b+t-1).

        It rises with t: not because anyone becomes more loyal, but because the cohort sheds
        its high-churn members first.
        """
        tt = _periods(t, minimum=1)
        rate = (self.beta + tt - 1.0) / (self.alpha + self.beta + tt - 1.0)
        return _shaped(rate, t)

    def projected_alive(self, periods: int) -> FloatArray:
        """Expected customers alive at periods 0, 1, ..., `periods` (n_customers x S(t))."""
        if periods < 0:
            raise ValueError(f"periods must be >= 0, got {periods}")
        return self.n_customers * self.survival(np.arange(periods + 1))

    def del_(self, discount: float) -> float:
        """Discounted expected lifetime of a new customer, in payments (DEL).

        DEL = sum_{t>=0} S(t) / (1+d)^t = 2F1(1, b; a+b; 1/(1+d)). The first payment (t = 0)
        is undiscounted; `discount` is the rate per period. Multiply by the margin per period
        for a customer's expected value at acquisition.
        """
        return _residual_value(self.alpha, self.beta, discount)

    def derl(self, n: int, discount: float) -> float:
        """Discounted expected residual lifetime (DERL) of a customer who has made n payments.

        Fader & Hardie (2010) eq. 6: n = renewals + 1, i.e. the customer has renewed n - 1
        times and is evaluated just before the decision on renewal n. The next payment counts
        only if they renew and is undiscounted:
        DERL = B(a, b+n) / B(a, b+n-1) x 2F1(1, b+n; a+b+n; 1/(1+d)).
        """
        if n < 1:
            raise ValueError(f"n (payments made, renewals + 1) must be >= 1, got {n}")
        # B(a, b+n) / B(a, b+n-1) is the next period's retention rate, (b+n-1)/(a+b+n-1).
        renew = (self.beta + n - 1.0) / (self.alpha + self.beta + n - 1.0)
        return renew * _residual_value(self.alpha, self.beta + n, discount)


def constant_retention_del(retention: float, discount: float) -> float:
    """DEL if every customer kept one retention rate forever: 1 / (1 - r / (1+d)).

    Kept only to show the cost of ignoring heterogeneity: with the year-1 rate it understates
    value because it projects the early, high churn onto the loyal survivors.
    """
    if not 0.0 <= retention < 1.0 + discount:
        raise ValueError(f"retention must be in [0, 1 + discount), got {retention}")
    return 1.0 / (1.0 - retention / (1.0 + discount))


def _residual_value(alpha: float, beta: float, discount: float) -> float:
    """2F1(1, beta; alpha+beta; 1/(1+d)) = sum_k (beta)_k / (alpha+beta)_k x^k, x = 1/(1+d)."""
    if not math.isfinite(discount) or discount < 0.0:
        raise ValueError(f"discount (rate per period) must be >= 0, got {discount}")
    if discount == 0.0:
        # Undiscounted, the series sum_k S(k) is the mean lifetime; it is finite only when
        # alpha > 1 (a heavy tail of near-certain renewers otherwise).
        return (alpha + beta - 1.0) / (alpha - 1.0) if alpha > 1.0 else math.inf
    return float(special.hyp2f1(1.0, beta, alpha + beta, 1.0 / (1.0 + discount)))


def fit_sbg(alive: Sequence[int] | npt.ArrayLike, *, period_days: float) -> SbgFit:
    """Fit alpha and beta by maximum likelihood to one cohort's counts alive per period.

    `alive[t]` is the number of customers alive at the start of period t (alive[0] is the
    cohort size); periods are `period_days` days long. Customers lost between t-1 and t
    contribute log P(T = t); the survivors at the last count contribute log S(T_end)
    (Fader & Hardie 2007). Only the counts matter, so a million-customer cohort is as fast
    as a small one.
    """
    counts = _validated_alive(alive)
    if not (math.isfinite(period_days) and period_days > 0):
        raise ValueError(f"period_days must be a positive number of days, got {period_days}")
    churned = counts[:-1] - counts[1:]
    survivors = int(counts[-1])
    if churned.sum() == 0 or (survivors == 0 and churned[0] == counts[0]):
        raise ValueError(
            "the sBG fit needs both churn and renewals: with no churn (or everyone gone after"
            " one period) the maximum-likelihood estimate runs off to the boundary"
        )
    censored = np.zeros(len(counts), dtype=np.float64)
    censored[-1] = survivors
    log_ab = _maximise(churned.astype(np.float64), censored)
    alpha, beta = (float(v) for v in np.exp(log_ab))
    return SbgFit(
        alpha=alpha,
        beta=beta,
        log_likelihood=_log_likelihood(alpha, beta, churned.astype(np.float64), survivors),
        periods=len(counts) - 1,
        period_days=float(period_days),
        n_customers=int(counts[0]),
    )


def fit_sbg_cohorts(
    cohort_alive: Mapping[str, Sequence[int]], *, period_days: float
) -> dict[str, SbgFit]:
    """Fit one sBG per cohort (channel, affiliate, plan, ...); keys are kept as given."""
    return {name: fit_sbg(alive, period_days=period_days) for name, alive in cohort_alive.items()}


def _log_likelihood(alpha: float, beta: float, churned: FloatArray, survivors: float) -> float:
    """sum_t c_t log P(T=t) + s log S(T_end), with betaln so nothing under- or overflows."""
    censored = np.zeros(len(churned) + 1)
    censored[-1] = survivors
    return _censored_log_likelihood(alpha, beta, churned, censored)


def _censored_log_likelihood(
    alpha: float, beta: float, lost: FloatArray, censored: FloatArray
) -> float:
    """sum_t lost_t log P(T=t) + sum_c censored_c log S(c); lost[t-1] is period t, c = 0.."""
    t = np.arange(1, len(lost) + 1, dtype=np.float64)
    c = np.arange(len(censored), dtype=np.float64)
    base = special.betaln(alpha, beta)
    log_p = special.betaln(alpha + 1.0, beta + t - 1.0) - base
    log_s = special.betaln(alpha, beta + c) - base
    return float(np.dot(lost, log_p) + np.dot(censored, log_s))


def _gradient(alpha: float, beta: float, lost: FloatArray, censored: FloatArray) -> FloatArray:
    """d log L / d (log alpha, log beta), from d betaln(a, b) / da = psi(a) - psi(a+b)."""
    t = np.arange(1, len(lost) + 1, dtype=np.float64)
    c = np.arange(len(censored), dtype=np.float64)
    psi = special.digamma
    base_a = psi(alpha) - psi(alpha + beta)
    base_b = psi(beta) - psi(alpha + beta)
    p_a = psi(alpha + 1.0) - psi(alpha + beta + t) - base_a
    p_b = psi(beta + t - 1.0) - psi(alpha + beta + t) - base_b
    s_a = psi(alpha) - psi(alpha + beta + c) - base_a
    s_b = psi(beta + c) - psi(alpha + beta + c) - base_b
    d_alpha = float(np.dot(lost, p_a) + np.dot(censored, s_a))
    d_beta = float(np.dot(lost, p_b) + np.dot(censored, s_b))
    return np.array([alpha * d_alpha, beta * d_beta])


def _maximise(lost: FloatArray, censored: FloatArray) -> FloatArray:
    """Maximise the log-likelihood over log(alpha), log(beta) (unconstrained, well scaled)."""
    n = float(lost.sum() + censored.sum())

    def objective(x: FloatArray) -> tuple[float, FloatArray]:
        a, b = math.exp(x[0]), math.exp(x[1])
        value = -_censored_log_likelihood(a, b, lost, censored) / n
        return value, -_gradient(a, b, lost, censored) / n

    result = optimize.minimize(
        objective,
        x0=np.zeros(2),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-20.0, 20.0), (-20.0, 20.0)],
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 1000},
    )
    if not np.all(np.isfinite(result.x)):
        raise ValueError(f"the sBG fit did not converge: {result.message}")
    return np.asarray(result.x, dtype=np.float64)


def _validated_alive(alive: Sequence[int] | npt.ArrayLike) -> IntArray:
    """Counts as int64, checked: at least two, whole, non-negative, never increasing."""
    raw = np.asarray(alive, dtype=np.float64)
    if raw.ndim != 1 or raw.size < 2:
        raise ValueError("alive needs counts for at least two period starts (0 and 1)")
    if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)) or np.any(raw < 0):
        raise ValueError("alive counts must be whole, non-negative numbers")
    counts = raw.astype(np.int64)
    if counts[0] == 0:
        raise ValueError("alive[0] (the cohort size) must be positive")
    if np.any(np.diff(counts) > 0):
        raise ValueError("alive counts cannot increase: a cohort only loses customers")
    return counts


def _periods(t: npt.ArrayLike, *, minimum: int) -> FloatArray:
    """Whole period numbers >= minimum, as floats for the special functions."""
    tt = np.asarray(t, dtype=np.float64)
    if np.any(tt != np.round(tt)) or np.any(tt < minimum):
        raise ValueError(f"periods must be whole numbers >= {minimum}, got {t!r}")
    return tt


def _shaped(values: FloatArray, t: npt.ArrayLike) -> float | FloatArray:
    """A float for a scalar t, an array for an array t."""
    return float(values) if np.ndim(t) == 0 else np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class SurvivalCounts:
    """Right-censored sBG data: customers lost in each period and customers still observed.

    `lost[t - 1]` customers paid t times and did not renew (lifetime T = t, t >= 1);
    `censored[c]` customers have renewed c times and are still paying when observation ends
    (they contribute S(c)). Customers acquired on different dates are observed for different
    numbers of periods, which is why the survivors are spread over c rather than all at one
    last count (Fader & Hardie 2007, section 6). Counts may be fractional (pseudo-customers
    of a prior, see `fit_sbg_censored`).
    """

    lost: FloatArray
    censored: FloatArray
    period_days: float

    @property
    def n_customers(self) -> float:
        return float(self.lost.sum() + self.censored.sum())

    @property
    def periods(self) -> int:
        """The longest observation, in periods."""
        return max(len(self.lost), len(self.censored) - 1)


def survival_counts(
    duration_days: npt.ArrayLike,
    churned: npt.ArrayLike,
    *,
    period_days: float,
    slack_days: float = 0.0,
) -> SurvivalCounts:
    """Lost / censored counts from per-customer durations (days since the first payment).

    A churned customer whose service lasted d days paid ceil((d - slack) / period_days) times
    (at least once) and is lost in that period; a customer still paying after d days has
    renewed floor((d + slack) / period_days) times. `slack_days` absorbs calendar months of
    28-31 days against a fixed `period_days` (monthly plans: 30.4375 days, slack 2 days), so
    a renewal on the 365th day still counts as the 12th. O(n) with two bincounts: a million
    customers take well under a second.
    """
    if not (math.isfinite(period_days) and period_days > 0):
        raise ValueError(f"period_days must be a positive number of days, got {period_days}")
    if not (math.isfinite(slack_days) and 0.0 <= slack_days < period_days / 2):
        raise ValueError(f"slack_days must be in [0, period_days / 2), got {slack_days}")
    days = np.asarray(duration_days, dtype=np.float64).ravel()
    gone = np.asarray(churned, dtype=bool).ravel()
    if days.shape != gone.shape:
        raise ValueError("duration_days and churned need one entry per customer")
    if not np.all(np.isfinite(days)) or np.any(days < 0):
        raise ValueError("durations must be finite numbers of days >= 0")
    paid = np.maximum(np.ceil((days[gone] - slack_days) / period_days), 1).astype(np.int64)
    renewed = np.floor((days[~gone] + slack_days) / period_days).astype(np.int64)
    lost = np.bincount(paid - 1, minlength=0).astype(np.float64) if paid.size else np.zeros(0)
    censored = np.bincount(renewed).astype(np.float64) if renewed.size else np.zeros(1)
    return SurvivalCounts(lost=lost, censored=censored, period_days=float(period_days))


def counts_from_alive(alive: Sequence[int] | npt.ArrayLike, *, period_days: float
                      ) -> SurvivalCounts:
    """One cohort's counts alive per period as right-censored data (all censored at the end)."""
    counts = _validated_alive(alive)
    censored = np.zeros(len(counts), dtype=np.float64)
    censored[-1] = counts[-1]
    return SurvivalCounts(lost=(counts[:-1] - counts[1:]).astype(np.float64),
                          censored=censored, period_days=float(period_days))


def fit_sbg_censored(
    counts: SurvivalCounts, *, prior: SbgFit | None = None, prior_weight: float = 0.0
) -> SbgFit:
    """Fit alpha and beta to right-censored counts, optionally pulled toward a parent cohort.

    With `prior`, `prior_weight` pseudo-customers who follow the prior's curve are added to
    the data: their expected losses prior_weight x P(T = t) and survivors
    prior_weight x S(T_max), over the longer of the cohort's and the prior's own observation
    windows. A cohort much larger than `prior_weight` keeps its own curve; a small one is
    shrunk toward its parent's. The pseudo-customers reach as far as the parent's data so that
    a young cohort (an affiliate who joined two months ago) does not extrapolate its tail
    from two periods alone: beyond its window it keeps its parent's shape. It is a penalised
    likelihood, so the log-likelihood stored is that of the real customers alone.
    """
    if prior_weight < 0 or not math.isfinite(prior_weight):
        raise ValueError(f"prior_weight must be >= 0, got {prior_weight}")
    horizon = max(counts.periods, 1)
    if prior is not None and prior_weight > 0:
        horizon = max(horizon, prior.periods)
    lost = np.zeros(horizon)
    lost[: len(counts.lost)] = counts.lost
    censored = np.zeros(horizon + 1)
    censored[: len(counts.censored)] = counts.censored
    if counts.n_customers <= 0:
        raise ValueError("the sBG fit needs at least one customer")
    if prior is not None and prior_weight > 0:
        fit_lost = lost + prior_weight * prior.churn_probability(np.arange(1, horizon + 1))
        fit_censored = censored.copy()
        fit_censored[-1] += prior_weight * prior.survival(horizon)
    else:
        fit_lost, fit_censored = lost, censored
        informative = float(np.dot(censored, np.arange(horizon + 1)) + lost.sum())
        if lost.sum() == 0 or informative == lost.sum():
            raise ValueError(
                "the sBG fit needs both churn and renewals: with no churn (or no renewal ever"
                " observed) the maximum-likelihood estimate runs off to the boundary; pass a"
                " parent cohort as `prior` to borrow its curve"
            )
    log_ab = _maximise(fit_lost, fit_censored)
    alpha, beta = (float(v) for v in np.exp(log_ab))
    return SbgFit(
        alpha=alpha,
        beta=beta,
        log_likelihood=_censored_log_likelihood(alpha, beta, lost, censored),
        periods=horizon,
        period_days=counts.period_days,
        n_customers=round(counts.n_customers),
    )


def log_parameter_covariance(
    fit: SbgFit,
    counts: SurvivalCounts,
    *,
    prior: SbgFit | None = None,
    prior_weight: float = 0.0,
) -> FloatArray:
    """Covariance of (log alpha, log beta) from the curvature of the (penalised) likelihood.

    The Laplace approximation: the inverse of minus the Hessian at the maximum, which is
    found by differencing the analytic gradient. With a prior it is the approximate posterior
    of a cohort that borrowed strength (so small cohorts are not reported as certain).
    """
    horizon = max(fit.periods, 1)
    lost = np.zeros(horizon)
    lost[: len(counts.lost)] = counts.lost
    censored = np.zeros(horizon + 1)
    censored[: len(counts.censored)] = counts.censored
    if prior is not None and prior_weight > 0:
        lost = lost + prior_weight * prior.churn_probability(np.arange(1, horizon + 1))
        censored[-1] += prior_weight * prior.survival(horizon)
    x = np.log([fit.alpha, fit.beta])
    step = 1e-5
    hessian = np.empty((2, 2))
    for i in range(2):
        e = np.zeros(2)
        e[i] = step
        up, down = np.exp(x + e), np.exp(x - e)
        hessian[:, i] = (_gradient(up[0], up[1], lost, censored)
                         - _gradient(down[0], down[1], lost, censored)) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        cov = np.linalg.inv(-hessian)
    except np.linalg.LinAlgError:
        return np.full((2, 2), np.nan)
    if not np.all(np.isfinite(cov)) or np.any(np.linalg.eigvalsh(cov) <= 0):
        return np.full((2, 2), np.nan)
    return np.asarray(cov, dtype=np.float64)
