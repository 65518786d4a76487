"""The engine on hand-checked stories. QUALITY_PLAN pays 30% of a first payment and 20% of
recurring ones in year one, in tranches of 34/33/33% vesting on days 30, 90 and 180: a
100.00 USD first payment earns 30.00 USD = 10.20 + 9.90 + 9.90."""

from __future__ import annotations

from successlink.program.buckets import Buckets
from successlink.program.engine import settle
from successlink.program.facts import AccountFacts, Dispute, HealthReading, Refund
from successlink.program.ledger import Entry, balances, tranche_positions
from successlink.program.payouts import payable, propose_payouts
from tests.program.plans import day, facts, quality_plan, sale

PLANS = [quality_plan()]


def _run(f: AccountFacts, *checks: float, ledger: list[Entry] | None = None) -> list[Entry]:
    out = list(ledger or [])
    for at in checks:
        out += settle(f, PLANS, day(at), out)
    return out


def _kinds(ledger: list[Entry], tranche: str) -> list[tuple[str, Buckets]]:
    return [(e.kind, e.change) for e in ledger if e.tranche_key == tranche]


def test_a_sale_accrues_three_tranches_that_add_up_to_the_commission() -> None:
    ledger = _run(facts(sale()), 1)
    assert [(e.entry_key, e.kind, e.change.unvested) for e in ledger] == [
        ("in_1:0:0", "accrual", 1020), ("in_1:1:0", "accrual", 990),
        ("in_1:2:0", "accrual", 990)]
    assert all(e.effective_at == day(0) for e in ledger)
    assert "earns 30%" in ledger[0].explanation and "vests on 2026-03-03" in \
        ledger[0].explanation
    assert ledger[0].plan_id == "quality" and ledger[0].plan_version == 1
    assert ledger[0].inputs["tranche_minor"] == 1020
    assert balances(ledger) == {("aff_1", "USD"): Buckets(unvested=3000)}


def test_tranches_vest_on_their_days() -> None:
    ledger = _run(facts(sale()), 100)
    vested = [e for e in ledger if e.kind == "vesting"]
    assert [(e.entry_key, e.effective_at, e.change) for e in vested] == [
        ("in_1:0:1", day(30), Buckets(unvested=-1020, vested=1020)),
        ("in_1:1:1", day(90), Buckets(unvested=-990, vested=990))]
    assert balances(ledger)[("aff_1", "USD")] == Buckets(unvested=990, vested=2010)


def test_settling_once_writes_what_settling_every_day_would_have() -> None:
    f = facts(sale(), refunds=frozenset([Refund("in_1", 10_000, day(95))]))
    once = sorted(_run(f, 400), key=lambda e: e.entry_key)
    daily = sorted(_run(f, 1, 30, 31, 90, 95, 96, 200, 400), key=lambda e: e.entry_key)
    assert once == daily
    assert [e.kind for e in once if e.tranche_key == "in_1:1"] == ["accrual", "vesting",
                                                                  "reversal"]


def test_settling_again_with_the_same_facts_appends_nothing() -> None:
    f = facts(sale())
    ledger = _run(f, 100)
    assert settle(f, PLANS, day(100), ledger) == []


def test_a_refund_after_vesting_takes_the_vested_money_back() -> None:
    f = facts(sale(), refunds=frozenset([Refund("in_1", 10_000, day(50))]))
    ledger = _run(f, 200)
    assert _kinds(ledger, "in_1:0") == [
        ("accrual", Buckets(unvested=1020)), ("vesting", Buckets(unvested=-1020, vested=1020)),
        ("reversal", Buckets(vested=-1020, reversed=1020))]
    assert _kinds(ledger, "in_1:1") == [("accrual", Buckets(unvested=990)),
                                        ("reversal", Buckets(unvested=-990, reversed=990))]
    assert balances(ledger)[("aff_1", "USD")] == Buckets(reversed=3000)
    reversal = ledger[2]
    assert reversal.effective_at == day(50)
    assert "in_1 was refunded on 2026-03-23" in reversal.explanation


def test_a_partial_refund_reverses_its_share_split_without_losing_a_cent() -> None:
    # 25.00 of 100.00 refunded: 30.00 x 1/4 = 7.50 taken back, split over 10.20/9.90/9.90
    # as 2.55 / 2.475 / 2.475 -> 2.55, 2.48, 2.47 (the tie's extra cent to the earlier one)
    f = facts(sale(), refunds=frozenset([Refund("in_1", 2500, day(10))]))
    positions = tranche_positions(_run(f, 10))
    assert [positions[f"in_1:{i}"][0] for i in range(3)] == [
        Buckets(unvested=765, reversed=255), Buckets(unvested=742, reversed=248),
        Buckets(unvested=743, reversed=247)]


def test_the_latest_cumulative_refund_counts_once() -> None:
    # Stripe reports a charge's refunds cumulatively: 25.00 then 100.00 means all of it
    f = facts(sale(), refunds=frozenset([Refund("in_1", 2500, day(10)),
                                         Refund("in_1", 10_000, day(20))]))
    assert balances(_run(f, 25))[("aff_1", "USD")] == Buckets(reversed=3000)


def test_a_dispute_reverses_everything() -> None:
    f = facts(sale(), disputes=frozenset([Dispute("in_1", day(10))]))
    ledger = _run(f, 300)
    assert balances(ledger)[("aff_1", "USD")] == Buckets(reversed=3000)
    assert {e.effective_at for e in ledger if e.kind == "reversal"} == {day(10)}


def test_churn_inside_the_vesting_window_lapses_the_unvested_tranches() -> None:
    f = facts(sale(), churns=frozenset([day(60)]))
    ledger = _run(f, 300)
    assert balances(ledger)[("aff_1", "USD")] == Buckets(vested=1020, lapsed=1980)
    lapse = next(e for e in ledger if e.kind == "lapse")
    assert lapse.effective_at == day(60)
    assert "churned on 2026-04-02, before vesting on 2026-05-02" in lapse.explanation


def test_a_tranche_below_the_health_floor_on_its_vesting_day_lapses() -> None:
    health = frozenset([HealthReading("red", day(80)), HealthReading("green", day(170))])
    ledger = _run(facts(sale(), health=health), 300)
    assert {e.tranche_key: e.kind for e in ledger if e.kind != "accrual"} == {
        "in_1:0": "vesting", "in_1:1": "lapse", "in_1:2": "vesting"}
    lapse = next(e for e in ledger if e.kind == "lapse")
    assert "in red health, below the yellow floor" in lapse.explanation


def test_a_refund_arriving_after_its_tranche_vested_keeps_the_history_and_converges() -> None:
    on_time = facts(sale(), refunds=frozenset([Refund("in_1", 10_000, day(50))]))
    late = _run(facts(sale()), 100)                  # tranche 2 vested on day 90 ...
    late = _run(on_time, 100, ledger=late)           # ... then the day-50 refund arrives
    assert _kinds(late, "in_1:1") == [
        ("accrual", Buckets(unvested=990)), ("vesting", Buckets(unvested=-990, vested=990)),
        ("reversal", Buckets(vested=-990, reversed=990))]
    expected = tranche_positions(_run(on_time, 100))
    assert {k: v[0] for k, v in tranche_positions(late).items()} == \
        {k: v[0] for k, v in expected.items()}


def test_a_refund_after_payout_is_carried_as_a_negative_balance() -> None:
    first = sale()
    renewal = sale("in_2", at=60, first=False)       # 20% = 20.00: 6.80 / 6.60 / 6.60
    ledger = _run(facts(first), 40)
    paid = {k for p in propose_payouts(ledger, set(), {"USD": 500}) for k in p.entry_keys}
    assert payable(ledger, set()) == {("aff_1", "USD"): 1020}
    assert paid == {"in_1:0:1"}
    f = facts(first, renewal, refunds=frozenset([Refund("in_1", 10_000, day(50))]))
    ledger = _run(f, 100, ledger=ledger)
    # -10.20 clawed back + 6.80 vested on day 90 = -3.40 carried, nothing to pay
    assert payable(ledger, paid) == {("aff_1", "USD"): -340}
    assert propose_payouts(ledger, paid, {"USD": 1}) == []
    ledger = _run(f, 160, ledger=ledger)
    # + 6.60 vested on day 150: 3.20 payable, and the payout settles the clawback too
    (payout,) = propose_payouts(ledger, paid, {"USD": 100})
    assert payout.amount_minor == 320
    assert payout.entry_keys == ("in_1:0:2", "in_2:0:1", "in_2:1:1")


def test_suspended_affiliates_and_small_balances_wait() -> None:
    ledger = _run(facts(sale()), 40)
    assert propose_payouts(ledger, set(), {"USD": 5000}) == []
    assert propose_payouts(ledger, set(), {"USD": 1}, held={"aff_1"}) == []
