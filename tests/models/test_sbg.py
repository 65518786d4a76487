"""sBG fit, retention projection, DEL and DERL against Fader & Hardie (2007, 2010).

Golden numbers come from tests/data/reference/published.json (copied from the shared
reference, with sources); the closed forms are also checked against direct truncated series.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.models.clv.sbg import (
    SbgFit,
    constant_retention_del,
    counts_from_alive,
    fit_sbg,
    fit_sbg_censored,
    fit_sbg_cohorts,
    log_parameter_covariance,
    survival_counts,
)

PUBLISHED = Path(__file__).parents[1] / "data" / "reference" / "published.json"
SEGMENTS = ("regular", "high_end")
YEAR_DAYS = 365.0


@cache
def published(entry: str) -> Any:
    """One entry of the tests' copy of the published reference numbers."""
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))[entry]


def fit_years_1_to_7(segment: str) -> SbgFit:
    """The paper's calibration: counts at years 0..7 (7 renewal opportunities)."""
    alive = published("sbg_retention")["alive_by_year"][segment][:8]
    return fit_sbg(alive, period_days=YEAR_DAYS)


def model(alpha: float, beta: float) -> SbgFit:
    """An sBG with given parameters (the data-window fields do not enter DEL or DERL)."""
    return SbgFit(
        alpha, beta, log_likelihood=math.nan, periods=0, period_days=YEAR_DAYS, n_customers=1000
    )


def series_del(fit: SbgFit, discount: float, terms: int = 6000) -> float:
    """DEL summed directly: sum_{t=0}^{terms-1} S(t) / (1+d)^t."""
    t = np.arange(terms)
    return float(np.sum(fit.survival(t) * np.exp(-t * np.log1p(discount))))


def series_derl(fit: SbgFit, n: int, discount: float, terms: int = 6000) -> float:
    """DERL summed directly: sum_{t>=n} S(t) / S(n-1) / (1+d)^(t-n)."""
    t = np.arange(n, n + terms)
    weights = np.exp(-(t - n) * np.log1p(discount))
    return float(np.sum(fit.survival(t) * weights) / fit.survival(n - 1))


# --- published numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("segment", SEGMENTS)
def test_fit_on_years_1_to_7_reproduces_published_parameters(segment: str) -> None:
    ref = published("sbg_retention")
    tol = ref["tolerance"]
    fit = fit_years_1_to_7(segment)
    for source in ("published", "recomputed"):
        assert fit.alpha == pytest.approx(ref[source][segment]["alpha"], abs=tol["params"])
        assert fit.beta == pytest.approx(ref[source][segment]["beta"], abs=tol["params"])
    expected_ll = ref["recomputed"][segment]["log_likelihood"]
    assert fit.log_likelihood == pytest.approx(expected_ll, abs=tol["log_likelihood"])
    assert (fit.periods, fit.period_days, fit.n_customers) == (7, YEAR_DAYS, 1000)


@pytest.mark.parametrize("segment", SEGMENTS)
def test_projection_of_years_8_to_12_matches_published_percent_alive(segment: str) -> None:
    ref = published("sbg_retention")
    fit = fit_years_1_to_7(segment)
    projected = 100.0 * fit.survival(np.arange(8, 13))
    expected = ref["projected_percent_alive_years_8_to_12"][segment]
    np.testing.assert_allclose(projected, expected, atol=ref["tolerance"]["percent_alive"])
    alive = fit.projected_alive(12)
    np.testing.assert_allclose(alive[8:] / 10.0, expected, atol=ref["tolerance"]["percent_alive"])


@pytest.mark.parametrize("segment", SEGMENTS)
def test_del_and_derl_match_fader_hardie_2010(segment: str) -> None:
    ref = published("del_derl")
    fit = model(ref[segment]["alpha"], ref[segment]["beta"])
    assert fit.del_(0.10) == pytest.approx(ref[segment]["DEL"], abs=ref["tolerance"])
    derl = [fit.derl(n, 0.10) for n in range(1, 6)]
    np.testing.assert_allclose(derl, ref[segment]["DERL_n1_to_n5"], atol=ref["tolerance"])


@pytest.mark.parametrize("segment", SEGMENTS)
def test_naive_constant_retention_del_understates_value(segment: str) -> None:
    ref = published("del_derl")
    alive = published("sbg_retention")["alive_by_year"][segment]
    naive = constant_retention_del(alive[1] / alive[0], 0.10)
    assert naive == pytest.approx(
        ref["naive_constant_retention_DEL"][segment], abs=ref["tolerance"]
    )
    assert naive < model(ref[segment]["alpha"], ref[segment]["beta"]).del_(0.10)


def test_fit_sbg_cohorts_fits_each_cohort_by_name() -> None:
    alive = published("sbg_retention")["alive_by_year"]
    fits = fit_sbg_cohorts({s: alive[s][:8] for s in SEGMENTS}, period_days=YEAR_DAYS)
    assert list(fits) == list(SEGMENTS)
    assert fits["high_end"] == fit_years_1_to_7("high_end")


# --- closed forms against series, and identities -------------------------------------------

alphas = st.floats(0.05, 20.0)
betas = st.floats(0.05, 50.0)
discounts = st.floats(0.01, 1.0)


@settings(max_examples=60, deadline=None)
@given(alpha=alphas, beta=betas, discount=discounts, n=st.integers(1, 25))
def test_hypergeometric_closed_forms_equal_truncated_series(
    alpha: float, beta: float, discount: float, n: int
) -> None:
    fit = model(alpha, beta)
    assert fit.del_(discount) == pytest.approx(series_del(fit, discount), rel=1e-8)
    assert fit.derl(n, discount) == pytest.approx(series_derl(fit, n, discount), rel=1e-8)


@settings(max_examples=60, deadline=None)
@given(alpha=alphas, beta=betas, discount=discounts)
def test_del_is_first_payment_plus_discounted_derl_after_one_payment(
    alpha: float, beta: float, discount: float
) -> None:
    fit = model(alpha, beta)
    expected = 1.0 + fit.derl(1, discount) / (1.0 + discount)
    assert fit.del_(discount) == pytest.approx(expected, rel=1e-10)


@settings(max_examples=60, deadline=None)
@given(alpha=alphas, beta=betas, t=st.integers(1, 200))
def test_churn_and_survival_are_consistent(alpha: float, beta: float, t: int) -> None:
    fit = model(alpha, beta)
    # The difference of two survival values near each other loses about 1e-13 (betaln's
    # precision on S itself), so the check is absolute at that scale, not relative.
    assert fit.churn_probability(t) == pytest.approx(
        fit.survival(t - 1) - fit.survival(t), rel=1e-9, abs=1e-12
    )
    assert fit.survival(t) == pytest.approx(fit.survival(t - 1) * fit.retention_rate(t), rel=1e-9)
    total = float(np.sum(fit.churn_probability(np.arange(1, t + 1)))) + fit.survival(t)
    assert total == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(alpha=alphas, beta=betas, discount=discounts)
def test_retention_rises_with_tenure_and_so_does_derl(
    alpha: float, beta: float, discount: float
) -> None:
    fit = model(alpha, beta)
    rates = fit.retention_rate(np.arange(1, 30))
    assert np.all(np.diff(rates) > 0)
    derl = [fit.derl(n, discount) for n in range(1, 10)]
    assert np.all(np.diff(derl) > 0)


def test_undiscounted_del_is_the_mean_lifetime_and_infinite_for_alpha_at_most_one() -> None:
    assert model(2.0, 3.0).del_(0.0) == pytest.approx((2.0 + 3.0 - 1.0) / (2.0 - 1.0))
    assert model(2.0, 3.0).derl(1, 0.0) == pytest.approx(model(2.0, 3.0).del_(0.0) - 1.0)
    assert model(0.704, 1.182).del_(0.0) == math.inf


# --- the fit ---------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(alpha=st.floats(0.2, 3.0), beta=st.floats(0.5, 10.0))
def test_fit_recovers_parameters_from_expected_counts(alpha: float, beta: float) -> None:
    truth = model(alpha, beta)
    alive = np.round(truth.projected_alive(15) * 100_000).astype(np.int64)
    fit = fit_sbg(alive, period_days=30.0)
    assert fit.alpha == pytest.approx(alpha, rel=0.02)
    assert fit.beta == pytest.approx(beta, rel=0.02)


def test_fit_is_the_maximum_of_the_likelihood() -> None:
    alive = published("sbg_retention")["alive_by_year"]["regular"][:8]
    fit = fit_sbg(alive, period_days=YEAR_DAYS)
    for d_alpha, d_beta in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)]:
        nudged = fit_sbg_ll(alive, fit.alpha + d_alpha, fit.beta + d_beta)
        assert nudged < fit.log_likelihood
    assert fit_sbg_ll(alive, fit.alpha, fit.beta) == pytest.approx(fit.log_likelihood, abs=1e-9)


def fit_sbg_ll(alive: list[int], alpha: float, beta: float) -> float:
    """Log-likelihood written out term by term, independent of the module's vectorised one."""
    fit = model(alpha, beta)
    ll = sum(
        (alive[t - 1] - alive[t]) * math.log(fit.churn_probability(t)) for t in range(1, len(alive))
    )
    return ll + alive[-1] * math.log(fit.survival(len(alive) - 1))


def test_scaling_the_cohort_keeps_parameters_and_scales_log_likelihood() -> None:
    alive = np.array(published("sbg_retention")["alive_by_year"]["high_end"][:8])
    small = fit_sbg(alive, period_days=YEAR_DAYS)
    big = fit_sbg(alive * 1000, period_days=YEAR_DAYS)
    assert big.alpha == pytest.approx(small.alpha, rel=1e-5)
    assert big.beta == pytest.approx(small.beta, rel=1e-5)
    assert big.log_likelihood == pytest.approx(1000 * small.log_likelihood, rel=1e-8)
    assert big.n_customers == 1_000_000


def test_scalar_periods_give_floats_and_arrays_give_arrays() -> None:
    fit = model(0.704, 1.182)
    assert isinstance(fit.survival(3), float)
    assert fit.survival([0, 1, 2]).shape == (3,)
    assert fit.survival(0) == 1.0
    assert fit.projected_alive(0).tolist() == [1000.0]


@pytest.mark.parametrize(
    "alive",
    [
        [1000],
        [0, 0],
        [100, 120],
        [100, 50.5],
        [100, -1],
        [100, 100, 100],
        [100, 0],
        [[100, 50]],
    ],
    ids=[
        "one-count",
        "empty-cohort",
        "increasing",
        "fractional",
        "negative",
        "no-churn",
        "all-gone-at-once",
        "two-dimensional",
    ],
)
def test_fit_rejects_counts_it_cannot_fit(alive: Any) -> None:
    with pytest.raises(ValueError):
        fit_sbg(alive, period_days=30.0)


@pytest.mark.parametrize("period_days", [0.0, -30.0, math.nan])
def test_fit_requires_a_positive_period_length_in_days(period_days: float) -> None:
    with pytest.raises(ValueError, match="period_days"):
        fit_sbg([100, 50, 30], period_days=period_days)


def test_predictions_reject_impossible_periods_and_discounts() -> None:
    fit = model(0.704, 1.182)
    with pytest.raises(ValueError):
        fit.survival(-1)
    with pytest.raises(ValueError):
        fit.churn_probability(0)
    with pytest.raises(ValueError):
        fit.retention_rate(1.5)
    with pytest.raises(ValueError):
        fit.derl(0, 0.1)
    with pytest.raises(ValueError):
        fit.del_(-0.1)
    with pytest.raises(ValueError):
        fit.projected_alive(-1)


# --- right-censored data -------------------------------------------------------------------


def test_censored_fit_equals_count_fit_when_everyone_is_observed_equally_long() -> None:
    alive = published("sbg_retention")["alive_by_year"]["regular"][:8]
    direct = fit_sbg(alive, period_days=YEAR_DAYS)
    censored = fit_sbg_censored(counts_from_alive(alive, period_days=YEAR_DAYS))
    assert (censored.alpha, censored.beta) == pytest.approx((direct.alpha, direct.beta), rel=1e-9)
    assert censored.log_likelihood == pytest.approx(direct.log_likelihood, abs=1e-9)


def test_survival_counts_puts_each_customer_in_its_period() -> None:
    # 30-day periods, slack 2 days. Churned after 29 days: paid once. After 61 days: ended
    # within the slack of the renewal due on day 60, so paid twice. After 65 days: that
    # renewal was made, paid three times. Running at 59 days: 2 renewals (day 60 is within
    # the slack); running at 10 days: none yet.
    counts = survival_counts([29.0, 61.0, 65.0, 59.0, 10.0], [True, True, True, False, False],
                             period_days=30.0, slack_days=2.0)
    assert counts.lost.tolist() == [1.0, 1.0, 1.0]
    assert counts.censored.tolist() == [1.0, 0.0, 1.0]
    assert counts.n_customers == 5


def test_censored_fit_recovers_parameters_from_staggered_entry() -> None:
    rng = np.random.default_rng(5)
    n, alpha, beta = 200_000, 0.8, 2.0
    payments = rng.geometric(rng.beta(alpha, beta, n))
    observable = rng.integers(0, 20, n)  # renewal decisions seen before the as-of date
    churned = payments <= observable
    days = np.where(churned, payments * 30.0 - 0.5, observable * 30.0 + 10.0)
    fit = fit_sbg_censored(survival_counts(days, churned, period_days=30.0))
    assert fit.alpha == pytest.approx(alpha, rel=0.05)
    assert fit.beta == pytest.approx(beta, rel=0.05)


def test_prior_shrinks_a_small_cohort_toward_its_parent() -> None:
    parent = model(0.7, 1.2)
    # 12 customers: 10 left after one period, 2 still there after 3: a very leaky cohort.
    counts = survival_counts([30.0] * 10 + [95.0] * 2, [True] * 10 + [False] * 2,
                             period_days=30.0)
    own = fit_sbg_censored(counts)
    pooled = fit_sbg_censored(counts, prior=parent, prior_weight=50.0)
    churn_1 = [float(f.churn_probability(1)) for f in (own, pooled, parent)]
    assert churn_1[2] < churn_1[1] < churn_1[0]


def test_censored_fit_without_churn_needs_a_prior() -> None:
    counts = survival_counts([100.0, 200.0], [False, False], period_days=30.0)
    with pytest.raises(ValueError, match="prior"):
        fit_sbg_censored(counts)
    fit = fit_sbg_censored(counts, prior=model(0.7, 1.2), prior_weight=10.0)
    assert np.isfinite(fit.alpha) and fit.survival(3) > model(0.7, 1.2).survival(3)


def test_log_parameter_covariance_shrinks_with_more_data() -> None:
    alive = np.array(published("sbg_retention")["alive_by_year"]["regular"][:8])
    small = counts_from_alive(alive, period_days=YEAR_DAYS)
    big = counts_from_alive(alive * 10, period_days=YEAR_DAYS)
    cov_small = log_parameter_covariance(fit_sbg_censored(small), small)
    cov_big = log_parameter_covariance(fit_sbg_censored(big), big)
    # Ten times the customers, a tenth of the variance (same proportions, same maximum).
    np.testing.assert_allclose(cov_big, cov_small / 10, rtol=1e-3)
