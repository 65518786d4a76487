"""Properties of the engine and ledger over generated histories of one referred account:
sales, partial and full refunds, disputes, churn, health readings and vesting checks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.program.buckets import BUCKETS, ZERO, Buckets
from successlink.program.commissions import commissions
from successlink.program.engine import settle
from successlink.program.facts import AccountFacts, Dispute, HealthReading, Referral, Refund, Sale
from successlink.program.ledger import Entry, balances, tranche_positions
from tests.program.plans import T0, day, quality_plan

PLANS = [quality_plan()]
END = day(1000)  # after every generated fact (sales <= 400 days, then <= 400 more)
Fact = Sale | Refund | Dispute | HealthReading | datetime


@dataclass(frozen=True)
class Churn:
    at: datetime


def _time(fact: Fact | Churn) -> datetime:
    return fact.paid_at if isinstance(fact, Sale) else fact.at  # type: ignore[union-attr]


def _facts(delivered: list[object]) -> AccountFacts:
    kinds: dict[type, set[object]] = defaultdict(set)
    for fact in delivered:
        kinds[type(fact)].add(fact)
    return AccountFacts(
        Referral("acc_1", "aff_1", "quality", T0),
        sales=frozenset(kinds[Sale]), refunds=frozenset(kinds[Refund]),  # type: ignore[arg-type]
        disputes=frozenset(kinds[Dispute]),  # type: ignore[arg-type]
        churns=frozenset(c.at for c in kinds[Churn]),  # type: ignore[attr-defined]
        health=frozenset(kinds[HealthReading]))  # type: ignore[arg-type]


hours = st.integers(0, 400 * 24)


@st.composite
def histories(draw: st.DrawFn) -> list[object]:
    """Facts of one account, each with its own time."""
    out: list[object] = []
    for i in range(draw(st.integers(1, 3))):
        at = day(draw(hours) / 24)
        amount = draw(st.integers(0, 50_000))
        out.append(Sale(f"in_{i}", amount, "USD", at, first_payment=i == 0,
                        affiliate_tier=draw(st.sampled_from([None, "gold", "bronze"])),
                        health_band=draw(st.sampled_from([None, "green", "yellow", "red"])),
                        activated=draw(st.sampled_from([None, True, False]))))
        for _ in range(draw(st.integers(0, 2))):
            out.append(Refund(f"in_{i}", draw(st.integers(0, amount)),
                              at + draw(st.timedeltas(min_value=day(0) - day(0),
                                                      max_value=day(300) - day(0)))))
        if draw(st.booleans()) and draw(st.booleans()):
            out.append(Dispute(f"in_{i}", at + (day(draw(hours) / 24) - T0)))
    if draw(st.booleans()):
        out.append(Churn(day(draw(hours) / 24)))
    for _ in range(draw(st.integers(0, 3))):
        out.append(HealthReading(draw(st.sampled_from(["green", "yellow", "red"])),
                                 day(draw(hours) / 24)))
    return out


def _ordered(history: list[object], checks: list[datetime]) -> list[Entry]:
    """The reference: every fact delivered on time, settled at each instant something
    happened (after all of that instant's facts: events in the same second cannot be ordered)
    and at the checks."""
    instants = sorted({_time(f) for f in history} | set(checks))  # type: ignore[arg-type]
    ledger: list[Entry] = []
    for at in instants:
        delivered = [f for f in history if _time(f) <= at]  # type: ignore[arg-type]
        ledger += settle(_facts(delivered), PLANS, at, ledger)
    return ledger + settle(_facts(history), PLANS, END, ledger)


def _by_key(ledger: list[Entry]) -> list[Entry]:
    return sorted(ledger, key=lambda e: e.entry_key)


@st.composite
def deliveries(draw: st.DrawFn, history: list[object]) -> list[object]:
    """Any order, with any facts delivered more than once."""
    again = draw(st.lists(st.sampled_from(history), max_size=4)) if history else []
    return draw(st.permutations(history + again))


@settings(max_examples=80, deadline=None)
@given(st.data(), histories(), st.lists(hours.map(lambda h: day(h / 24)), max_size=4))
def test_any_order_and_duplication_gives_the_ordered_ledger(
        data: st.DataObject, history: list[object], checks: list[datetime]) -> None:
    shuffled = data.draw(deliveries(history))
    replayed = settle(_facts(shuffled), PLANS, END)
    assert _by_key(replayed) == _by_key(_ordered(history, checks))


@settings(max_examples=80, deadline=None)
@given(st.data(), histories())
def test_settling_while_facts_arrive_out_of_order_converges(
        data: st.DataObject, history: list[object]) -> None:
    shuffled = data.draw(deliveries(history))
    clock = sorted(data.draw(st.lists(hours, min_size=len(shuffled),
                                      max_size=len(shuffled))))
    ledger: list[Entry] = []
    for k, _ in enumerate(shuffled):
        ledger += settle(_facts(shuffled[:k + 1]), PLANS, day(clock[k] / 24), ledger)
    ledger += settle(_facts(shuffled), PLANS, END, ledger)
    reference = _ordered(history, [])
    assert _positions(ledger) == _positions(reference)
    assert balances(ledger) == balances(reference)
    assert len({e.entry_key for e in ledger}) == len(ledger)
    assert settle(_facts(shuffled), PLANS, END, ledger) == []


@settings(max_examples=80, deadline=None)
@given(histories())
def test_money_is_conserved_and_balances_are_sums_of_entries(history: list[object]) -> None:
    ledger = _ordered(history, [])
    earned = {c.sale.sale_id: c.amount_minor for c in commissions(_facts(history), PLANS)}
    per_sale: dict[str | None, int] = defaultdict(int)
    for e in ledger:
        per_sale[e.sale_id] += e.change.total
        assert e.kind == "accrual" or e.change.total == 0 or e.kind == "adjustment"
    assert {k: v for k, v in per_sale.items() if v} == {k: v for k, v in earned.items() if v}
    summed = {b: sum(e.change.get(b) for e in ledger) for b in BUCKETS}
    assert balances(ledger).get(("aff_1", "USD"), ZERO) == Buckets(**summed)
    assert all(v >= 0 for v in summed.values())


def _positions(ledger: list[Entry]) -> dict[str, Buckets]:
    return {k: v for k, (v, _) in tranche_positions(ledger).items() if v != ZERO}
