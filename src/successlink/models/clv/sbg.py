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
    log_ab = _maximise(churned.astype(np.float64), float(survivors))
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
    t = np.arange(1, len(churned) + 1, dtype=np.float64)
    base = special.betaln(alpha, beta)
    log_p = special.betaln(alpha + 1.0, beta + t - 1.0) - base
    log_s = special.betaln(alpha, beta + len(churned)) - base
    return float(np.dot(churned, log_p) + survivors * log_s)


def _gradient(alpha: float, beta: float, churned: FloatArray, survivors: float) -> FloatArray:
    """d log L / d (log alpha, log beta), from d betaln(a, b) / da = psi(a) - psi(a+b)."""
    t = np.arange(1, len(churned) + 1, dtype=np.float64)
    big_t = float(len(churned))
    psi = special.digamma
    base_a = psi(alpha) - psi(alpha + beta)
    base_b = psi(beta) - psi(alpha + beta)
    p_a = psi(alpha + 1.0) - psi(alpha + beta + t) - base_a
    p_b = psi(beta + t - 1.0) - psi(alpha + beta + t) - base_b
    s_a = psi(alpha) - psi(alpha + beta + big_t) - base_a
    s_b = psi(beta + big_t) - psi(alpha + beta + big_t) - base_b
    d_alpha = float(np.dot(churned, p_a) + survivors * s_a)
    d_beta = float(np.dot(churned, p_b) + survivors * s_b)
    return np.array([alpha * d_alpha, beta * d_beta])


def _maximise(churned: FloatArray, survivors: float) -> FloatArray:
    """Maximise the log-likelihood over log(alpha), log(beta) (unconstrained, well scaled)."""
    n = float(churned.sum() + survivors)

    def objective(x: FloatArray) -> tuple[float, FloatArray]:
        a, b = math.exp(x[0]), math.exp(x[1])
        value = -_log_likelihood(a, b, churned, survivors) / n
        return value, -_gradient(a, b, churned, survivors) / n

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
