"""Metrics that move together are grouped; unrelated ones stay apart."""

from __future__ import annotations

import numpy as np
import pytest

from successlink.models.drivers.groups import correlated_groups, rank_correlations


def test_monotone_relatives_group_and_noise_stays_alone() -> None:
    rng = np.random.default_rng(7)
    days = rng.integers(0, 30, 400).astype(float)
    columns = {
        "active_days_30": days,
        "events_30": days ** 2 + rng.random(400),    # monotone in days: rank correlation ~1
        "tickets_90d": rng.poisson(2.0, 400).astype(float),
        "days_since_active": 30.0 - days,             # perfectly anti-correlated: same story
    }
    groups = correlated_groups(columns, threshold=0.7)
    assert groups == [["active_days_30", "events_30", "days_since_active"], ["tickets_90d"]]


def test_missing_values_and_constants_do_not_break_the_matrix() -> None:
    names, rho = rank_correlations({"a": [1.0, np.nan, 3.0, 4.0], "b": [2.0, 2.0, 2.0, 2.0]})
    assert names == ["a", "b"]
    assert rho[0, 1] == 0.0 and rho[0, 0] == 1.0 and rho[1, 1] == 1.0


def test_edge_cases() -> None:
    assert correlated_groups({}) == []
    assert correlated_groups({"only": [1.0, 2.0]}) == [["only"]]
    with pytest.raises(ValueError, match="between 0 and 1"):
        correlated_groups({"a": [1.0], "b": [2.0]}, threshold=0.0)
