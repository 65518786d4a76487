"""Source value intervals: bootstrap over accounts plus parameter draws."""

from __future__ import annotations

import math

import numpy as np

from successlink.models.clv.cohort_fits import CohortFit
from successlink.models.clv.sbg import SbgFit
from successlink.models.clv.source_value import parameter_ratios, source_values


def _cohort(cov: float) -> CohortFit:
    fit = SbgFit(0.704, 1.182, math.nan, 7, 365.0, 1000)
    return CohortFit((), fit, 1000, "own", np.eye(2) * cov)


def test_interval_covers_the_mean_and_widens_with_parameter_uncertainty() -> None:
    rng = np.random.default_rng(0)
    values = rng.gamma(2.0, 500.0, 400)
    group = np.repeat([0, 1], 200)
    renewals = rng.integers(0, 6, 400)
    sure = parameter_ratios([_cohort(0.0)], 5, 0.1, 400, rng)
    vague = parameter_ratios([_cohort(0.05)], 5, 0.1, 400, rng)
    np.testing.assert_allclose(sure, 1.0)
    a = source_values(values, group, 3, np.zeros(400), renewals, sure, rng=rng)
    b = source_values(values, group, 3, np.zeros(400), renewals, vague, rng=rng)
    assert a.accounts.tolist() == [200, 200, 0]
    assert np.isnan(a.mean[2])
    for k in range(2):
        assert a.low[k] < a.mean[k] < a.high[k]
        # Without parameter uncertainty: the bootstrap alone, close to mean +- 1.645 se.
        se = values[group == k].std(ddof=1) / np.sqrt(200)
        assert 0.8 < (a.high[k] - a.low[k]) / (2 * 1.645 * se) < 1.2
        assert b.high[k] - b.low[k] > a.high[k] - a.low[k]


def test_large_groups_use_the_normal_limit_with_the_same_centre() -> None:
    rng = np.random.default_rng(1)
    values = rng.gamma(2.0, 500.0, 20_000)
    ratios = np.ones((1, 300, 1))
    out = source_values(values, np.zeros(20_000), 1, np.zeros(20_000), np.zeros(20_000),
                        ratios, rng=rng, exact_bootstrap_max=1000)
    se = values.std(ddof=1) / np.sqrt(values.size)
    assert out.low[0] < values.mean() < out.high[0]
    assert 0.8 < (out.high[0] - out.low[0]) / (2 * 1.645 * se) < 1.2
