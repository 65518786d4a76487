"""Explanations: the right drivers, the cap, the gaps and the trend, in words."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from rich.console import Console

from successlink.health import load_health_config
from successlink.health.explain import explain, render_explanation

CONFIG = load_health_config("""
[profiles.mature.groups.usage]
weight = 1
[profiles.mature.groups.support]
weight = 1
[profiles.mature.measures.active_days]
group = "usage"
metric = "active_days_30"
label = "Active days (last 30)"
says = "Active on {value:.0f} of the last 30 days"
scoring = { kind = "linear", worst = 0, best = 20 }
[profiles.mature.measures.adoption]
group = "usage"
metric = "key_feature_adoption"
label = "Key-feature adoption"
says = "{value:.0%} of the key features adopted"
scoring = { kind = "linear", worst = 0, best = 0.8 }
[profiles.mature.measures.urgent]
group = "support"
metric = "open_urgent_tickets"
label = "Open urgent tickets"
says = "{value:.0f} urgent tickets open"
scoring = { kind = "bands", bands = [[0, 100], [1, 40], [2, 0]] }
caps_at = "yellow"
[profiles.mature.measures.champion]
group = "support"
metric = "champion_present"
label = "Champion"
says = { true = "A champion is named in the CRM", false = "No champion named in the CRM" }
scoring = { kind = "points", points = { true = 100, false = 20 } }
""")


def _part(measure: str, group: str, value: Any, points: Any, weight: float,
          missing: bool = False) -> dict[str, Any]:
    contribution = 0.0 if points is None else weight * points
    return {"account_id": "acme", "measure": measure, "group": group, "value": value,
            "value_text": None, "points": points, "weight": weight,
            "contribution": contribution, "missing": missing}


# Now: usage group (weight 1/2): active 4 days -> 20 points, adoption 0.75 -> 93.75 points;
# support (1/2): urgent 2 -> 0 points, champion missing (ignored) -> urgent takes the group.
NOW = [_part("active_days", "usage", 4.0, 20.0, 0.25),
       _part("adoption", "usage", 0.75, 93.75, 0.25),
       _part("urgent", "support", 2.0, 0.0, 0.5),
       _part("champion", "support", math.nan, math.nan, 0.0, missing=True)]
# score = 0.25*20 + 0.25*93.75 + 0 = 28.4375 -> red by the score alone
HEALTH = {"account_id": "acme", "as_of": date(2024, 3, 31), "profile": "mature",
          "score": 28.4375, "band": "red", "uncapped_band": "red", "capped_by": None,
          "data_coverage": 0.75}
# 30 days earlier: active 18 days (90 points), same adoption, no urgent ticket, a champion
BEFORE = [_part("active_days", "usage", 18.0, 90.0, 0.25),
          _part("adoption", "usage", 0.75, 93.75, 0.25),
          _part("urgent", "support", 0.0, 100.0, 0.25),
          _part("champion", "support", 1.0, 100.0, 0.25)]
BEFORE_HEALTH = {**HEALTH, "as_of": date(2024, 3, 1), "score": 95.9375, "band": "green",
                 "uncapped_band": "green", "data_coverage": 1.0}


def test_headline_and_drivers_in_words() -> None:
    e = explain(HEALTH, NOW, config=CONFIG)
    assert e.headline == "Health 28 of 100: red (scored with the mature profile)."
    # adoption lifts (0.25 * (93.75 - 50) = +10.9); urgent (0.5 * -50) and active days
    # (0.25 * -30) drag, the worst first
    assert e.positives == ("75% of the key features adopted (94 points of 100, 25% of the "
                           "score)",)
    assert e.negatives == (
        "2 urgent tickets open (0 points of 100, 50% of the score)",
        "Active on 4 of the last 30 days (20 points of 100, 25% of the score)")
    assert e.missing == ("Champion: no data, left out (the other measures carry its "
                         "weight).",)
    assert e.cap is None and e.trend == ()


def test_a_cap_is_explained_with_its_cause() -> None:
    capped = {**HEALTH, "score": 75.0, "band": "yellow", "uncapped_band": "green",
              "capped_by": "urgent"}
    e = explain(capped, NOW, config=CONFIG)
    assert e.cap == ("Capped at yellow (the score alone says green) because: 2 urgent tickets "
                     "open (0 points of 100, 50% of the score).")


def test_trend_gives_the_delta_and_the_measures_that_moved_most() -> None:
    e = explain(HEALTH, NOW, BEFORE_HEALTH, BEFORE, config=CONFIG)
    assert e.score_delta == -67.5
    assert e.trend[0] == "Down 68 points since 2024-03-01 (96 -> 28; green -> red)."
    # contribution changes: urgent 0 - 25 = -25, active 5 - 22.5 = -17.5, champion 0 - 25
    # = -25, adoption 0: urgent and champion tie at -25, then active days
    moved = e.trend[1:]
    assert len(moved) == 3
    assert moved[0].startswith("Open urgent tickets: -25.0 points to the score (now: 2 urgent "
                               "tickets open; before: 0 urgent tickets open)")
    assert moved[1].startswith("Champion: -25.0 points to the score (now: Champion: no data; "
                               "before: A champion is named in the CRM)")
    assert moved[2].startswith("Active days (last 30): -17.5 points")


def test_unknown_measures_and_no_config_still_read() -> None:
    part = {**_part("mystery", "other", 3.0, 60.0, 1.0)}
    e = explain({**HEALTH, "score": 60.0, "band": "yellow"}, [part], config=CONFIG)
    assert e.positives == ("mystery: 3 (60 points of 100, 100% of the score)",)


def test_render_prints_a_panel_with_every_section() -> None:
    e = explain(HEALTH, NOW, BEFORE_HEALTH, BEFORE, config=CONFIG)
    console = Console(width=120, record=True)
    console.print(render_explanation(e))
    text = console.export_text()
    for expected in ["Health of acme as of 2024-03-31", "Health 28 of 100: red", "Hurting:",
                     "Helping:", "Missing data:", "Trend:", "Active on 4 of the last 30 days"]:
        assert expected in text
