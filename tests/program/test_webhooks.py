"""Stripe webhooks into the app store (SQLite and PostgreSQL): every fixture event processed
or ignored, duplicates dropped, bad signatures refused, and the ledger the same whatever the
delivery order."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from successlink.program.books import settle_all, stored_balances
from successlink.program.buckets import Buckets
from successlink.program.plans import load_plan
from successlink.program.signatures import SignatureError
from successlink.program.stripe_events import EventError, SalePaid, StripeEvent
from successlink.program.webhooks import (
    WebhookSettings,
    handle_stripe_webhook,
    process_batch,
    read_delivery,
    unstorable,
)
from successlink.store.affiliates import Affiliate
from successlink.store.connect import open_store
from successlink.store.customers import Customer
from successlink.store.fraud import FraudFlag
from successlink.store.ledger import LedgerEntry
from successlink.store.migrate import upgrade
from successlink.store.sales import Dispute, Refund, Sale, Subscription
from successlink.store.tables import Base
from successlink.store.tracking import Click, Lead
from successlink.store.webhooks import WebhookEvent
from tests.program.plans import QUALITY_PLAN
from tests.program.stripe_data import (
    HANDLED,
    envelope,
    load,
    paying_customer,
    ruby_mock_bodies,
    sign,
    with_id,
)

PLAN = load_plan(QUALITY_PLAN.replace("effective_from = 2026-01-01",
                                      "effective_from = 2020-01-01"))
NOW = datetime(2026, 11, 23, tzinfo=UTC)
SETTINGS = WebhookSettings(secrets=["whsec_test_secret"], plans=[PLAN],
                           tolerance_seconds=None, settle_delay=timedelta(0))


def _deliver(store: Engine, body: bytes, received_at: datetime = NOW,
             config: WebhookSettings = SETTINGS) -> str:
    with Session(store) as s, s.begin():
        return handle_stripe_webhook(s, body, sign(body), config, received_at).outcome


def _count(store: Engine, table: type) -> int:
    with Session(store) as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_every_fixture_event_is_processed_or_ignored_once(store: Engine) -> None:
    for name, body in ruby_mock_bodies().items():
        unique = with_id(body, f"evt_{name}")
        expected = "processed" if name in HANDLED else "ignored"
        assert _deliver(store, unique) == expected, name
        assert _deliver(store, unique) == "duplicate", name
    assert _count(store, WebhookEvent) == 15
    with Session(store) as s:
        # invoice.paid and invoice.payment_succeeded deliver one invoice: one sale
        assert sorted(s.scalars(select(Sale.id))) == [
            "in_000000000000000000000000", "pi_00000000000000", "pi_000000000000000000000000"]
        assert s.scalars(select(Refund.refunded_minor)).all() == [100]
        assert s.scalars(select(Dispute.id)).all() == ["dp_000000000000000000000000"]
        # the CLI's events are out of order: `created` (18:41:50) is the newest, so it wins
        assert s.scalars(select(Subscription.status)).all() == ["active"]
        assert s.scalars(select(Customer.external_id)).all() == ["cus_00000000000000"]
    assert _count(store, LedgerEntry) == 0   # nobody referred this customer


def test_the_zeroed_ids_make_every_later_event_a_duplicate(store: Engine) -> None:
    bodies = ruby_mock_bodies()
    ids = {name: json.loads(body)["id"] for name, body in bodies.items()}
    outcomes = {name: _deliver(store, body) for name, body in bodies.items()}
    # 13 events share evt_000...0 (24 zeros); the two older hand-made mocks share a shorter
    # one. The first of each (by file name) is handled, every later one is a duplicate.
    firsts = {min(n for n in ids if ids[n] == i) for i in set(ids.values())}
    assert firsts == {"charge.dispute.created", "checkout.session.completed.payment_mode"}
    assert {n: o for n, o in outcomes.items() if o != "duplicate"} == {
        "charge.dispute.created": "processed",
        "checkout.session.completed.payment_mode": "processed"}
    assert _count(store, WebhookEvent) == 2
    with Session(store) as s:
        assert s.scalars(select(Sale.id)).all() == ["pi_00000000000000"]


def test_a_bad_signature_is_refused_and_nothing_is_stored(store: Engine) -> None:
    body = with_id(ruby_mock_bodies()["invoice.paid"], "evt_x")
    tampered = body.replace(b'"amount_paid": 2000', b'"amount_paid": 9000')
    with Session(store) as s, s.begin(), pytest.raises(SignatureError):
        handle_stripe_webhook(s, tampered, sign(body), SETTINGS, NOW)
    assert _count(store, WebhookEvent) == 0 and _count(store, Sale) == 0


def _affiliate_with_click(s: Session, affiliate: str, name: str, click: str,
                          clicked_at: datetime, ip_anon: str) -> None:
    s.add(Affiliate(id=affiliate, name=name, email=f"{name.lower()}@example.com",
                    status="active", group_name=None, quality_tier=None,
                    quality_tier_as_of=None, plan_id="quality", payout_method="wise",
                    payout_details={}, account_id=None,
                    created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    s.flush()
    s.add(Click(id=click, link_id=None, affiliate_id=affiliate, clicked_at=clicked_at,
                ip_anon=ip_anon, user_agent="test", referer=None, is_bot=False))


def _seed_affiliate(s: Session) -> None:
    _affiliate_with_click(s, "aff_1", "Ada", "clk_1", datetime(2020, 6, 20, tzinfo=UTC),
                          "203.0.113.0")


def _story() -> list[bytes]:
    """A referred customer (click clk_1) pays 20.00 on 2020-06-27, then is refunded."""
    customer = json.loads(ruby_mock_bodies()["customer.created"])["data"]["object"]
    customer.update(id="cus_A", metadata={"successlink_click": "clk_1"}, created=1592700000)
    invoice = load("dj-stripe-objects/invoice_in_fakefakefakefakefake0001.json")
    invoice["customer"] = "cus_A"
    charge = load("dj-stripe-objects/charge_ch_fakefakefakefakefake0001.json")
    charge.update(amount_refunded=2000, refunded=True, refunds={"object": "list", "data": []})
    return [envelope("customer.created", customer, event_id="evt_c", created=1592700001),
            envelope("invoice.paid", invoice, event_id="evt_i", created=1593225990),
            envelope("charge.refunded", charge, event_id="evt_r", created=1595000000)]


def test_a_referred_customer_accrues_then_a_refund_claws_back(store: Engine) -> None:
    with Session(store) as s, s.begin():
        _seed_affiliate(s)
    created, paid, refunded = _story()
    _deliver(store, created, datetime(2020, 6, 21, tzinfo=UTC))
    with Session(store) as s:
        customer = s.scalars(select(Customer)).one()
        assert (customer.affiliate_id, customer.click_id) == ("aff_1", "clk_1")
    _deliver(store, paid, datetime(2020, 6, 28, tzinfo=UTC))
    with Session(store) as s:  # 30% of 20.00 = 6.00, unvested
        assert stored_balances(s) == {("aff_1", "USD"): Buckets(unvested=600)}
    _deliver(store, refunded, datetime(2020, 7, 17, 16, tzinfo=UTC))
    with Session(store) as s:  # refunded on day 20: before the day-30 vesting
        assert stored_balances(s) == {("aff_1", "USD"): Buckets(reversed=600)}


def test_a_referral_without_a_plan_is_stored_and_settled_later(store: Engine) -> None:
    with Session(store) as s, s.begin():
        _seed_affiliate(s)
        s.get_one(Affiliate, "aff_1").plan_id = None
    created, paid, _ = _story()
    _deliver(store, created, datetime(2020, 6, 21, tzinfo=UTC))
    assert _deliver(store, paid, datetime(2020, 6, 28, tzinfo=UTC)) == "processed"
    assert _count(store, Sale) == 1 and _count(store, LedgerEntry) == 0
    with Session(store) as s, s.begin():
        settle_all(s, [PLAN], datetime(2020, 6, 28, tzinfo=UTC), default_plan="quality")
        assert stored_balances(s) == {("aff_1", "USD"): Buckets(unvested=600)}


# --- any order, any duplicates: the same ledger ------------------------------------------

def _events() -> list[bytes]:
    """Two invoices, a partial then full refund of the first, a dispute on the second, a
    subscription created then deleted; all with distinct ids and times."""
    created, first, _ = _story()
    second = load("dj-stripe-objects/invoice_in_fakefakefakefakefake0001.json")
    second.update(id="in_2", customer="cus_A", charge="ch_2", payment_intent="pi_2",
                  billing_reason="subscription_cycle", status_transitions={"paid_at": 1595817983})
    charge = load("dj-stripe-objects/charge_ch_fakefakefakefakefake0001.json")
    charge["refunds"] = {"object": "list", "data": []}
    partial = dict(charge, amount_refunded=500)
    full = dict(charge, amount_refunded=2000)
    dispute = load("openapi-fixtures3/dispute.json")
    dispute.update(id="dp_2", charge="ch_2", payment_intent=None, created=1596000000)
    sub = load("dj-stripe-objects/subscription_sub_fakefakefakefakefake0001.json")
    sub.update(customer="cus_A", status="active", ended_at=None, canceled_at=None)
    ended = dict(sub, status="canceled", ended_at=1600000000, canceled_at=1600000000)
    return [created, first,
            envelope("invoice.paid", second, event_id="evt_i2", created=1595817990),
            envelope("charge.refunded", partial, event_id="evt_r1", created=1594000000),
            envelope("charge.refunded", full, event_id="evt_r2", created=1598000000),
            envelope("charge.dispute.created", dispute, event_id="evt_d", created=1596000001),
            envelope("customer.subscription.created", sub, event_id="evt_s1",
                     created=1593225985),
            envelope("customer.subscription.deleted", ended, event_id="evt_s2",
                     created=1600000001)]


def _memory_store() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s, s.begin():
        _seed_affiliate(s)
    return iter([engine])


def _ledger(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as s, s.begin():
        settle_all(s, [PLAN], datetime(2021, 6, 1, tzinfo=UTC))
    with Session(engine) as s:
        rows = s.scalars(select(LedgerEntry).order_by(LedgerEntry.entry_key)).all()
        return [(r.entry_key, r.kind, r.unvested_minor, r.vested_minor, r.lapsed_minor,
                 r.reversed_minor, r.effective_at, r.explanation) for r in rows]


def _created(body: bytes) -> int:
    return int(json.loads(body)["created"])


@settings(max_examples=8, deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # shrinking a DB run is slow
@given(st.data())
def test_any_order_and_duplication_of_the_stream_gives_the_ordered_ledger(
        data: st.DataObject) -> None:
    events = _events()
    ordered = next(_memory_store())
    for body in sorted(events, key=_created):   # on time: settled as each event happens
        at = datetime.fromtimestamp(_created(body), UTC)
        _deliver(ordered, body, at)
    again = data.draw(st.lists(st.sampled_from(events), max_size=5))
    shuffled = data.draw(st.permutations(events + again))
    late = next(_memory_store())
    lagging = WebhookSettings(secrets=SETTINGS.secrets, plans=[PLAN], tolerance_seconds=None,
                              settle_delay=timedelta(days=90))
    # every event (2020-06-21 .. 2020-09-13) is in before the ledger settles up to it
    received = datetime(2020, 9, 14, tzinfo=UTC)
    outcomes = [_deliver(late, body, received, lagging) for body in shuffled]
    assert outcomes.count("processed") == len(events)
    expected = _ledger(ordered)
    assert expected and _ledger(late) == expected


# --- batches: the same rows as one by one -----------------------------------------------

def _process(store: Engine, bodies: list[bytes], received_at: datetime,
             config: WebhookSettings) -> list[str]:
    events = [read_delivery(body, sign(body), config) for body in bodies]
    with Session(store) as s, s.begin():
        return [r.outcome for r in process_batch(s, events, config, received_at)]


def _rows(store: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row the webhooks write, without surrogate ids (they number rows in insertion
    order, which batching may change)."""
    tables: dict[str, tuple[type, list[str]]] = {
        "webhook_events": (WebhookEvent, ["event_id", "event_type", "api_version", "outcome",
                                          "created_at", "received_at"]),
        "customers": (Customer, ["external_id", "email", "account_id", "affiliate_id",
                                 "click_id", "referred_at", "churned_at", "created_at"]),
        "sales": (Sale, ["id", "charge_id", "payment_intent_id", "amount_minor", "currency",
                         "paid_at", "product_id", "price_id", "billing_reason"]),
        "refunds": (Refund, ["id", "charge_id", "payment_intent_id", "invoice_id",
                             "refunded_minor", "currency", "refunded_at"]),
        "disputes": (Dispute, ["id", "charge_id", "payment_intent_id", "opened_at"]),
        "subscriptions": (Subscription, ["id", "customer_external_id", "status", "ended_at",
                                         "event_at"]),
        "fraud_flags": (FraudFlag, ["affiliate_id", "kind", "subject", "details", "status",
                                    "created_at"]),
        "ledger_entries": (LedgerEntry, ["entry_key", "tranche_key", "kind", "affiliate_id",
                                         "account_id", "sale_id", "currency", "unvested_minor",
                                         "vested_minor", "lapsed_minor", "reversed_minor",
                                         "plan_id", "plan_version", "inputs", "explanation",
                                         "effective_at", "recorded_at"]),
    }
    out = {}
    with Session(store) as s:
        for name, (table, columns) in tables.items():
            rows = [tuple(repr(getattr(r, c)) for c in columns)
                    for r in s.scalars(select(table))]
            out[name] = sorted(rows)
        # a sale's customer by its external id, not by the surrogate key
        owners = select(Sale.id, Customer.external_id).join(Customer,
                                                            Customer.id == Sale.customer_id)
        out["sale_customers"] = sorted(tuple(r) for r in s.execute(owners).all())
    return out


@st.composite
def _batched(draw: st.DrawFn, events: list[bytes]) -> list[list[bytes]]:
    """Any order, any duplicates, cut into any batches."""
    again = draw(st.lists(st.sampled_from(events), max_size=5))
    stream = draw(st.permutations(events + again))
    cuts = sorted(draw(st.sets(st.integers(1, len(stream) - 1), max_size=4)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


LAGGING = WebhookSettings(secrets=SETTINGS.secrets, plans=[PLAN], tolerance_seconds=None,
                          settle_delay=timedelta(days=90))


@settings(max_examples=8, deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # shrinking a DB run is slow
@given(_batched(_events()))
def test_any_batching_of_the_stream_stores_what_one_by_one_stores(
        batches: list[list[bytes]]) -> None:
    # Every event is in before the ledger settles up to it (as in the test above), so the
    # batched ledger must be the ordered stream's entry for entry, besides every other row
    # matching the same deliveries made one by one.
    received = datetime(2020, 9, 14, tzinfo=UTC)
    one, batched = next(_memory_store()), next(_memory_store())
    singles = [_deliver(one, body, received, LAGGING) for batch in batches for body in batch]
    grouped = [o for batch in batches for o in _process(batched, batch, received, LAGGING)]
    assert grouped == singles
    assert grouped.count("processed") == len(_events())
    assert _rows(batched) == _rows(one)
    ordered = next(_memory_store())
    for body in sorted(_events(), key=_created):
        _deliver(ordered, body, datetime.fromtimestamp(_created(body), UTC))
    expected = _ledger(ordered)
    assert expected and _ledger(batched) == expected == _ledger(one)
    assert _rows(batched) == _rows(one)   # after both settled at the same later date


@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(_batched(_events()), st.lists(st.integers(0, 120), min_size=6, max_size=6))
def test_batches_settled_while_facts_still_arrive_end_in_the_same_balances(
        batches: list[list[bytes]], days: list[int]) -> None:
    # No settlement delay, each batch received on its own day from 2020-06-21 on: a fact can
    # arrive after the ledger moved past it. Facts and events are still the same rows as
    # one by one, and once settled at a later date every tranche holds the same money (the
    # entries on the way may differ: a late refund is a reversal out of `vested` one by one
    # and an accrual's reversal in a batch that holds both).
    start = datetime(2020, 6, 21, tzinfo=UTC)
    received = [start + timedelta(days=d) for d in sorted(days)]
    one, batched = next(_memory_store()), next(_memory_store())
    for batch, at in zip(batches, received, strict=False):
        singles = [_deliver(one, body, at) for body in batch]
        assert _process(batched, batch, at, SETTINGS) == singles
    rows_one, rows_batched = _rows(one), _rows(batched)
    for name in ("webhook_events", "customers", "sales", "sale_customers", "refunds",
                 "disputes", "subscriptions", "fraud_flags"):
        assert rows_batched[name] == rows_one[name], name
    _ledger(one), _ledger(batched)  # settle both at 2021-06-01
    with Session(one) as a, Session(batched) as b:
        assert stored_balances(b) == stored_balances(a)
        assert _positions(b) == _positions(a)


def _positions(s: Session) -> dict[str, tuple[int, int, int, int]]:
    rows = s.execute(select(LedgerEntry.tranche_key, func.sum(LedgerEntry.unvested_minor),
                            func.sum(LedgerEntry.vested_minor),
                            func.sum(LedgerEntry.lapsed_minor),
                            func.sum(LedgerEntry.reversed_minor))
                     .group_by(LedgerEntry.tranche_key)).all()
    return {k: (int(u), int(v), int(lp), int(r)) for k, u, v, lp, r in rows}


def test_a_batch_dedupes_within_itself_and_against_the_store(store: Engine) -> None:
    bodies = ruby_mock_bodies()
    first = with_id(bodies["customer.created"], "evt_a")
    assert _process(store, [first], NOW, SETTINGS) == ["processed"]
    second = with_id(bodies["invoice.paid"], "evt_b")
    ignored = with_id(bodies["charge.succeeded"], "evt_c")
    assert _process(store, [first, second, second, ignored, ignored], NOW, SETTINGS) == [
        "duplicate", "processed", "duplicate", "ignored", "duplicate"]
    assert _count(store, WebhookEvent) == 3 and _count(store, Sale) == 1


def test_an_unstorable_event_is_rejected_alone(store: Engine) -> None:
    bodies = ruby_mock_bodies()
    long_id = with_id(bodies["invoice.paid"], "evt_" + "x" * 300)
    good = with_id(bodies["customer.created"], "evt_ok")
    assert _process(store, [long_id, good], NOW, SETTINGS) == ["rejected", "processed"]
    assert _count(store, WebhookEvent) == 1 and _count(store, Sale) == 0
    with Session(store) as s, s.begin(), pytest.raises(
            EventError, match="id is 304 characters long; the app store keeps at most 255"):
        handle_stripe_webhook(s, long_id, sign(long_id), SETTINGS, NOW)
    assert _count(store, WebhookEvent) == 1


def _seeded(store: Engine) -> Engine:
    with Session(store) as s, s.begin():
        _seed_affiliate(s)
    return store


def test_a_batch_stores_what_one_by_one_stores_on_both_backends(
        store: Engine, tmp_path: Path) -> None:
    # a fixed scramble with duplicates: refunds and the dispute before their invoices
    events = _events()
    stream = [events[i] for i in (4, 5, 3, 7, 2, 0, 4, 1, 6, 3)]
    one = open_store(f"sqlite:///{tmp_path / 'one.db'}")
    upgrade(one)
    _seeded(one)
    received = datetime(2020, 12, 1, tzinfo=UTC)
    singles = [_deliver(one, body, received) for body in stream]
    batched = _seeded(store)
    assert _process(batched, stream[:4], received, SETTINGS) + _process(
        batched, stream[4:], received, SETTINGS) == singles
    rows_one, rows_batched = _rows(one), _rows(batched)
    for name in rows_one:
        if name != "ledger_entries":   # settled 90 days late: see the balances test
            assert rows_batched[name] == rows_one[name], name
    with Session(one) as a, Session(batched) as b:
        assert stored_balances(b) == stored_balances(a) != {}
        assert _positions(b) == _positions(a)


def test_a_lead_by_id_or_email_attributes_a_customer_from_its_click(store: Engine) -> None:
    with Session(store) as s, s.begin():
        _seed_affiliate(s)
        s.add(Click(id="clk_2", link_id=None, affiliate_id="aff_1",
                    clicked_at=datetime(2020, 6, 10, tzinfo=UTC), ip_anon=None,
                    user_agent="test", referer=None, is_bot=False))
        s.flush()
        s.add_all([
            Lead(click_id="clk_2", affiliate_id="aff_1", customer_external_id=None,
                 email="bo@acme.test", created_at=datetime(2020, 6, 12, tzinfo=UTC)),
            Lead(click_id=None, affiliate_id="aff_1", customer_external_id="cus_B",
                 email=None, created_at=datetime(2020, 6, 15, tzinfo=UTC))])
    customer = json.loads(ruby_mock_bodies()["customer.created"])["data"]["object"]
    by_email = dict(customer, id="cus_A", email="Bo@Acme.test", metadata={})
    by_id = dict(customer, id="cus_B", email=None, metadata={})
    nobody = dict(customer, id="cus_C", email="cy@else.test", metadata={})
    bodies = [envelope("customer.created", c, event_id=f"evt_{c['id']}", created=1592700000)
              for c in (by_email, by_id, nobody)]
    assert _process(store, bodies, NOW, SETTINGS) == ["processed"] * 3
    with Session(store) as s:
        found = {c.external_id: (c.affiliate_id, c.click_id, c.referred_at, c.email)
                 for c in s.scalars(select(Customer))}
    assert found == {
        # the e-mail lead counts from its click (2020-06-10), as if the lead came first
        "cus_A": ("aff_1", "clk_2", datetime(2020, 6, 10, tzinfo=UTC), "bo@acme.test"),
        # a lead without a click counts from when it was recorded
        "cus_B": ("aff_1", None, datetime(2020, 6, 15, tzinfo=UTC), None),
        "cus_C": (None, None, None, "cy@else.test")}


def test_unstorable_names_the_field_and_the_limit() -> None:
    at = datetime(2020, 6, 27, tzinfo=UTC)

    def sale(**fields: object) -> StripeEvent:
        values: dict[str, object] = {"sale_id": "in_1", "customer_external_id": "cus_1",
                                     "amount_minor": 100, "currency": "USD", "paid_at": at,
                                     **fields}
        return StripeEvent("evt_1", "invoice.paid", None, at,
                           (SalePaid(**values),))  # type: ignore[arg-type]

    assert unstorable(sale()) is None
    assert unstorable(sale(billing_reason="r" * 64)) is None
    assert unstorable(sale(billing_reason="r" * 65)) == (
        "event evt_1: SalePaid.billing_reason is 65 characters long; the app store keeps "
        "at most 64")
    assert unstorable(sale(amount_minor=2**63)) == (
        f"SalePaid amount {2**63} is too large to store")


TIERED = load_plan("""
id = "quality"
version = 1
name = "Tiered"
currency = "USD"
effective_from = 2020-01-01
[[rules]]
name = "first payment"
payments = "first"
percent = 20
[[rules.tiers]]
min_referrals = 1
percent = 30
""")



@pytest.mark.parametrize("with_tiers", [True, False])
def test_a_batch_counts_the_affiliates_paying_referrals_only_for_tiered_plans(
        store: Engine, with_tiers: bool) -> None:
    """The second customer's first payment comes after one other paying referral: the tier
    of 1+ referrals pays 30% instead of 20% (plans without tiers skip the count)."""
    plan = TIERED if with_tiers else PLAN
    config = WebhookSettings(secrets=SETTINGS.secrets, plans=[plan], tolerance_seconds=None,
                             settle_delay=timedelta(0))
    bodies = paying_customer(1, 1_700_000_000) + paying_customer(2, 1_700_086_400)
    with Session(store) as s, s.begin():
        _seed_affiliate(s)
        process_batch(s, [read_delivery(b, sign(b), config) for b in bodies], config, NOW)
    with Session(store) as s:
        accruals = dict(s.execute(
            select(LedgerEntry.sale_id, func.sum(LedgerEntry.unvested_minor))
            .where(LedgerEntry.kind == "accrual").group_by(LedgerEntry.sale_id)).all())
    if with_tiers:
        assert accruals == {"in_1": 2_000, "in_2": 3_000}
    else:  # the quality plan: 30% of a first payment, no tiers
        assert accruals == {"in_1": 3_000, "in_2": 3_000}


def _two_referrers(s: Session) -> None:
    """aff_1's click clk_1 (2020-06-20) and aff_2's later click clk_2 (2020-06-25)."""
    _seed_affiliate(s)
    _affiliate_with_click(s, "aff_2", "Bo", "clk_2", datetime(2020, 6, 25, tzinfo=UTC),
                          "198.51.100.0")


@pytest.mark.parametrize(("model", "winner"), [("first_click", "aff_1"),
                                               ("last_click", "aff_2")])
@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_the_attribution_model_picks_the_first_or_last_click_in_any_order(
        store: Engine, model: str, winner: str, order: tuple[int, int]) -> None:
    """The customer shows both clicks (two customer events, delivered in either order, in
    one batch or two): first-click keeps the earlier affiliate, last-click the later."""
    config = WebhookSettings(secrets=SETTINGS.secrets, plans=[PLAN], tolerance_seconds=None,
                             settle_delay=timedelta(0), attribution=model)
    bodies = []
    for n, click in enumerate(("clk_1", "clk_2")):
        customer = {"id": "cus_AB", "object": "customer", "created": 1593000000,
                    "email": "ab@example.com", "metadata": {"successlink_click": click}}
        kind = "customer.created" if n == 0 else "customer.updated"
        bodies.append(envelope(kind, customer, event_id=f"evt_ab{n}", created=1593000000 + n))
    with Session(store) as s, s.begin():
        _two_referrers(s)
    for split in (False, True):
        events = [read_delivery(bodies[i], sign(bodies[i]), config) for i in order]
        with Session(store) as s, s.begin():
            for batch in ([events[:1], events[1:]] if split else [events]):
                process_batch(s, batch, config, NOW)
            customer = s.scalars(select(Customer).where(Customer.external_id == "cus_AB")).one()
            assert (customer.affiliate_id, customer.click_id) == \
                (winner, "clk_1" if winner == "aff_1" else "clk_2")
            s.rollback()
