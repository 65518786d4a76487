"""Scoring on every backend: each scoring kind, the missing-data policies, caps and profiles,
with the expected numbers worked out by hand in the comments."""

from __future__ import annotations

from typing import Any

import pytest

from successlink.errors import ConfigError
from successlink.health import load_health_config, score_health
from successlink.warehouse.connect import Warehouse
from tests.health.conftest import by_account, components_of, metrics_table


def _one_measure(scoring: str, metric_type: type = float) -> tuple[Any, dict[str, type]]:
    """A config whose score is the points of one measure on column x."""
    config = load_health_config(f"""
        [profiles.only.groups.g]
        weight = 1
        [profiles.only.measures.m]
        group = "g"
        metric = "x"
        scoring = {scoring}
    """)
    return config, {"x": metric_type}


def _scores(wh: Warehouse, config: Any, types: dict[str, type],
            rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    health, _ = score_health(metrics_table(wh, rows, types=types), config)
    return by_account(health)


def test_linear_ramp_is_clamped_at_both_ends(wh: Warehouse) -> None:
    config, types = _one_measure('{ kind = "linear", worst = 0, best = 20 }')
    values = {"below": -3.0, "worst": 0.0, "quarter": 5.0, "best": 20.0, "beyond": 30.0}
    got = _scores(wh, config, types, [{"account_id": k, "x": v} for k, v in values.items()])
    # points = (x - 0) / (20 - 0) * 100, clamped to 0..100
    assert {k: r["score"] for k, r in got.items()} == pytest.approx(
        {"below": 0.0, "worst": 0.0, "quarter": 25.0, "best": 100.0, "beyond": 100.0})


def test_linear_ramp_runs_downwards_when_best_is_smaller(wh: Warehouse) -> None:
    config, types = _one_measure('{ kind = "linear", worst = 21, best = 2 }')
    values = {"fresh": 0.0, "best": 2.0, "middle": 11.5, "worst": 21.0, "stale": 40.0}
    got = _scores(wh, config, types, [{"account_id": k, "x": v} for k, v in values.items()])
    # points = (x - 21) / (2 - 21) * 100: 11.5 -> 9.5 / 19 = 50
    assert {k: r["score"] for k, r in got.items()} == pytest.approx(
        {"fresh": 100.0, "best": 100.0, "middle": 50.0, "worst": 0.0, "stale": 0.0})


def test_bands_score_the_highest_threshold_reached(wh: Warehouse) -> None:
    config, types = _one_measure('{ kind = "bands", bands = [[0, 100], [1, 40], [2, 0]] }',
                                 int)
    values = {"none": 0, "one": 1, "two": 2, "many": 7, "negative": -1}
    got = _scores(wh, config, types, [{"account_id": k, "x": v} for k, v in values.items()])
    # below the first threshold a value still scores the first band (-1 -> 100)
    assert {k: r["score"] for k, r in got.items()} == pytest.approx(
        {"none": 100.0, "one": 40.0, "two": 0.0, "many": 0.0, "negative": 100.0})


def test_bands_between_thresholds_take_the_lower_one(wh: Warehouse) -> None:
    config, types = _one_measure(
        '{ kind = "bands", bands = [[-0.5, 20], [-0.2, 50], [0.05, 100]] }')
    values = {"a": -0.9, "b": -0.5, "c": -0.3, "d": -0.2, "e": 0.0, "f": 0.05}
    got = _scores(wh, config, types, [{"account_id": k, "x": v} for k, v in values.items()])
    assert {k: r["score"] for k, r in got.items()} == pytest.approx(
        {"a": 20.0, "b": 20.0, "c": 20.0, "d": 50.0, "e": 50.0, "f": 100.0})


def test_points_map_categories_and_unlisted_ones_are_missing(wh: Warehouse) -> None:
    config, types = _one_measure(
        '{ kind = "points", points = { promoter = 100, passive = 60, detractor = 0 } }', str)
    rows = [{"account_id": "p", "x": "promoter"}, {"account_id": "q", "x": "passive"},
            {"account_id": "d", "x": "detractor"}, {"account_id": "u", "x": "unknown"},
            {"account_id": "n", "x": None}]
    got = _scores(wh, config, types, rows)
    assert {k: r["score"] for k, r in got.items()} == {
        "p": 100.0, "q": 60.0, "d": 0.0, "u": None, "n": None}


def test_points_other_scores_unlisted_categories_but_not_nulls(wh: Warehouse) -> None:
    config, types = _one_measure(
        '{ kind = "points", points = { promoter = 100 }, other = 30 }', str)
    rows = [{"account_id": "p", "x": "promoter"}, {"account_id": "u", "x": "unknown"},
            {"account_id": "n", "x": None}]
    got = _scores(wh, config, types, rows)
    assert {k: r["score"] for k, r in got.items()} == {"p": 100.0, "u": 30.0, "n": None}


def test_points_on_booleans_use_true_and_false(wh: Warehouse) -> None:
    config, types = _one_measure('{ kind = "points", points = { true = 100, false = 20 } }',
                                 bool)
    rows = [{"account_id": "t", "x": True}, {"account_id": "f", "x": False},
            {"account_id": "n", "x": None}]
    got = _scores(wh, config, types, rows)
    assert {k: r["score"] for k, r in got.items()} == {"t": 100.0, "f": 20.0, "n": None}


# Two groups, a (weight 3: a1 weight 1 on x1, a2 weight 3 on x2) and b (weight 1: b1 on x3);
# every measure is a 0..100 ramp, so points = the value. Full weights: a1 = 3/4 * 1/4 =
# 0.1875, a2 = 3/4 * 3/4 = 0.5625, b1 = 1/4.
_TYPES = {"x1": float, "x2": float, "x3": float}
_RAMP = '{ kind = "linear", worst = 0, best = 100 }'


def _two_groups(b_group: str = "", b1: str = "") -> Any:
    return load_health_config(f"""
        [profiles.base.groups.a]
        weight = 3
        [profiles.base.groups.b]
        weight = 1
        {b_group}
        [profiles.base.measures.a1]
        group = "a"
        metric = "x1"
        scoring = {_RAMP}
        [profiles.base.measures.a2]
        group = "a"
        metric = "x2"
        weight = 3
        scoring = {_RAMP}
        [profiles.base.measures.b1]
        group = "b"
        metric = "x3"
        scoring = {_RAMP}
        {b1}
    """)


def test_ignore_drops_a_missing_measure_and_reweights_its_group(wh: Warehouse) -> None:
    rows = [{"account_id": "full", "x1": 20.0, "x2": 40.0, "x3": 80.0},
            {"account_id": "no_a2", "x1": 20.0, "x2": None, "x3": 80.0},
            {"account_id": "no_b", "x1": 20.0, "x2": 40.0, "x3": None},
            {"account_id": "none", "x1": None, "x2": None, "x3": None}]
    health, components = score_health(metrics_table(wh, rows, types=_TYPES), _two_groups())
    got, parts = by_account(health), components_of(components)
    # full: 0.1875*20 + 0.5625*40 + 0.25*80 = 3.75 + 22.5 + 20 = 46.25
    assert got["full"]["score"] == pytest.approx(46.25)
    assert got["full"]["data_coverage"] == pytest.approx(1.0)
    # a2 missing: a1 carries group a alone (0.75): 0.75*20 + 0.25*80 = 35
    assert got["no_a2"]["score"] == pytest.approx(35.0)
    assert got["no_a2"]["data_coverage"] == pytest.approx(1 - 0.5625)
    assert parts["no_a2", "a1"]["weight"] == pytest.approx(0.75)
    assert parts["no_a2", "a2"]["weight"] == 0.0
    assert parts["no_a2", "a2"]["missing"] is True
    assert parts["no_a2", "a2"]["points"] is None
    assert parts["no_a2", "a2"]["contribution"] == 0.0
    # group b empty: group a gets everything: 0.25*20 + 0.75*40 = 35
    assert got["no_b"]["score"] == pytest.approx(35.0)
    assert got["no_b"]["data_coverage"] == pytest.approx(0.75)
    # nothing known: no score, no band
    assert got["none"]["score"] is None and got["none"]["band"] is None
    assert got["none"]["data_coverage"] == pytest.approx(0.0)


@pytest.mark.parametrize(("b_group", "b1", "expected"), [
    # neutral: b1 scores 50 at its full weight: 3.75 + 22.5 + 0.25*50 = 38.75
    ("", 'missing = "neutral"', 38.75),
    # penalise: b1 scores 0 (the default missing_points): 3.75 + 22.5 + 0 = 26.25
    ("", 'missing = "penalise"', 26.25),
    # penalise at 10 points: 3.75 + 22.5 + 0.25*10 = 28.75
    ("", 'missing = "penalise"\nmissing_points = 10', 28.75),
    # the group's policy is the default of its measures
    ('missing = "neutral"', "", 38.75),
    # ... and a measure's own policy wins over its group's
    ('missing = "neutral"', 'missing = "penalise"', 26.25),
])
def test_neutral_and_penalise_keep_the_weight_of_a_missing_measure(
        wh: Warehouse, b_group: str, b1: str, expected: float) -> None:
    rows = [{"account_id": "no_b", "x1": 20.0, "x2": 40.0, "x3": None}]
    health, components = score_health(metrics_table(wh, rows, types=_TYPES),
                                      _two_groups(b_group, b1))
    got, parts = by_account(health)["no_b"], components_of(components)
    assert got["score"] == pytest.approx(expected)
    assert parts["no_b", "b1"]["weight"] == pytest.approx(0.25)
    assert parts["no_b", "b1"]["missing"] is True
    # coverage counts only observed data, whatever the policy
    assert got["data_coverage"] == pytest.approx(0.75)


def test_contributions_add_up_to_the_score(wh: Warehouse) -> None:
    rows = [{"account_id": f"a{i}", "x1": x1, "x2": x2, "x3": x3}
            for i, (x1, x2, x3) in enumerate([(20.0, 40.0, 80.0), (None, 70.0, 10.0),
                                              (55.0, None, None), (0.0, 100.0, 33.3)])]
    health, components = score_health(metrics_table(wh, rows, types=_TYPES),
                                      _two_groups(b1='missing = "neutral"'))
    totals: dict[str, float] = {}
    for part in components_of(components).values():
        totals[part["account_id"]] = totals.get(part["account_id"], 0.0) + part["contribution"]
    scores = {k: r["score"] for k, r in by_account(health).items()}
    assert totals == pytest.approx(scores)
    assert len(components.to_pyarrow()) == 4 * 3


_CAPS = """
    [profiles.only.groups.g]
    weight = 1
    [profiles.only.measures.usage]
    group = "g"
    metric = "usage"
    weight = 8
    scoring = { kind = "linear", worst = 0, best = 100 }
    [profiles.only.measures.urgent]
    group = "g"
    metric = "urgent"
    scoring = { kind = "bands", bands = [[0, 100], [1, 40], [2, 0]] }
    caps_at = "yellow"
    [profiles.only.measures.fraud]
    group = "g"
    metric = "fraud"
    scoring = { kind = "bands", bands = [[0, 100], [1, 45]] }
    caps_at = "red"
    cap_below = 50
"""


def test_a_critical_measure_in_red_caps_the_band(wh: Warehouse) -> None:
    types = {"usage": float, "urgent": int, "fraud": int}
    rows = [  # weights: usage 0.8, urgent 0.1, fraud 0.1
        # 80 + 0 + 10 = 90 green; urgent scores 0 < 40: capped at yellow
        {"account_id": "fire", "usage": 100.0, "urgent": 2, "fraud": 0},
        # 80 + 4 + 10 = 94 green; urgent scores 40, not below 40: no cap
        {"account_id": "warm", "usage": 100.0, "urgent": 1, "fraud": 0},
        # 24 + 0 + 10 = 34 red already: a cap at yellow does not lift it
        {"account_id": "low", "usage": 30.0, "urgent": 2, "fraud": 0},
        # urgent unknown: re-weighted (usage 8/9, fraud 1/9) = 100 green; no data, no cap
        {"account_id": "unknown", "usage": 100.0, "urgent": None, "fraud": 0},
        # 80 + 0 + 4.5 = 84.5 green; both caps fire, the red one (fraud 45 < 50) wins
        {"account_id": "both", "usage": 100.0, "urgent": 2, "fraud": 1},
    ]
    health, _ = score_health(metrics_table(wh, rows, types=types),
                             load_health_config(_CAPS))
    got = {k: (r["score"], r["uncapped_band"], r["band"], r["capped_by"])
           for k, r in by_account(health).items()}
    assert got == {
        "fire": (pytest.approx(90.0), "green", "yellow", "urgent"),
        "warm": (pytest.approx(94.0), "green", "green", None),
        "low": (pytest.approx(34.0), "red", "red", None),
        "unknown": (pytest.approx(100.0), "green", "green", None),
        "both": (pytest.approx(84.5), "green", "red", "fraud"),
    }


_PROFILES = f"""
    [profiles.young]
    inherits = "base"
    when = [{{ column = "tenure_days", op = "<", value = 90 }}]
    groups.a.weight = 1
    measures.a2.scoring = {{ kind = "linear", worst = 0, best = 50 }}

    [profiles.enterprise]
    inherits = "base"
    when = [{{ column = "plan_name", op = "in", value = ["Enterprise"] }},
            {{ column = "seats", op = ">=", value = 10 }}]
    cutoffs = {{ red_below = 50, green_from = 80 }}

    [profiles.base.groups.a]
    weight = 3
    [profiles.base.groups.b]
    weight = 1
    [profiles.base.measures.a1]
    group = "a"
    metric = "x1"
    scoring = {_RAMP}
    [profiles.base.measures.a2]
    group = "a"
    metric = "x2"
    weight = 3
    scoring = {_RAMP}
    [profiles.base.measures.b1]
    group = "b"
    metric = "x3"
    scoring = {_RAMP}
"""


def test_first_matching_profile_scores_with_its_inherited_overrides(wh: Warehouse) -> None:
    types = {"tenure_days": float, "plan_name": str, "seats": int, **_TYPES}
    values = {"x1": 20.0, "x2": 40.0, "x3": 80.0}
    rows = [{"account_id": "new_ent", "tenure_days": 30.0, "plan_name": "Enterprise",
             "seats": 20, **values},
            {"account_id": "ent", "tenure_days": 400.0, "plan_name": "Enterprise",
             "seats": 20, **values},
            {"account_id": "small_ent", "tenure_days": 400.0, "plan_name": "Enterprise",
             "seats": 5, **values},
            {"account_id": "unknown_age", "tenure_days": None, "plan_name": "Team",
             "seats": 20, **values}]
    health, _ = score_health(metrics_table(wh, rows, types=types),
                             load_health_config(_PROFILES))
    got = {k: (r["profile"], r["score"], r["band"]) for k, r in by_account(health).items()}
    assert got == {
        # young: groups a and b weigh 1:1; a2 ramps to 50, so 40 -> 80 points:
        # 0.5*0.25*20 + 0.5*0.75*80 + 0.5*80 = 2.5 + 30 + 40 = 72.5
        "new_ent": ("young", pytest.approx(72.5), "green"),
        # enterprise: base weights (46.25, see above) with stricter cut-offs 50 / 80 -> red
        "ent": ("enterprise", pytest.approx(46.25), "red"),
        # fails the seats condition: base, yellow under the default cut-offs
        "small_ent": ("base", pytest.approx(46.25), "yellow"),
        # a null tenure fails `< 90`: the catch-all profile
        "unknown_age": ("base", pytest.approx(46.25), "yellow"),
    }


def test_a_column_missing_from_account_metrics_is_named(wh: Warehouse) -> None:
    table = metrics_table(wh, [{"account_id": "a", "x1": 1.0}], types={"x1": float})
    with pytest.raises(ConfigError, match=r"measures\.a2\.metric: account_metrics has no "
                                          r"column 'x2'"):
        score_health(table, _two_groups())
