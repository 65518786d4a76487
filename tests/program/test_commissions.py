from __future__ import annotations

from datetime import UTC, datetime

import pytest

from successlink.program.commissions import add_months, commissions, plan_in_force
from successlink.program.facts import AccountFacts, Referral
from successlink.program.plans import load_plan
from tests.program.plans import T0, day, facts, quality_plan, sale

HEAD = 'id = "p"\nversion = {v}\nname = "P"\ncurrency = "USD"\neffective_from = {start}\n'


def _plan(body: str, version: int = 1, start: str = "2026-01-01"):
    return load_plan(HEAD.format(v=version, start=start) + body)


def pfacts(*sales, **more) -> AccountFacts:
    return facts(*sales, plan_id="p", **more)


def _amounts(f: AccountFacts, *plans) -> list[int]:
    return [c.amount_minor for c in commissions(f, plans)]


def test_percent_with_quality_multipliers() -> None:
    # 30% of 100.00 = 30.00; gold x1.1 = 33.00; yellow health x0.8 = 26.40
    c = commissions(facts(sale(affiliate_tier="gold", health_band="yellow")),
                    [quality_plan()])[0]
    assert c.amount_minor == 2640
    assert (c.plan_id, c.plan_version) == ("quality", 1)
    assert "30%" in c.explanation and "× 1.1 for a gold affiliate" in c.explanation
    assert "× 0.8 for an account in yellow health" in c.explanation
    assert c.explanation.endswith("= 26.40 USD.")
    assert c.inputs["health_band"] == "yellow" and c.inputs["amount_minor"] == 10_000


def test_an_account_not_activated_earns_the_activation_multiplier() -> None:
    # 30% of 100.00 x0.5 = 15.00; activated=None (unknown) is not penalised
    f = facts(sale("a", activated=False), sale("b", at=1, activated=None))
    assert _amounts(f, quality_plan()) == [1500, 3000]


def test_rounding_is_once_and_half_up() -> None:
    # 30% of 41.15 = 12.345 -> 12.35 (half up); x0.9 bronze: 11.1105 -> 11.11
    f = facts(sale("a", 4115), sale("b", 4115, at=1, affiliate_tier="bronze"))
    assert _amounts(f, quality_plan()) == [1235, 1111]


def test_recurring_payments_earn_only_inside_their_months() -> None:
    # referred 2026-02-01: months=12 covers payments before 2027-02-01 12:00
    f = facts(sale("m0"), sale("m11", at=364, first=False), sale("m12", at=365, first=False))
    assert _amounts(f, quality_plan()) == [3000, 2000, 0]
    last = commissions(f, [quality_plan()])[2]
    assert "no rule of plan quality v1 covers it" in last.explanation


def test_months_are_calendar_months_clamped_to_the_month_end() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2024, 1, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 14) == datetime(2028, 1, 15,
                                                                          tzinfo=UTC)


def test_flat_amounts_products_and_prices() -> None:
    plan = _plan('[[rules]]\nname = "pro"\nproducts = ["prod_pro"]\nflat = "50.00"\n'
                 '[[rules]]\nname = "annual"\nprices = ["price_y"]\npercent = 10\n')
    f = pfacts(sale("a", product_id="prod_pro"), sale("b", at=1, price_id="price_y"),
              sale("c", at=2, product_id="prod_basic"))
    assert _amounts(f, plan) == [5000, 1000, 0]


def test_a_flat_amount_is_not_paid_on_a_sale_in_another_currency() -> None:
    plan = _plan('[[rules]]\nname = "flat"\nflat = "50.00"\n')
    eur = sale("a").__class__(sale_id="a", amount_minor=10_000, currency="EUR", paid_at=T0,
                              first_payment=True)
    c = commissions(pfacts(eur), [plan])[0]
    assert c.amount_minor == 0 and "in USD and the invoice is in EUR" in c.explanation


def test_a_cap_is_used_up_in_payment_order_across_sales() -> None:
    plan = _plan('[[rules]]\nname = "capped"\npercent = 50\ncap = "80.00"\n')
    # 50.00 each; the cap of 80.00 leaves 30.00 for the second and nothing for the third
    f = pfacts(sale("c", at=2), sale("a", at=0), sale("b", at=1))
    got = commissions(f, [plan])
    assert [(c.sale.sale_id, c.amount_minor) for c in got] == [("a", 5000), ("b", 3000),
                                                               ("c", 0)]
    assert "capped at the 30.00 USD left of the rule's 80.00 USD per account" in \
        got[1].explanation


def test_tiers_follow_the_affiliates_paying_referrals() -> None:
    plan = _plan('[[rules]]\nname = "tiered"\npercent = 20\n'
                 '[[rules.tiers]]\nmin_referrals = 10\npercent = 25\n'
                 '[[rules.tiers]]\nmin_referrals = 50\npercent = 30\n')
    f = pfacts(sale("a", active_referrals=9), sale("b", at=1, active_referrals=10),
              sale("c", at=2, active_referrals=75))
    assert _amounts(f, plan) == [2000, 2500, 3000]
    assert "tier of 10+ paying referrals" in commissions(f, [plan])[1].explanation


def test_the_version_in_force_on_the_payment_day_pays_it() -> None:
    v1 = _plan('[[rules]]\nname = "r"\npercent = 10\n', 1, "2026-01-01")
    v2 = _plan('[[rules]]\nname = "r"\npercent = 15\n', 2, "2026-03-01")
    f = pfacts(sale("feb", at=10), sale("mar", at=40))
    got = commissions(f, [v2, v1])
    assert [(c.amount_minor, c.plan_version) for c in got] == [(1000, 1), (1500, 2)]
    assert plan_in_force([v1, v2], "p", day(-60)) is None


def test_no_plan_in_force_earns_nothing_and_says_so() -> None:
    f = AccountFacts(Referral("acc", "aff", "missing", T0), frozenset([sale()]))
    c = commissions(f, [quality_plan()])[0]
    assert c.amount_minor == 0 and "plan 'missing' was not in force" in c.explanation


@pytest.mark.parametrize("amount", [0, 1, 3])
def test_tiny_sales_round_to_whole_minor_units(amount: int) -> None:
    # 30% of 0, 1 and 3 minor units: 0, 0.3 -> 0, 0.9 -> 1
    assert _amounts(facts(sale(amount_minor=amount)), quality_plan()) == \
        [{0: 0, 1: 0, 3: 1}[amount]]
