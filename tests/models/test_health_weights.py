"""Learned health weights: recover the truth, never go negative, rank like the data says."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from successlink.health.config import load_health_config
from successlink.models.health_weights import (
    auc,
    fit_weights,
    nominal_shares,
    suggested_weights,
)


def _world(n: int = 20_000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 100, (n, 3))
    # Churn falls with the first measure (strongly) and the second (weakly); the third is
    # noise, and more of it would even *raise* churn slightly (a weight must still be >= 0).
    eta = 1.0 - 3.0 * points[:, 0] / 100 - 1.0 * points[:, 1] / 100 + 0.3 * points[:, 2] / 100
    churned = rng.random(n) < expit(eta)
    return points, churned


def test_the_fit_recovers_the_weights_that_made_the_data() -> None:
    points, churned = _world()
    learned = fit_weights(["a", "b", "c"], points, churned, ridge=0.0)
    assert learned.weight("a") == pytest.approx(3.0, abs=0.25)
    assert learned.weight("b") == pytest.approx(1.0, abs=0.25)
    assert learned.weight("c") == 0.0  # held at zero: more points never mean more risk
    assert learned.accounts == 20_000 and 0 < learned.churned < 20_000


def test_missing_points_take_the_measures_mean() -> None:
    points, churned = _world(4_000)
    holes = points.copy()
    holes[::3, 1] = np.nan
    learned = fit_weights(["a", "b", "c"], holes, churned)
    assert np.isfinite(learned.score(holes)).all()


def test_auc_is_the_probability_a_churner_scores_lower() -> None:
    # churners score 10 and 30, stayers 20 and 40: pairs (10<20, 10<40, 30>20, 30<40) = 3/4
    assert auc([1, 1, 0, 0], [10, 30, 20, 40]) == 0.75
    assert auc([1, 0], [5, 5]) == 0.5
    assert np.isnan(auc([0, 0], [1, 2]))


def test_suggested_weights_follow_the_learned_ones_within_the_profile() -> None:
    config = load_health_config(None)
    mature = config.profile("mature")
    measures = mature.active_measures()
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 100, (5_000, len(measures)))
    eta = -1.0 + 2.0 - 4.0 * points[:, measures.index("active_days")] / 100
    churned = rng.random(5_000) < expit(eta)
    learned = fit_weights(measures, points, churned)
    weights = suggested_weights(mature, learned, prefix="profiles.mature")
    groups = {k: v for k, v in weights.items() if ".groups." in k}
    assert sum(groups.values()) == pytest.approx(100.0, abs=0.5)
    assert max(groups, key=groups.__getitem__) == "profiles.mature.groups.usage"
    assert all(v >= 0.1 for v in weights.values())
    shares = nominal_shares(mature, weights, prefix="profiles.mature")
    assert max(shares, key=shares.__getitem__) == "active_days"
    assert sum(shares.values()) == pytest.approx(1.0)


def test_a_fit_needs_both_outcomes_and_matching_shapes() -> None:
    with pytest.raises(ValueError, match="churned and accounts that stayed"):
        fit_weights(["a"], np.ones((3, 1)), [0, 0, 0])
    with pytest.raises(ValueError, match="one row per account"):
        fit_weights(["a", "b"], np.ones((3, 1)), [0, 1, 0])
