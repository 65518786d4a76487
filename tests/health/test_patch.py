"""Weights are edited in place: comments, order and every other setting survive."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from successlink.health.config import load_health_config
from successlink.health.patch import set_weights

TEXT = """\
# the team's comment
[profiles.mature.groups.usage]
label = "Usage"   # why
weight = 35  # usage first

[profiles.mature.groups.support]
label = "Support"

[profiles.mature.measures.active_days]
group = "usage"
weight = 2
"""


def test_weights_are_replaced_added_and_appended() -> None:
    out = set_weights(TEXT, {"profiles.mature.groups.usage": 40.5,
                             "profiles.mature.groups.support": 12.0,
                             "profiles.onboarding.measures.active_days": 3.0})
    assert "# the team's comment" in out
    assert "weight = 40.5  # usage first" in out
    assert out.index("weight = 12.0") > out.index("[profiles.mature.groups.support]")
    data = tomllib.loads(out)
    assert data["profiles"]["mature"]["groups"]["support"] == {"label": "Support",
                                                               "weight": 12.0}
    assert data["profiles"]["onboarding"]["measures"]["active_days"] == {"weight": 3.0}
    assert data["profiles"]["mature"]["measures"]["active_days"]["weight"] == 2


def test_a_weight_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        set_weights(TEXT, {"profiles.mature.groups.usage": 0.0})


def test_the_shipped_config_takes_every_weight_and_stays_valid() -> None:
    text = resources.files("successlink.health").joinpath("default_health.toml").read_text()
    config = load_health_config(None)
    weights = {}
    for p in config.profiles:
        for g in p.active_groups():
            weights[f"profiles.{p.name}.groups.{g}"] = 7.5
        for m in p.active_measures():
            weights[f"profiles.{p.name}.measures.{m}"] = 1.5
    patched = load_health_config(set_weights(text, weights))
    for p in patched.profiles:
        assert {patched.profile(p.name).groups[g].weight for g in p.active_groups()} == {7.5}
        assert {p.measures[m].weight for m in p.active_measures()} == {1.5}
        original = config.profile(p.name)
        assert [m.scoring for m in p.measures.values()] == \
            [m.scoring for m in original.measures.values()]


@given(st.dictionaries(st.sampled_from(["profiles.mature.groups.usage",
                                        "profiles.mature.groups.support",
                                        "profiles.mature.measures.active_days",
                                        "profiles.x.groups.y"]),
                       st.floats(min_value=0.1, max_value=1000.0), min_size=1))
def test_only_the_named_weights_change(weights: dict[str, float]) -> None:
    out = tomllib.loads(set_weights(TEXT, weights))
    for path, value in weights.items():
        table = out
        for part in path.split("."):
            table = table[part]
        assert table["weight"] == pytest.approx(value, abs=0.006)
