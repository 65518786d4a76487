"""The shipped default profile scores realistic accounts sensibly, identically everywhere."""

from __future__ import annotations

from typing import Any

import ibis
import pytest

from successlink.health import default_health_config, score_health
from successlink.warehouse.connect import Warehouse
from tests.health.conftest import arrow_table, by_account, components_of, metrics_table

TYPES: dict[str, type] = {
    "tenure_days": float, "status": str, "seats": int, "active_days_30": int,
    "seat_utilisation": float, "usage_trend": float, "days_since_active": float,
    "key_feature_adoption": float, "champion_present": bool, "decision_maker_engaged": bool,
    "open_urgent_tickets": int, "tickets_90d": int, "escalations_90d": int,
    "ticket_csat_pct_90d": float, "nps_latest_score": int, "nps_latest_category": str,
    "csat_pct_satisfied": float, "expansion_count_365d": int, "downgrade_count": int,
}
HEALTHY: dict[str, Any] = {
    "tenure_days": 400.0, "status": "active", "seats": 10, "active_days_30": 22,
    "seat_utilisation": 0.9, "usage_trend": 0.08, "days_since_active": 1.0,
    "key_feature_adoption": 0.8, "champion_present": True, "decision_maker_engaged": True,
    "open_urgent_tickets": 0, "tickets_90d": 2, "escalations_90d": 0,
    "ticket_csat_pct_90d": 96.0, "nps_latest_score": 9, "nps_latest_category": "promoter",
    "csat_pct_satisfied": 95.0, "expansion_count_365d": 1, "downgrade_count": 0,
}
FAILING: dict[str, Any] = {
    "tenure_days": 400.0, "status": "active", "seats": 10, "active_days_30": 1,
    "seat_utilisation": 0.1, "usage_trend": -0.7, "days_since_active": 26.0,
    "key_feature_adoption": 0.2, "champion_present": False, "decision_maker_engaged": False,
    "open_urgent_tickets": 3, "tickets_90d": 14, "escalations_90d": 3,
    "ticket_csat_pct_90d": 40.0, "nps_latest_score": 2, "nps_latest_category": "detractor",
    "csat_pct_satisfied": 30.0, "expansion_count_365d": 0, "downgrade_count": 2,
}
ROWS = [
    {"account_id": "healthy", **HEALTHY},
    {"account_id": "failing", **FAILING},
    # healthy usage, but two urgent tickets open: capped at yellow
    {"account_id": "on_fire", **HEALTHY, "open_urgent_tickets": 2},
    # healthy, but its latest NPS answer is a 3: a strong detractor caps at yellow
    {"account_id": "detractor", **HEALTHY, "nps_latest_score": 3},
    # a new account: the onboarding profile, whose NPS answer (a 2) is not scored
    {"account_id": "new", **HEALTHY, "tenure_days": 20.0, "nps_latest_score": 2},
    # nothing but usage known
    {"account_id": "sparse", **{k: None for k in HEALTHY}, "active_days_30": 12},
]


def test_default_scores_realistic_accounts_sensibly(wh: Warehouse) -> None:
    """One query, several behaviours (compiling the default config costs seconds)."""
    health, _ = score_health(metrics_table(wh, ROWS, types=TYPES), default_health_config())
    got = by_account(health)
    # healthy is green, failing is red
    assert (got["healthy"]["band"], got["healthy"]["profile"]) == ("green", "mature")
    assert got["healthy"]["score"] > 90
    assert got["healthy"]["data_coverage"] == pytest.approx(1.0)
    assert got["failing"]["band"] == "red" and got["failing"]["score"] < 15
    # critical measures cap an otherwise green account at yellow
    for account, cap in [("on_fire", "open_urgent_tickets"), ("detractor", "nps")]:
        row = got[account]
        assert (row["uncapped_band"], row["band"], row["capped_by"]) == ("green", "yellow", cap)
    # tenure unknown -> mature; only active days (12 of 20 -> 60 points) is known, the rest
    # is ignored and re-weighted, so the score is that measure's points
    assert got["sparse"]["profile"] == "mature"
    assert got["sparse"]["score"] == pytest.approx(60.0)
    assert got["sparse"]["data_coverage"] == pytest.approx(0.14)  # 35/100 * 2/5


def test_new_accounts_are_scored_on_activation_not_nps(wh: Warehouse) -> None:
    health, components = score_health(metrics_table(wh, ROWS, types=TYPES),
                                      default_health_config())
    got, parts = by_account(health), components_of(components)
    # its NPS answer is a 2, which would cap a mature account; onboarding ignores it
    assert got["new"]["profile"] == "onboarding"
    assert got["new"]["band"] == "green" and got["new"]["capped_by"] is None
    assert ("new", "nps") not in parts and ("new", "expansions") not in parts
    assert ("healthy", "nps") in parts


def test_every_backend_gives_the_same_numbers(wh: Warehouse) -> None:
    config = default_health_config()
    health, components = score_health(metrics_table(wh, ROWS, types=TYPES), config)
    local = ibis.duckdb.connect().create_table("account_metrics",
                                               obj=arrow_table(ROWS, types=TYPES))
    ref_health, ref_components = score_health(local, config)
    _same(by_account(health), by_account(ref_health))
    _same(components_of(components), components_of(ref_components))


def _same(got: dict[Any, dict[str, Any]], expected: dict[Any, dict[str, Any]]) -> None:
    assert got.keys() == expected.keys()
    for key, row in got.items():
        for column, value in row.items():
            if isinstance(value, float):
                assert value == pytest.approx(expected[key][column], rel=1e-12), (key, column)
            else:
                assert value == expected[key][column], (key, column)
