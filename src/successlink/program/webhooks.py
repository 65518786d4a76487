"""Stripe webhooks in the app store: verify, record the facts, settle the ledger.

Idempotent twice over: an event id is processed once (the `webhook_events` row is written in
the same transaction as its effects), and the facts are keyed by Stripe's own ids (an invoice
is one sale whichever events deliver it). Order-free: each cumulative refund amount of a
charge is one fact, a subscription keeps the state of its newest event, and a customer the
earliest evidence of who referred it, so any delivery order stores the same facts. The
ledger is then settled `settle_delay` behind the clock, so events Stripe delivers out of
order are all in before they are settled.

Deliveries are processed in batches (`process_batch`: the service's group commit hands over
every verified delivery that arrived together, in one transaction); a single delivery is a
batch of one. Because the facts merge order-free, recording a batch in one pass and settling
each customer it touches once, at the end, stores what the events one by one would.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from successlink.errors import ConfigError
from successlink.program.books import customer_entries
from successlink.program.intake import store_changes
from successlink.program.ledger import Entry
from successlink.program.plans import Plan
from successlink.program.records import entry_values, load_records, scalars_in
from successlink.program.reviews import new_flags
from successlink.program.signatures import verify_signature
from successlink.program.stripe_events import (
    Change,
    ChargeRefunded,
    CustomerSeen,
    DisputeOpened,
    EventError,
    SalePaid,
    StripeEvent,
    SubscriptionState,
    read_event,
)
from successlink.program.terms_store import fraud_rules
from successlink.store.base import Base
from successlink.store.customers import Customer
from successlink.store.fraud import FraudFlag
from successlink.store.ledger import LedgerEntry
from successlink.store.sales import Dispute, Refund, Sale, Subscription
from successlink.store.webhooks import WebhookEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookSettings:
    """What processing needs besides the store: secrets, plans, and the settlement lag."""

    secrets: Sequence[str]
    plans: Sequence[Plan]
    default_plan: str | None = None
    tolerance_seconds: int | None = 300
    settle_delay: timedelta = timedelta(hours=1)
    affiliate_key: str = "affiliate"
    attribution: str = "first_click"  # or last_click: the program's terms


@dataclass(frozen=True)
class WebhookResult:
    """What happened to one delivery."""

    event_id: str
    event_type: str
    outcome: str  # processed, ignored, duplicate, or rejected (nothing stored)
    reason: str | None = None  # why a rejected event cannot be stored


def read_delivery(payload: bytes, signature: str | None,
                  settings: WebhookSettings) -> StripeEvent:
    """Verify and parse one delivery, touching no database: SignatureError or EventError
    (answer 400) when it is not a readable event signed by Stripe."""
    verify_signature(payload, signature, settings.secrets,
                     tolerance_seconds=settings.tolerance_seconds)
    return read_event(payload, affiliate_key=settings.affiliate_key)


def handle_stripe_webhook(session: Session, payload: bytes, signature: str | None,
                          settings: WebhookSettings, received_at: datetime) -> WebhookResult:
    """Verify and process one delivery; SignatureError or EventError before anything is
    stored. Call inside a transaction."""
    return process_event(session, read_delivery(payload, signature, settings), settings,
                         received_at)


def process_event(session: Session, event: StripeEvent, settings: WebhookSettings,
                  received_at: datetime) -> WebhookResult:
    """One event as a batch of one; EventError when it cannot be stored."""
    (result,) = process_batch(session, [event], settings, received_at)
    if result.outcome == "rejected":
        raise EventError(str(result.reason))
    return result


def process_batch(session: Session, events: Sequence[StripeEvent], settings: WebhookSettings,
                  received_at: datetime) -> list[WebhookResult]:
    """Record a batch of verified, parsed events and settle the customers they touch, each
    once; one result per event, in order. Call inside one transaction.

    The same rows and ledger as processing the events one by one in this order: an event id
    is processed once (a later copy in the batch, or one already stored, is a `duplicate`);
    the facts merge order-free; the customers touched are checked for fraud and settled
    after all the facts are in, as of `received_at - settle_delay`. An event that cannot be
    stored (an id longer than its column) is `rejected` with the reason and leaves no trace;
    the others go on. Any other error (a concurrent delivery of the same id committing
    first raises IntegrityError) aborts the whole transaction: retry the batch, or its
    events one by one.
    """
    stored = set(scalars_in(session, [e.event_id for e in events], lambda v: select(
        WebhookEvent.event_id).where(WebhookEvent.event_id.in_(v))))
    fresh: dict[str, StripeEvent] = {}
    results = []
    for event in events:
        problem = unstorable(event)
        if problem is not None:
            results.append(WebhookResult(event.event_id, event.event_type, "rejected", problem))
        elif event.event_id in stored or event.event_id in fresh:
            results.append(WebhookResult(event.event_id, event.event_type, "duplicate"))
        else:
            fresh[event.event_id] = event
            results.append(WebhookResult(event.event_id, event.event_type,
                                         "processed" if event.handled else "ignored"))
    if fresh:  # a concurrent delivery of the same id fails here, before any effect
        session.execute(insert(WebhookEvent), [
            {"event_id": e.event_id, "source": "stripe", "event_type": e.event_type,
             "api_version": e.api_version, "outcome": "processed" if e.handled else "ignored",
             "created_at": e.created, "received_at": received_at} for e in fresh.values()])
    record_changes(session, [c for e in fresh.values() for c in e.changes], settings,
                   received_at)
    return results


def record_changes(session: Session, changes: Sequence[Change], settings: WebhookSettings,
                   received_at: datetime) -> None:
    """Store facts (from webhooks or the tracking API), check the customers they touch for
    fraud, and settle them. Every change is keyed by its own ids, so repeating it is safe."""
    if changes:
        settle_touched(session, store_changes(session, changes, settings.attribution),
                       settings, received_at)


def settle_touched(session: Session, customers: Sequence[Customer], settings: WebhookSettings,
                   received_at: datetime) -> None:
    """Check each customer for fraud and settle it as of `received_at - settle_delay`, from
    rows loaded for all of them at once."""
    now = received_at - settings.settle_delay
    tiered = any(rule.tiers for plan in settings.plans for rule in plan.rules)
    records = load_records(session, customers, count_referrals=tiered)
    rules = fraud_rules(session)
    flags: list[dict[str, Any]] = []
    entries: list[Entry] = []
    for customer in customers:
        flags += new_flags(session, customer, received_at, records, rules)
        try:
            entries += customer_entries(session, customer, settings.plans, now,
                                        settings.default_plan, records)
        except ConfigError as exc:
            # The facts are stored and acknowledged; the ledger catches up at the next
            # settlement once the program is fixed (a 500 would only make Stripe retry).
            log.warning("customer %s not settled: %s", customer.external_id, exc.render())
    # Bulk inserts: nothing in the transaction reads these rows back as objects.
    if flags:
        session.execute(insert(FraudFlag), flags)
    if entries:
        session.execute(insert(LedgerEntry), [entry_values(e, now) for e in entries])


def _length(table: type[Base], column: str) -> int:
    length = getattr(table.__table__.c[column].type, "length", None)
    return int(length) if length is not None else 2**31


# (field of the change, the longest text its column holds) for every text a change stores.
_STORED: dict[type, list[tuple[str, int]]] = {
    CustomerSeen: [("external_id", _length(Customer, "external_id"))],
    SalePaid: [("sale_id", _length(Sale, "id")),
               ("customer_external_id", _length(Customer, "external_id")),
               ("charge_id", _length(Sale, "charge_id")),
               ("payment_intent_id", _length(Sale, "payment_intent_id")),
               ("currency", _length(Sale, "currency")),
               ("billing_reason", _length(Sale, "billing_reason"))],
    ChargeRefunded: [("charge_id", _length(Refund, "charge_id")),
                     ("payment_intent_id", _length(Refund, "payment_intent_id")),
                     ("invoice_id", _length(Refund, "invoice_id")),
                     ("currency", _length(Refund, "currency"))],
    DisputeOpened: [("dispute_id", _length(Dispute, "id")),
                    ("charge_id", _length(Dispute, "charge_id")),
                    ("payment_intent_id", _length(Dispute, "payment_intent_id"))],
    SubscriptionState: [("subscription_id", _length(Subscription, "id")),
                        ("customer_external_id",
                         _length(Subscription, "customer_external_id")),
                        ("status", _length(Subscription, "status"))],
}
_EVENT = [("id", "event_id", _length(WebhookEvent, "event_id")),
          ("type", "event_type", _length(WebhookEvent, "event_type")),
          ("api_version", "api_version", _length(WebhookEvent, "api_version"))]
_REFUND_KEY = _length(Refund, "id")
_MAX_MINOR = 2**63 - 1  # a BIGINT


def unstorable(event: StripeEvent) -> str | None:
    """Why the event cannot be stored (a text longer than its column, an amount beyond a
    BIGINT), or None. Checked before anything is written, so one such event in a batch
    cannot abort the others; SQLite would store the text and PostgreSQL refuse it."""
    texts: list[tuple[str, str | None, int]] = [
        (name, getattr(event, field), length) for name, field, length in _EVENT]
    for change in event.changes:
        kind = type(change).__name__
        texts += [(f"{kind}.{name}", getattr(change, name), length)
                  for name, length in _STORED[type(change)]]
        if isinstance(change, ChargeRefunded):
            texts.append(("the refund key", f"{change.charge_id}:{change.refunded_minor}",
                          _REFUND_KEY))
        amount = int(getattr(change, "amount_minor", 0) or getattr(change, "refunded_minor", 0))
        if abs(amount) > _MAX_MINOR:
            return f"{kind} amount {amount} is too large to store"
    for name, value, length in texts:
        if value is not None and len(value) > length:
            return (f"event {event.event_id[:64]}: {name} is {len(value)} characters long; "
                    f"the app store keeps at most {length}")
    return None
