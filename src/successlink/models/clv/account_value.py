"""Predicted lifetime value of accounts on the books: margin per period x DERL of their cohort.

An account that has renewed m times is valued with its cohort's sBG as a customer who has
made n = m + 1 payments (Fader & Hardie 2010): DERL(n) expected discounted future payments,
each worth the account's margin per period. Survivors of many renewals are worth more per
payment than the cohort average because the flaky have already left.

Time units are explicit: `period_days` is the length of one billing period (monthly plans:
MONTH_DAYS = 365.25 / 12, the month MRR is normalised to; annual plans: 365.25), discount
rates are converted from a yearly rate to one per period, and the churn-risk horizon is in
days. See docs/models/ltv.md.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import special

from successlink.models.clv.sbg import SbgFit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DAYS_PER_YEAR = 365.25
MONTH_DAYS = DAYS_PER_YEAR / 12


def period_discount(annual_rate: float, period_days: float) -> float:
    """The discount rate per period equivalent to `annual_rate` a year: (1+r)^(days/365.25)-1."""
    if not (math.isfinite(annual_rate) and annual_rate >= 0):
        raise ValueError(f"the annual discount rate must be >= 0, got {annual_rate}")
    if not period_days > 0:
        raise ValueError(f"period_days must be > 0, got {period_days}")
    return float((1.0 + annual_rate) ** (period_days / DAYS_PER_YEAR) - 1.0)


def margin_per_period(mrr_minor: npt.ArrayLike, gross_margin: float,
                      period_days: float) -> FloatArray:
    """Gross margin earned in one period: MRR (per MONTH_DAYS days) scaled to `period_days`."""
    if not 0.0 < gross_margin <= 1.0:
        raise ValueError(f"gross_margin must be in (0, 1], got {gross_margin}")
    mrr = np.asarray(mrr_minor, dtype=np.float64)
    return np.asarray(mrr * (period_days / MONTH_DAYS) * gross_margin, dtype=np.float64)


def renewals_made(tenure_days: npt.ArrayLike, period_days: float,
                  slack_days: float = 0.0) -> IntArray:
    """Renewals an account still paying after `tenure_days` has made (see `survival_counts`)."""
    days = np.asarray(tenure_days, dtype=np.float64)
    return np.floor((np.maximum(days, 0.0) + slack_days) / period_days).astype(np.int64)


def renewals_in_horizon(tenure_days: npt.ArrayLike, horizon_days: float, period_days: float,
                        slack_days: float = 0.0) -> IntArray:
    """Renewal dates falling in the next `horizon_days` days for an account `tenure_days` old."""
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be >= 0, got {horizon_days}")
    days = np.maximum(np.asarray(tenure_days, dtype=np.float64), 0.0)
    later = np.floor((days + horizon_days + slack_days) / period_days).astype(np.int64)
    return np.asarray(later - renewals_made(days, period_days, slack_days), dtype=np.int64)


def survival_ahead(fit: SbgFit, renewals: npt.ArrayLike, ahead: npt.ArrayLike) -> FloatArray:
    """P(still paying after `ahead` more renewals | has made `renewals`): S(m+k) / S(m)."""
    m = np.asarray(renewals, dtype=np.float64)
    k = np.asarray(ahead, dtype=np.float64)
    if np.any(m < 0) or np.any(k < 0):
        raise ValueError("renewals and renewals ahead must be >= 0")
    log_s = special.betaln(fit.alpha, fit.beta + m + k) - special.betaln(fit.alpha, fit.beta + m)
    return np.asarray(np.exp(log_s), dtype=np.float64)


def residual_payments(fit: SbgFit, renewals: npt.ArrayLike, discount: float) -> FloatArray:
    """DERL(n = renewals + 1) per account, vectorised: expected discounted future payments.

    The next payment (at the coming renewal) is undiscounted, as in `SbgFit.derl`.
    """
    if not (math.isfinite(discount) and discount >= 0):
        raise ValueError(f"discount (rate per period) must be >= 0, got {discount}")
    m = np.asarray(renewals, dtype=np.float64)
    if np.any(m < 0) or np.any(m != np.floor(m)):
        raise ValueError("renewals must be whole numbers >= 0")
    return derl_of(fit.alpha, fit.beta, m + 1.0, discount)


def derl_of(alpha: float | FloatArray, beta: float | FloatArray, n: FloatArray,
          discount: float) -> FloatArray:
    """DERL(n), Fader & Hardie (2010) eq. 6, broadcasting over parameters and n."""
    renew = (beta + n - 1.0) / (alpha + beta + n - 1.0)
    if discount == 0.0:
        tail = np.where(np.asarray(alpha) > 1.0,
                        (alpha + beta + n - 1.0) / np.maximum(np.asarray(alpha) - 1.0, 1e-300),
                        np.inf)
    else:
        tail = special.hyp2f1(1.0, beta + n, alpha + beta + n, 1.0 / (1.0 + discount))
    return np.asarray(renew * tail, dtype=np.float64)


def risk_adjusted_payments(
    fit: SbgFit,
    renewals: npt.ArrayLike,
    horizon_renewals: npt.ArrayLike,
    churn_probability: npt.ArrayLike,
    discount: float,
) -> FloatArray:
    """DERL with the sBG's churn over a horizon replaced by a churn model's probability p.

    Over the k renewals in the horizon the cohort curve's cumulative churn 1 - S(m+j)/S(m)
    is scaled so that it reaches p at the horizon; beyond it the account is one that survived
    the horizon (probability 1 - p) and follows its cohort: (1 - p) x^k DERL(m + k + 1).
    k is at least 1 (a risk only bites at a renewal). When p equals the cohort's own churn
    over the horizon this is exactly `residual_payments`; it falls as p rises.
    """
    m = np.asarray(renewals, dtype=np.float64)
    k = np.maximum(np.asarray(horizon_renewals, dtype=np.int64), 1)
    p = np.asarray(churn_probability, dtype=np.float64)
    if np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise ValueError("churn probabilities must be in [0, 1]")
    m, k, p = np.broadcast_arrays(m, k, p)
    x = 1.0 / (1.0 + discount)
    cohort_churn = 1.0 - survival_ahead(fit, m, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(cohort_churn > 0, p / cohort_churn, 0.0)
    total = np.zeros(m.shape)
    for j in range(1, int(k.max(initial=1)) + 1):
        inside = j <= k
        alive = 1.0 - (1.0 - survival_ahead(fit, m, np.full(m.shape, j))) * scale
        total += np.where(inside, np.clip(alive, 0.0, 1.0) * x ** (j - 1), 0.0)
    tail = (1.0 - p) * x ** k * derl_of(fit.alpha, fit.beta, m + k + 1.0, discount)
    return np.asarray(total + tail, dtype=np.float64)
