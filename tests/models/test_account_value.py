"""Per-account value: DERL by renewals, explicit time units, and the churn-risk adjustment."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.models.clv.account_value import (
    MONTH_DAYS,
    margin_per_period,
    period_discount,
    renewals_in_horizon,
    renewals_made,
    residual_payments,
    risk_adjusted_payments,
    survival_ahead,
)
from successlink.models.clv.sbg import SbgFit

REGULAR = SbgFit(0.704, 1.182, math.nan, 7, 365.0, 1000)


def test_residual_payments_are_the_papers_derl() -> None:
    # Fader & Hardie (2010), regular segment, d = 10%: DERL for n = 1..5 payments made.
    values = residual_payments(REGULAR, [0, 1, 2, 3, 4], 0.10)
    np.testing.assert_allclose(values, [2.9647, 4.1035, 4.8701, 5.4424, 5.8944], atol=1e-4)


def test_time_units_are_explicit() -> None:
    assert period_discount(0.10, 365.25) == pytest.approx(0.10)
    assert (1 + period_discount(0.10, MONTH_DAYS)) ** 12 == pytest.approx(1.10)
    # 100.00 of MRR over a yearly period is 1,200.00; at 80% margin 960.00.
    assert float(margin_per_period(10_000, 0.8, 365.25)) == pytest.approx(96_000)
    assert renewals_made([0.0, 27.0, 30.5, 365.0], MONTH_DAYS, 2.0).tolist() == [0, 0, 1, 12]
    # 10 days into a month, a 90-day horizon holds the renewals on days ~30, 61 and 91.
    assert renewals_in_horizon([10.0], 90.0, MONTH_DAYS, 0.0).tolist() == [3]
    # An annual account 200 days in sees its one renewal within a year, none within 90 days.
    assert renewals_in_horizon([200.0, 200.0], 365.0, 365.25)[0] == 1
    assert renewals_in_horizon([200.0], 90.0, 365.25).tolist() == [0]


def test_survival_ahead_is_the_conditional_survival() -> None:
    expected = REGULAR.survival(5) / REGULAR.survival(2)
    assert float(survival_ahead(REGULAR, 2, 3)) == pytest.approx(expected)


def test_churn_adjustment_at_the_cohorts_own_risk_changes_nothing() -> None:
    m, k = np.array([0, 1, 3, 6]), np.array([1, 3, 2, 12])
    own = 1.0 - survival_ahead(REGULAR, m, k)
    np.testing.assert_allclose(risk_adjusted_payments(REGULAR, m, k, own, 0.01),
                               residual_payments(REGULAR, m, 0.01), rtol=1e-10)


def test_certain_churn_at_the_next_renewal_leaves_no_value() -> None:
    assert float(risk_adjusted_payments(REGULAR, 2, 1, 1.0, 0.05)) == pytest.approx(0.0)


def test_no_churn_over_the_horizon_means_every_payment_in_it_is_made() -> None:
    # p = 0 over 3 renewals: 1 + x + x^2 for certain, then the survivors' DERL from there.
    x = 1 / 1.05
    expected = 1 + x + x**2 + x**3 * float(residual_payments(REGULAR, 5, 0.05))
    assert float(risk_adjusted_payments(REGULAR, 2, 3, 0.0, 0.05)) == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(0, 40), k=st.integers(1, 12), p=st.floats(0.0, 0.99),
       dp=st.floats(0.001, 0.5))
def test_more_churn_risk_means_less_value(m: int, k: int, p: float, dp: float) -> None:
    q = min(p + dp, 1.0)
    low = float(risk_adjusted_payments(REGULAR, m, k, q, 0.01))
    high = float(risk_adjusted_payments(REGULAR, m, k, p, 0.01))
    assert 0.0 <= low < high


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="churn probabilities"):
        risk_adjusted_payments(REGULAR, 1, 1, 1.5, 0.1)
    with pytest.raises(ValueError, match="renewals"):
        residual_payments(REGULAR, -1, 0.1)
    with pytest.raises(ValueError, match="gross_margin"):
        margin_per_period(100, 0.0, 30.0)
