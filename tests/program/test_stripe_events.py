from __future__ import annotations

from datetime import UTC, datetime

import pytest

from successlink.program.stripe_events import (
    ChargeRefunded,
    CustomerSeen,
    DisputeOpened,
    EventError,
    SalePaid,
    SubscriptionState,
    read_event,
)
from tests.program.stripe_data import HANDLED, IGNORED, envelope, load, ruby_mock_bodies


def test_every_ruby_mock_event_is_read_or_deliberately_ignored() -> None:
    bodies = ruby_mock_bodies()
    assert set(bodies) == HANDLED | IGNORED
    for name, body in bodies.items():
        event = read_event(body)
        assert event.handled == (name in HANDLED), name
        assert bool(event.changes) == (name in HANDLED), name


def test_an_old_shape_invoice_names_its_charge_and_price() -> None:
    (sale,) = read_event(ruby_mock_bodies()["invoice.paid"]).changes
    assert sale == SalePaid(
        sale_id="in_000000000000000000000000", customer_external_id="cus_00000000000000",
        amount_minor=2000, currency="USD", paid_at=datetime(2022, 3, 26, 18, 40, 13, tzinfo=UTC),
        charge_id="ch_000000000000000000000000", payment_intent_id="pi_000000000000000000000000",
        product_id="prod_00000000000000", price_id="price_000000000000000000000000",
        billing_reason="manual")


def test_a_dj_stripe_subscription_invoice_is_a_sale() -> None:
    body = envelope("invoice.paid", load("dj-stripe-objects/invoice_in_fakefakefakefakefake0001"
                                         ".json"), event_id="evt_dj", created=1593225990)
    (sale,) = read_event(body).changes
    assert isinstance(sale, SalePaid)
    assert (sale.sale_id, sale.amount_minor, sale.charge_id, sale.billing_reason) == (
        "in_fakefakefakefakefake0001", 2000, "ch_fakefakefakefakefake0001",
        "subscription_create")
    assert sale.paid_at == datetime.fromtimestamp(1593225983, UTC)  # status_transitions


def test_a_new_shape_invoice_names_its_payment_and_price_under_payments_and_pricing() -> None:
    invoice = load("openapi-fixtures3/invoice.json")
    payment = load("openapi-fixtures3/invoice_payment.json")
    payment["payment"] = {"type": "charge", "charge": "ch_new"}
    invoice.update(status="paid", amount_paid=1000,
                   payments={"object": "list", "data": [payment]})
    invoice["lines"]["data"][0]["pricing"]["price_details"] = {"price": "price_new",
                                                               "product": "prod_new"}
    (sale,) = read_event(envelope("invoice.paid", invoice, event_id="evt_n",
                                  created=1721954100)).changes
    assert isinstance(sale, SalePaid)
    assert (sale.charge_id, sale.payment_intent_id, sale.product_id, sale.price_id) == (
        "ch_new", None, "prod_new", "price_new")
    assert sale.paid_at == datetime.fromtimestamp(1721954100, UTC)  # no paid_at: the event's


def test_an_unpaid_invoice_is_not_a_sale() -> None:
    body = envelope("invoice.paid", load("openapi-fixtures3/invoice.json"), event_id="e",
                    created=1721954100)
    event = read_event(body)
    assert event.handled and event.changes == ()


def test_refunds_disputes_subscriptions_and_customers() -> None:
    bodies = ruby_mock_bodies()
    (refund,) = read_event(bodies["charge.refunded"]).changes
    assert refund == ChargeRefunded("ch_000000000000000000000000", 100, "USD",
                                    datetime.fromtimestamp(1648319949, UTC))  # refunds[0]
    (dispute,) = read_event(bodies["charge.dispute.created"]).changes
    assert isinstance(dispute, DisputeOpened) and dispute.charge_id == \
        "ch_000000000000000000000000"
    (ended,) = read_event(bodies["customer.subscription.deleted"]).changes
    assert isinstance(ended, SubscriptionState) and ended.status == "canceled"
    assert ended.ended_at == datetime.fromtimestamp(1648320097, UTC)
    customer, sale = read_event(bodies["checkout.session.completed"]).changes
    assert isinstance(customer, CustomerSeen) and customer.email == "stripe@example.com"
    assert isinstance(sale, SalePaid) and sale.sale_id == "pi_000000000000000000000000"


def test_metadata_and_client_reference_name_the_referrer() -> None:
    session = load("openapi-fixtures3/checkout.session.json")
    session.update(customer="cus_1", client_reference_id="clk_1", mode="subscription",
                   metadata={"affiliate": "aff_1"})
    (seen,) = read_event(envelope("checkout.session.completed", session, event_id="e",
                                  created=1721954100)).changes
    assert isinstance(seen, CustomerSeen)
    assert (seen.external_id, seen.click_id, seen.affiliate_id) == ("cus_1", "clk_1", "aff_1")


@pytest.mark.parametrize(("body", "words"), [
    (b"{not json", "not JSON"),
    (b'{"object": "customer"}', "not a Stripe event"),
    (b'{"object": "event", "id": "e", "type": "invoice.paid", "created": 1700000000,'
     b' "data": {"object": {"id": "in_1", "customer": "c", "amount_paid": "12,00",'
     b' "currency": "usd"}}}', "data.object.amount_paid"),
    (b'{"object": "event", "id": "e", "type": "x", "created": "yesterday"}', "created"),
])
def test_an_unreadable_event_names_the_field(body: bytes, words: str) -> None:
    with pytest.raises(EventError, match=words):
        read_event(body)


def test_a_nul_character_is_refused_before_anything_is_stored() -> None:
    body = b'{"object": "event", "id": "e\\u0000", "type": "x", "created": 1700000000}'
    with pytest.raises(EventError, match="NUL"):
        read_event(body)
