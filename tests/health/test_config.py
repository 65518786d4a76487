"""The health config: inheritance, and errors that name the key and say what to do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from successlink.errors import ConfigError
from successlink.health.config import (
    BandScoring,
    LinearScoring,
    default_health_config,
    load_health_config,
)

_BASE = """
[profiles.base.groups.usage]
weight = 2
[profiles.base.groups.support]
weight = 1
[profiles.base.measures.active]
group = "usage"
metric = "active_days_30"
scoring = { kind = "linear", worst = 0, best = 20 }
[profiles.base.measures.urgent]
group = "support"
metric = "open_urgent_tickets"
scoring = { kind = "bands", bands = [[0, 100], [1, 40], [2, 0]] }
"""


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_health_config(text)
    return caught.value.render()


def test_a_minimal_profile_loads_with_normalised_nominal_weights() -> None:
    profile = load_health_config(_BASE).profile("base")
    # usage 2/3 of the score, support 1/3, one measure each
    assert profile.nominal_weight("active") == pytest.approx(2 / 3)
    assert profile.nominal_weight("urgent") == pytest.approx(1 / 3)
    assert profile.policy("active") == "ignore"
    assert (profile.cutoffs.red_below, profile.cutoffs.green_from) == (40, 70)


def test_loader_accepts_a_path(tmp_path: Path) -> None:
    path = tmp_path / "health.toml"
    path.write_text(_BASE, encoding="utf-8")
    assert load_health_config(path).profiles[0].name == "base"


def test_an_unreadable_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "health.toml"
    path.write_text("[profiles.base\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=str(path)):
        load_health_config(path)


def test_inheritance_overrides_parts_and_replaces_a_scoring_whole() -> None:
    config = load_health_config("""
        [profiles.young]
        inherits = "base"
        when = [{ column = "tenure_days", op = "<", value = 90 }]
        groups.usage.weight = 5
        measures.urgent.scoring = { kind = "linear", worst = 3, best = 0 }
        measures.urgent.caps_at = "yellow"
    """ + _BASE)
    young, base = config.profile("young"), config.profile("base")
    assert young.groups["usage"].weight == 5 and base.groups["usage"].weight == 2
    assert young.measures["urgent"].scoring == LinearScoring(kind="linear", worst=3, best=0)
    assert isinstance(base.measures["urgent"].scoring, BandScoring)
    assert young.measures["urgent"].caps_at == "yellow"
    assert young.measures["active"] == base.measures["active"]
    assert [p.name for p in config.profiles] == ["young", "base"]


def test_a_rule_is_not_inherited() -> None:
    config = load_health_config(_BASE.replace("[profiles.base.groups.usage]", """
        [profiles.base]
        when = [{ column = "seats", op = ">", value = 5 }]
        [profiles.base.groups.usage]""") + """
        [profiles.rest]
        inherits = "base"
    """)
    assert config.profile("rest").when == []


def test_group_policy_is_the_default_of_its_measures() -> None:
    config = load_health_config(_BASE.replace("weight = 1", 'weight = 1\nmissing = "neutral"'))
    assert config.profile("base").policy("urgent") == "neutral"
    assert config.profile("base").policy("active") == "ignore"


@pytest.mark.parametrize(("change", "expected"), [
    (("worst = 0, best = 20", "worst = 5, best = 5"),
     r"measures\.active\.scoring\.linear: .*both 5; a ramp needs two different values"),
    (("[[0, 100], [1, 40], [2, 0]]", "[[0, 100], [2, 40], [1, 0]]"),
     r"measures\.urgent\.scoring\.bands: .*must be strictly ascending"),
    (("[[0, 100], [1, 40], [2, 0]]", "[[0, 100], [1, 140]]"),
     r"points must lie between 0 and 100, got \[140\.0\]"),
    (('group = "support"', 'group = "suport"'),
     r"measure 'urgent' names group 'suport', which is not defined; known groups"),
    (("weight = 2", "weight = 0"), r"groups\.usage\.weight: .*greater than 0"),
    (('metric = "active_days_30"', 'metric = "active_days_30"\nwieght = 3'),
     r"measures\.active\.wieght: Extra inputs are not permitted"),
    (('kind = "linear"', 'kind = "ramp"'),
     r"measures\.active\.scoring: .*'ramp'.*'bands', 'linear', 'points'"),
    (('group = "usage"', 'group = "usage"\nmissing = "skip"'),
     r"measures\.active\.missing: Input should be 'ignore', 'neutral' or 'penalise'"),
    (('group = "usage"', 'group = "usage"\nsays = "Active {days} days"'),
     r"may use only \{value\}, found \['days'\]"),
    (('group = "usage"', 'group = "usage"\ncaps_at = "green"'),
     r"measures\.active\.caps_at: Input should be 'red' or 'yellow'"),
])
def test_invalid_values_are_named_with_their_key(change: tuple[str, str], expected: str) -> None:
    message = _error(_BASE.replace(*change))
    assert "docs/metrics/health.md" in message
    assert re.search(expected, message), message


def test_a_group_without_enabled_measures_says_how_to_fix_it() -> None:
    message = _error(_BASE.replace('metric = "open_urgent_tickets"',
                                   'metric = "open_urgent_tickets"\nenabled = false'))
    assert "group 'support' has no enabled measures" in message
    assert "set enabled = false on the group" in message


@pytest.mark.parametrize(("text", "expected"), [
    ("", "no profiles defined"),
    ("[cutof]\nred_below = 30\n" + _BASE, r"unknown top-level key\(s\) \['cutof'\]"),
    ("[cutoffs]\nred_below = 80\ngreen_from = 70\n" + _BASE,
     r"red_below \(80\) must not exceed green_from \(70\)"),
    (_BASE + "[profiles.kid]\ninherits = 'nobody'\n",
     r"profiles\.kid\.inherits names unknown profile 'nobody'"),
    ("[profiles.a]\ninherits = 'b'\n[profiles.b]\ninherits = 'a'\n",
     r"profiles inherit in a circle: a -> b -> a"),
    ("[profiles.base]\nwhen = [{ column = 'seats', op = '>', value = 5 }]\n" + _BASE,
     r"the last profile 'base' has a `when` rule"),
    (_BASE + "[profiles.late]\ninherits = 'base'\n",
     r"profile 'base' has no `when` rule but is not the last profile"),
    ("[profiles.x]\ninherits = 'base'\nwhen = [{ column = 'plan_name', op = 'in', "
     "value = 'Pro' }]\n" + _BASE, r"op 'in' needs a list as `value`"),
    ("[profiles.x]\ninherits = 'base'\nwhen = [{ column = 'seats', op = 'is null', "
     "value = 1 }]\n" + _BASE, r"op 'is null' takes no value"),
])
def test_structural_errors_say_what_to_do(text: str, expected: str) -> None:
    message = _error(text)
    assert re.search(expected, message), message


def test_the_default_config_loads_with_an_onboarding_and_a_mature_profile() -> None:
    config = default_health_config()
    assert [p.name for p in config.profiles] == ["onboarding", "mature"]
    onboarding, mature = config.profile("onboarding"), config.profile("mature")
    assert "nps" in mature.active_measures() and "nps" not in onboarding.active_measures()
    assert "expansion" not in onboarding.active_groups()
    for profile in config.profiles:
        total = sum(profile.nominal_weight(m) for m in profile.active_measures())
        assert total == pytest.approx(1.0)
    # onboarding weighs usage more than mature does
    usage = [sum(p.nominal_weight(m) for m in p.active_measures("usage"))
             for p in (onboarding, mature)]
    assert usage[0] > usage[1]
