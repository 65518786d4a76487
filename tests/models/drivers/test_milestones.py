"""Milestones: candidates worth testing, retention with and without, ranked by reliability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from successlink.models.drivers.deciles import rates
from successlink.models.drivers.milestones import (
    Milestone,
    candidates,
    difference_interval,
    effect,
    rank_milestones,
)


def test_newcombe_hybrid_interval_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (a): 56/70 vs 48/80,
    # method 10 gives 0.0524 to 0.3339 for the difference 0.2.
    a, b = rates([56, 48], [70, 80])
    d, low, high = difference_interval(a, b)
    assert d == pytest.approx(0.2)
    assert low == pytest.approx(0.0524, abs=5e-4)
    assert high == pytest.approx(0.3339, abs=5e-4)


def test_effect_counts_retention_with_and_without() -> None:
    reached = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    retained = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    e = effect(Milestone("m", "m"), reached, retained)
    assert (e.reached.events, e.reached.accounts) == (3, 4)
    assert (e.not_reached.events, e.not_reached.accounts) == (1, 4)
    assert e.difference == pytest.approx(0.5)
    assert e.low < e.difference < e.high
    assert e.reach_share == 0.5


def test_candidates_skip_milestones_nearly_everyone_or_nobody_reaches() -> None:
    counts = {"onboarding_users": np.array([1, 2, 3, 6, 1, 1, 2, 12, 1, 1] * 5)}
    features = {"Invite Sent": np.array([True] * 50), "Export": np.array([True, False] * 25)}
    found = {m.key: r for m, r in candidates(counts, features, days=30, min_share=0.05)}
    assert "feature:Invite Sent" not in found  # everyone used it: nothing to compare
    assert found["feature:Export"].sum() == 25
    assert found["onboarding_users>=2"].sum() == 25
    assert "onboarding_users>=10" in found  # 5 of 50 = 10%
    labels = [m.label for m, _ in candidates(counts, features, days=30)]
    assert "2 or more people active in the first 30 days" in labels


def test_ranking_prefers_a_solid_difference_to_a_large_noisy_one() -> None:
    rng = np.random.default_rng(2)
    n = 2000
    solid = rng.random(n) < 0.5
    retained = np.where(solid, rng.random(n) < 0.85, rng.random(n) < 0.70)
    noisy = np.zeros(n, dtype=bool)
    noisy[:6] = True
    retained[:6] = True  # 6 of 6 retained: a 100% rate, but on six accounts
    ranked = rank_milestones([(Milestone("noisy", "noisy"), noisy),
                              (Milestone("solid", "solid"), solid)], retained)
    assert [e.milestone.key for e in ranked] == ["solid", "noisy"]


def test_an_empty_side_has_no_difference() -> None:
    e = effect(Milestone("m", "m"), np.ones(4, dtype=bool), np.ones(4, dtype=bool))
    assert math.isnan(e.difference) and math.isnan(e.low)
