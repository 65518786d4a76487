"""Payout proposals with the program's hold: money waits hold_days after it vests; clawbacks
never wait."""

from __future__ import annotations

from datetime import timedelta

from successlink.program.engine import settle
from successlink.program.facts import Refund
from successlink.program.ledger import Entry
from successlink.program.payouts import propose_payouts
from tests.program.plans import day, facts, quality_plan, sale

PLANS = [quality_plan()]


def _ledger(at: float, **more: object) -> list[Entry]:
    return settle(facts(sale(), **more), PLANS, day(at), [])


def test_money_that_vested_within_the_hold_waits_for_a_later_run() -> None:
    # 30% of 100.00 in tranches 10.20 (day 30) / 9.90 (day 90) / 9.90 (day 180)
    ledger = _ledger(100)
    now = day(100)
    (only_first,) = propose_payouts(ledger, set(), {"USD": 1}, vested_by=now - timedelta(20))
    assert only_first.amount_minor == 1020 and only_first.entry_keys == ("in_1:0:1",)
    (both,) = propose_payouts(ledger, set(), {"USD": 1}, vested_by=now - timedelta(10))
    assert both.amount_minor == 1020 + 990
    # the held entry is still unpaid, and the next run pays it once the hold is over
    (later,) = propose_payouts(ledger, set(only_first.entry_keys), {"USD": 1},
                               vested_by=day(110))
    assert later.entry_keys == ("in_1:1:1",) and later.amount_minor == 990


def test_a_clawback_inside_the_hold_lowers_this_run() -> None:
    ledger = _ledger(100, refunds=frozenset([Refund("in_1", 10_000, day(95))]))
    # vested +10.20 (day 30), +9.90 (day 90); refunded on day 95: -10.20 and -9.90.
    # With a 20-day hold the +9.90 waits but both reversals count: -9.90, nothing to pay.
    assert propose_payouts(ledger, set(), {"USD": 1}, vested_by=day(80)) == []
    assert propose_payouts(ledger, set(), {"USD": 1}) == []  # and all together sum to 0
