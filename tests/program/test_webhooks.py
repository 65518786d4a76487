"""Stripe webhooks into the app store (SQLite and PostgreSQL): every fixture event processed
or ignored, duplicates dropped, bad signatures refused, and the ledger the same whatever the
delivery order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from successlink.program.books import settle_all, stored_balances
from successlink.program.buckets import Buckets
from successlink.program.plans import load_plan
from successlink.program.signatures import SignatureError
from successlink.program.webhooks import WebhookSettings, handle_stripe_webhook
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.ledger import LedgerEntry
from successlink.store.sales import Dispute, Refund, Sale, Subscription
from successlink.store.tables import Base
from successlink.store.tracking import Click
from successlink.store.webhooks import WebhookEvent
from tests.program.plans import QUALITY_PLAN
from tests.program.stripe_data import HANDLED, envelope, load, ruby_mock_bodies, sign, with_id

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


def _seed_affiliate(s: Session) -> None:
    s.add(Affiliate(id="aff_1", name="Ada", email="ada@example.com", status="active",
                    group_name=None, quality_tier=None, quality_tier_as_of=None,
                    plan_id="quality", payout_method="wise", payout_details={},
                    account_id=None, created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    s.flush()
    s.add(Click(id="clk_1", link_id=None, affiliate_id="aff_1",
                clicked_at=datetime(2020, 6, 20, tzinfo=UTC), ip_anon="203.0.113.0",
                user_agent="test", referer=None, is_bot=False))


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
