from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from successlink.errors import ConfigError
from successlink.program.plans import load_plan
from tests.program.plans import QUALITY_PLAN, quality_plan

HEAD = 'id = "p"\nversion = 1\nname = "P"\ncurrency = "USD"\neffective_from = 2026-01-01\n'


def test_the_documented_example_plan_parses() -> None:
    plan = quality_plan()
    assert (plan.id, plan.version, plan.currency) == ("quality", 1, "USD")
    assert plan.effective_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert [r.name for r in plan.rules] == ["first payment", "recurring year one"]
    assert plan.rules[1].months == 12 and plan.rules[1].percent == Decimal(20)
    assert plan.quality.affiliate_tier["gold"] == Decimal("1.1")
    assert [t.day for t in plan.vesting.tranches] == [30, 90, 180]


def test_the_plan_in_docs_program_md_is_valid() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "program.md").read_text(encoding="utf-8")
    block = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    plan = load_plan(block)
    assert plan.rules and plan.vesting.health_floor is not None


def test_a_plan_without_vesting_pays_everything_on_day_zero() -> None:
    plan = load_plan(HEAD + '[[rules]]\nname = "all"\npercent = 10\n')
    assert [(t.day, t.percent) for t in plan.vesting.tranches] == [(0, Decimal(100))]


@pytest.mark.parametrize(("body", "words"), [
    ('[[rules]]\nname = "r"\npercent = 10\nflat = "5.00"\n', "exactly one of `percent`"),
    ('[[rules]]\nname = "r"\n', "exactly one of `percent`"),
    ('[[rules]]\nname = "r"\nflat = "5.001"\n', "more decimals than USD allows"),
    ('[[rules]]\nname = "r"\npercent = 120\n', "rules.0.percent"),
    ('[[rules]]\nname = "r"\npercent = 10\n[vesting]\n'
     'tranches = [{ day = 30, percent = 50 }, { day = 60, percent = 40 }]\n', "add up to 100"),
    ('[[rules]]\nname = "r"\npercent = 10\n[vesting]\nhealth_floor = "blue"\n', "'blue'"),
    ('[[rules]]\nname = "r"\npercent = 10\n[quality.health_band]\namber = 1\n', "amber"),
    ('[[rules]]\nname = "r"\npercent = 10\nsurprise = 1\n', "rules.0.surprise"),
    ('[[rules]]\nname = "r"\npercent = 10\n[[rules.tiers]]\nmin_referrals = 5\npercent = 20\n'
     '[[rules.tiers]]\nmin_referrals = 3\npercent = 25\n', "increasing min_referrals"),
])
def test_a_bad_plan_names_the_field_and_the_problem(body: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as info:
        load_plan(HEAD + body)
    assert "docs/program.md" in info.value.render()


def test_a_plan_needs_a_known_currency_and_a_rule() -> None:
    with pytest.raises(ConfigError, match="ISO 4217"):
        load_plan(QUALITY_PLAN.replace('currency = "USD"', 'currency = "XYZ"'))
    with pytest.raises(ConfigError, match="rules"):
        load_plan(HEAD)


def test_an_unreadable_plan_file_says_which_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text("id = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the plan") as info:
        load_plan(path)
    assert str(path) in info.value.render()
