"""Stripe webhook events -> the changes the program records. Pure: bytes in, values out.

Both API shapes are read: before 2025-03-31 an invoice names its `charge` and
`subscription` directly; since then they sit under `payments` and
`parent.subscription_details`, and line items carry `pricing` instead of `price`.
Event types the program does not use are returned with no changes (acknowledged, ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from successlink.ingest.stripe.fields import Node, SourceFieldError


class EventError(ValueError):
    """The body is not a Stripe event the program can read; says where and why."""


@dataclass(frozen=True)
class CustomerSeen:
    """A customer and what it says about who referred it."""

    external_id: str
    email: str | None
    created_at: datetime
    affiliate_id: str | None = None
    click_id: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class SalePaid:
    """Money received: an invoice paid, or a one-off checkout payment."""

    sale_id: str
    customer_external_id: str
    amount_minor: int
    currency: str
    paid_at: datetime
    charge_id: str | None = None
    payment_intent_id: str | None = None
    product_id: str | None = None
    price_id: str | None = None
    billing_reason: str | None = None


@dataclass(frozen=True)
class ChargeRefunded:
    """A charge's cumulative refund."""

    charge_id: str
    refunded_minor: int
    currency: str
    at: datetime
    payment_intent_id: str | None = None
    invoice_id: str | None = None


@dataclass(frozen=True)
class DisputeOpened:
    """A chargeback on a charge."""

    dispute_id: str
    at: datetime
    charge_id: str | None = None
    payment_intent_id: str | None = None


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription's state as of an event; ended_at is set once it is over."""

    subscription_id: str
    customer_external_id: str
    status: str
    ended_at: datetime | None
    event_at: datetime


Change = CustomerSeen | SalePaid | ChargeRefunded | DisputeOpened | SubscriptionState
ENDED_STATUSES = ("canceled", "incomplete_expired")


@dataclass(frozen=True)
class StripeEvent:
    """One delivered event: its id, type, API version, time and the changes it carries."""

    event_id: str
    event_type: str
    api_version: str | None
    created: datetime
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def handled(self) -> bool:
        return self.event_type in HANDLERS


def read_event(payload: bytes, *, affiliate_key: str = "affiliate") -> StripeEvent:
    """Parse a webhook body; EventError names the field when it is not a usable event."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise EventError(f"the body is not JSON: {exc}") from exc
    if b"\\u0000" in payload:
        raise EventError("the event contains a NUL character, which cannot be stored")
    if not isinstance(data, dict) or data.get("object") != "event":
        raise EventError("the body is not a Stripe event (expected \"object\": \"event\")")
    event = Node(data)
    try:
        event_id = event.text("id", required=True)
        event_type = event.text("type", required=True)
        created = event.instant("created", required=True)
        assert event_id is not None and event_type is not None and created is not None
        handler = HANDLERS.get(event_type)
        changes: tuple[Change, ...] = ()
        if handler is not None:
            data_node = event.child("data", required=True)
            assert data_node is not None
            obj = data_node.child("object", required=True)
            assert obj is not None
            changes = tuple(handler(obj, created, affiliate_key))
    except SourceFieldError as exc:
        raise EventError(f"{exc.path}: {exc.reason}") from exc
    return StripeEvent(event_id, event_type, event.text("api_version"), created, changes)


def _metadata(obj: Node, key: str) -> str | None:
    meta = obj.child("metadata")
    return meta.text(key) if meta is not None else None


def _customer(obj: Node, created: datetime, affiliate_key: str) -> list[Change]:
    return [CustomerSeen(
        external_id=str(obj.text("id", required=True)), email=obj.text("email"),
        created_at=obj.instant("created") or created,
        affiliate_id=_metadata(obj, affiliate_key),
        click_id=_metadata(obj, "successlink_click"),
        account_id=_metadata(obj, "account_id"))]


def _checkout(obj: Node, created: datetime, affiliate_key: str) -> list[Change]:
    customer = obj.ref("customer")
    if customer is None:  # a guest payment: nobody to attribute or pay on
        return []
    details = obj.child("customer_details")
    email = (details.text("email") if details is not None else None) or \
        obj.text("customer_email")
    out: list[Change] = [CustomerSeen(
        external_id=customer, email=email, created_at=obj.instant("created") or created,
        affiliate_id=_metadata(obj, affiliate_key),
        click_id=obj.text("client_reference_id") or _metadata(obj, "successlink_click"))]
    paid_once = obj.text("mode") == "payment" and obj.text("payment_status") == "paid"
    if paid_once and obj.ref("invoice") is None:  # with an invoice, invoice.paid is the sale
        intent = obj.ref("payment_intent")
        out.append(SalePaid(
            sale_id=intent or str(obj.text("id", required=True)), customer_external_id=customer,
            amount_minor=int(obj.amount("amount_total") or 0), currency=obj.currency(),
            paid_at=obj.instant("created") or created, payment_intent_id=intent,
            billing_reason="checkout"))
    return out


def _invoice(obj: Node, created: datetime, _affiliate_key: str) -> list[Change]:
    amount = obj.amount("amount_paid")
    customer = obj.ref("customer")
    if not amount or customer is None:  # nothing was paid (a $0 trial invoice)
        return []
    transitions = obj.child("status_transitions")
    paid_at = transitions.instant("paid_at") if transitions is not None else None
    charge, intent = _invoice_payment(obj)
    product, price = _first_price(obj)
    return [SalePaid(
        sale_id=str(obj.text("id", required=True)), customer_external_id=customer,
        amount_minor=amount, currency=obj.currency(), paid_at=paid_at or created,
        charge_id=charge, payment_intent_id=intent, product_id=product, price_id=price,
        billing_reason=obj.text("billing_reason"))]


def _invoice_payment(obj: Node) -> tuple[str | None, str | None]:
    """(charge, payment intent): `charge`/`payment_intent` before 2025-03-31, else the first
    paid entry of `payments`."""
    charge, intent = obj.ref("charge"), obj.ref("payment_intent")
    if charge or intent:
        return charge, intent
    for payment in obj.elements("payments"):
        inner = payment.child("payment")
        if inner is not None:
            return inner.ref("charge"), inner.ref("payment_intent")
    return None, None


def _first_price(obj: Node) -> tuple[str | None, str | None]:
    """(product, price) of the first line: `price` (or older `plan`) before 2025-03-31,
    `pricing.price_details` since."""
    for line in obj.elements("lines"):
        price = line.child("price") or line.child("plan")
        if price is not None:
            return price.ref("product"), price.text("id")
        pricing = line.child("pricing")
        details = pricing.child("price_details") if pricing is not None else None
        if details is not None:
            return details.ref("product"), details.ref("price")
    return None, None


def _refund(obj: Node, created: datetime, _affiliate_key: str) -> list[Change]:
    refunded = obj.amount("amount_refunded")
    times = [r.instant("created") for r in obj.elements("refunds")]
    at = max((t for t in times if t is not None), default=created)
    return [ChargeRefunded(charge_id=str(obj.text("id", required=True)),
                           refunded_minor=int(refunded or 0), currency=obj.currency(), at=at,
                           payment_intent_id=obj.ref("payment_intent"),
                           invoice_id=obj.ref("invoice"))]


def _dispute(obj: Node, created: datetime, _affiliate_key: str) -> list[Change]:
    return [DisputeOpened(dispute_id=str(obj.text("id", required=True)),
                          at=obj.instant("created") or created, charge_id=obj.ref("charge"),
                          payment_intent_id=obj.ref("payment_intent"))]


def _subscription(obj: Node, created: datetime, _affiliate_key: str) -> list[Change]:
    status = str(obj.text("status", required=True))
    ended = obj.instant("ended_at") or (obj.instant("canceled_at")
                                        if status in ENDED_STATUSES else None)
    if status in ENDED_STATUSES and ended is None:
        ended = created
    return [SubscriptionState(subscription_id=str(obj.text("id", required=True)),
                              customer_external_id=str(obj.ref("customer", required=True)),
                              status=status, ended_at=ended, event_at=created)]


HANDLERS = {
    "checkout.session.completed": _checkout,
    "customer.created": _customer,
    "customer.updated": _customer,
    "invoice.paid": _invoice,
    "invoice.payment_succeeded": _invoice,
    "charge.refunded": _refund,
    "charge.dispute.created": _dispute,
    "customer.subscription.created": _subscription,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": _subscription,
}
