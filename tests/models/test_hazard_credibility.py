"""Credibility-weighted hazard ratios: observed vs expected losses, log-normal spread."""

from __future__ import annotations

import math

import numpy as np
import pytest

from successlink.models.clv.hazard_credibility import (
    MIN_SIBLINGS,
    HazardCredibility,
    fit_hazard_credibility,
    observed_expected,
)
from successlink.models.clv.sbg import SbgFit, SurvivalCounts


def test_observed_expected_counts_every_renewal_at_risk() -> None:
    fit = SbgFit(alpha=1.0, beta=3.0, log_likelihood=0.0, periods=2, period_days=30.0,
                 n_customers=3)
    # One customer lost in period 1; two still paying after 2 renewals.
    counts = SurvivalCounts(lost=np.array([1.0]), censored=np.array([0.0, 0.0, 2.0]),
                            period_days=30.0)
    observed, expected = observed_expected(counts, fit)
    # Period 1: 3 at risk at hazard a/(a+b) = 1/4; period 2: 2 at risk at 1/(a+b+1) = 1/5.
    assert observed == 1.0
    assert expected == pytest.approx(3 / 4 + 2 / 5)


def test_a_cohort_that_never_reached_a_renewal_has_no_exposure() -> None:
    fit = SbgFit(alpha=1.0, beta=3.0, log_likelihood=0.0, periods=2, period_days=30.0,
                 n_customers=3)
    counts = SurvivalCounts(lost=np.zeros(0), censored=np.array([7.0]), period_days=30.0)
    assert observed_expected(counts, fit) == (0.0, 0.0)


def test_too_few_siblings_estimate_nothing() -> None:
    few = MIN_SIBLINGS - 1
    assert fit_hazard_credibility(np.ones(few), np.ones(few)) is None
    # Siblings without exposure do not count.
    assert fit_hazard_credibility(np.ones(10), np.r_[np.ones(few), np.zeros(10 - few)]) is None


def test_fit_recovers_the_spread_and_the_slope_of_simulated_siblings() -> None:
    rng = np.random.default_rng(7)
    n = 600
    shift = rng.normal(0.0, 0.5, n)
    log_r = -0.3 + 0.8 * shift + rng.normal(0.0, 0.4, n)
    expected = rng.uniform(5.0, 80.0, n)
    observed = rng.poisson(expected * np.exp(log_r)).astype(float)
    model = fit_hazard_credibility(observed, expected, shift)
    assert model is not None
    assert model.mu == pytest.approx(-0.3, abs=0.06)
    assert model.sigma == pytest.approx(0.4, abs=0.06)
    assert model.slope == pytest.approx(0.8, abs=0.1)


def test_posterior_ratio_moves_from_the_prior_mean_to_observed_over_expected() -> None:
    model = HazardCredibility(mu=-0.2, sigma=0.5, slope=1.0)
    # No exposure: the mean of the log-normal prior, exp(mu + slope s + sigma^2 / 2).
    assert model.ratio(0.0, 0.0, 0.3) == pytest.approx(math.exp(-0.2 + 0.3 + 0.125), rel=1e-3)
    # Ample exposure: the cohort's own O / E.
    assert model.ratio(3000.0, 1000.0) == pytest.approx(3.0, rel=0.01)
    # In between it rises with the losses seen and with the account mix's risk.
    ratios = [model.ratio(o, 10.0) for o in (0.0, 5.0, 10.0, 20.0)]
    assert ratios == sorted(ratios) and ratios[0] < 1.0 < ratios[-1]
    assert model.ratio(5.0, 10.0, -0.5) < model.ratio(5.0, 10.0, 0.5)


def test_no_loss_in_little_exposure_is_weak_evidence() -> None:
    # Siblings that differ a lot (sigma 1): a cohort with no loss where 2 were expected
    # keeps a ratio well above "never churns" (a gamma spread with shape < 1 would not).
    model = HazardCredibility(mu=0.0, sigma=1.0, slope=0.0)
    assert 0.4 < model.ratio(0.0, 2.0) < model.ratio(0.0, 0.0)


def test_posterior_spread_of_the_log_ratio_shrinks_with_exposure() -> None:
    model = HazardCredibility(mu=0.0, sigma=0.6, slope=0.0)
    # No exposure: the prior's variance; then about 1 / O for a well-observed cohort.
    assert model.log_ratio_variance(0.0, 0.0) == pytest.approx(0.36, rel=1e-3)
    spreads = [model.log_ratio_variance(e, e) for e in (1.0, 10.0, 100.0, 1000.0)]
    assert spreads == sorted(spreads, reverse=True)
    assert spreads[-1] == pytest.approx(1 / 1000, rel=0.05)
