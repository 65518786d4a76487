"""Plan simulation on hand-checked accounts (QUALITY_PLAN: 30% of a first payment in
34/33/33% tranches at days 30/90/180; churn lapses what has not vested)."""

from __future__ import annotations

from fractions import Fraction

from successlink.program.facts import AccountFacts, Referral, Refund
from successlink.program.plans import load_plan
from successlink.program.simulate import changes, revenue, simulate
from tests.program.plans import T0, day, quality_plan, sale

FLAT10 = load_plan('id = "flat10"\nversion = 3\nname = "10%, paid at once"\ncurrency = "USD"\n'
                   'effective_from = 2030-01-01\n[[rules]]\nname = "all"\npercent = 10\n')


def _account(account: str, affiliate: str, *sales: object, **more: object) -> AccountFacts:
    return AccountFacts(Referral(account, affiliate, "quality", T0),
                        frozenset(sales), **more)  # type: ignore[arg-type]


ACCOUNTS = [
    _account("a", "aff_1", sale("in_a", 10_000),
             refunds=frozenset([Refund("in_a", 10_000, day(10))])),   # refunded in full
    _account("b", "aff_1", sale("in_b", 20_000)),
    _account("c", "aff_2", sale("in_c", 10_000), churns=frozenset([day(60)])),
]


def test_revenue_is_net_of_refunds() -> None:
    assert revenue(ACCOUNTS[0]) == {"USD": 0}
    assert revenue(ACCOUNTS[1]) == {"USD": 20_000}


def test_cost_net_value_and_roi_per_affiliate() -> None:
    rows = {(o.plan, o.affiliate_id): o for o in simulate(ACCOUNTS, [quality_plan()], [FLAT10],
                                                          day(400))}
    now = rows[("current", "aff_1")]
    # a: refunded, nothing paid; b: 30% of 200.00 = 60.00, all vested by day 180
    assert (now.accounts, now.revenue_minor, now.cost_minor, now.net_minor) == (
        2, 20_000, 6_000, 14_000)
    assert now.roi == 14_000 / 6_000
    # c: 30.00 = 10.20 + 9.90 + 9.90; churn on day 60 keeps only the day-30 tranche
    assert rows[("current", "aff_2")].cost_minor == 1_020
    # the candidate (effective only in 2030) is applied to every sale: 10%, at once
    assert rows[("flat10 v3", "aff_1")].cost_minor == 2_000
    assert rows[("flat10 v3", "aff_2")].cost_minor == 1_000


def test_winners_and_losers_against_the_current_plans() -> None:
    result = changes(simulate(ACCOUNTS, [quality_plan()], [FLAT10], day(400)))
    assert [(c.affiliate_id, c.current_minor, c.candidate_minor, c.delta_minor)
            for c in result] == [("aff_2", 1_020, 1_000, -20), ("aff_1", 6_000, 2_000, -4_000)]
    assert result[1].share == Fraction(-2, 3)
