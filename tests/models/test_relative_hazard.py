"""Account-level proportional hazards on the book's curve: plan mix as a log hazard ratio."""

from __future__ import annotations

import numpy as np
import pytest

from successlink.models.clv.relative_hazard import cumulative_hazard, fit_relative_hazard
from successlink.models.clv.sbg import SbgFit


def test_cumulative_hazard_sums_the_curve_hazards() -> None:
    fit = SbgFit(alpha=1.0, beta=3.0, log_likelihood=0.0, periods=3, period_days=30.0,
                 n_customers=10)
    # Hazards a / (a + b + t - 1): 1/4, 1/5, 1/6.
    assert cumulative_hazard(fit, np.array([0, 1, 3])) == pytest.approx(
        [0.0, 0.25, 0.25 + 0.2 + 1 / 6])


def test_recovers_the_hazard_ratio_between_two_plans() -> None:
    rng = np.random.default_rng(3)
    n = 40_000
    big = rng.random(n) < 0.4
    hazard = np.where(big, 0.03, 0.06)  # the small plan churns twice as fast
    life = rng.geometric(hazard)
    watched = rng.integers(1, 25, n)
    lost = life <= watched
    periods = np.where(lost, life, watched)
    # A flat baseline: geometric curve with hazard 0.05 (alpha, beta large, ratio kept).
    baseline = SbgFit(alpha=5e4, beta=95e4, log_likelihood=0.0, periods=24, period_days=30.0,
                      n_customers=n)
    model = fit_relative_hazard(big[:, None].astype(float), lost,
                                cumulative_hazard(baseline, periods))
    assert model is not None
    ratio = model.log_ratio(np.array([[1.0]])) - model.log_ratio(np.array([[0.0]]))
    assert float(ratio[0]) == pytest.approx(np.log(0.5), abs=0.05)
    # Centred on the mean account of the data it was fitted on.
    assert float(np.mean(model.log_ratio(big[:, None].astype(float)))) == pytest.approx(0.0,
                                                                                        abs=1e-9)


def test_nothing_to_learn_without_losses_or_variation() -> None:
    x = np.array([[0.0], [1.0], [0.0]])
    assert fit_relative_hazard(x, np.zeros(3, dtype=bool), np.ones(3)) is None
    assert fit_relative_hazard(np.ones((3, 1)), np.array([True, False, False]),
                               np.ones(3)) is None
