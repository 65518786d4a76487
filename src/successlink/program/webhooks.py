"""Stripe webhooks in the app store: verify, record the facts, settle the ledger.

Idempotent twice over: an event id is processed once (the `webhook_events` row is written in
the same transaction as its effects), and the facts are keyed by Stripe's own ids (an invoice
is one sale whichever events deliver it). Order-free: each cumulative refund amount of a
charge is one fact, a subscription keeps the state of its newest event, and a customer the
earliest evidence of who referred it, so any delivery order stores the same facts. The
ledger is then settled `settle_delay` behind the clock, so events Stripe delivers out of
order are all in before they are settled.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from successlink.errors import ConfigError
from successlink.program.books import settle_customer
from successlink.program.plans import Plan
from successlink.program.reviews import check_referral
from successlink.program.signatures import verify_signature
from successlink.program.stripe_events import (
    Change,
    ChargeRefunded,
    CustomerSeen,
    DisputeOpened,
    SalePaid,
    StripeEvent,
    SubscriptionState,
    read_event,
)
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.sales import Dispute, Refund, Sale, Subscription
from successlink.store.tracking import Click, Lead
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


@dataclass(frozen=True)
class WebhookResult:
    """What happened to one delivery."""

    event_id: str
    event_type: str
    outcome: str  # processed, ignored or duplicate


def handle_stripe_webhook(session: Session, payload: bytes, signature: str | None,
                          settings: WebhookSettings, received_at: datetime) -> WebhookResult:
    """Verify and process one delivery; SignatureError or EventError before anything is
    stored. Call inside a transaction."""
    verify_signature(payload, signature, settings.secrets,
                     tolerance_seconds=settings.tolerance_seconds)
    event = read_event(payload, affiliate_key=settings.affiliate_key)
    return process_event(session, event, settings, received_at)


def process_event(session: Session, event: StripeEvent, settings: WebhookSettings,
                  received_at: datetime) -> WebhookResult:
    """Record an event's facts and settle the customers it touches (once per event id)."""
    if session.get(WebhookEvent, event.event_id) is not None:
        return WebhookResult(event.event_id, event.event_type, "duplicate")
    outcome = "processed" if event.handled else "ignored"
    session.add(WebhookEvent(event_id=event.event_id, source="stripe",
                             event_type=event.event_type, api_version=event.api_version,
                             outcome=outcome, created_at=event.created, received_at=received_at))
    session.flush()  # a concurrent delivery of the same id fails here, before any effect
    record_changes(session, event.changes, settings, received_at)
    return WebhookResult(event.event_id, event.event_type, outcome)


def record_changes(session: Session, changes: Sequence[Change], settings: WebhookSettings,
                   received_at: datetime) -> None:
    """Store facts (from a webhook or the tracking API), check the customers they touch for
    fraud, and settle them. Every change is keyed by its own ids, so repeating it is safe."""
    touched: set[str] = set()
    for change in changes:
        touched.update(_apply(session, change))
    session.flush()
    now = received_at - settings.settle_delay
    for external_id in sorted(touched):
        customer = session.scalars(select(Customer).where(
            Customer.external_id == external_id)).one()
        check_referral(session, customer, received_at)
        try:
            with session.begin_nested():
                settle_customer(session, customer, settings.plans, now, settings.default_plan)
        except ConfigError as exc:
            # The facts are stored and acknowledged; the ledger catches up at the next
            # settlement once the program is fixed (a 500 would only make Stripe retry).
            log.warning("customer %s not settled: %s", external_id, exc.render())


def _apply(session: Session, change: Change) -> list[str]:
    """Store one change; returns the external ids of the customers it concerns."""
    if isinstance(change, CustomerSeen):
        _seen(session, change)
        return [change.external_id]
    if isinstance(change, SalePaid):
        return _sale(session, change)
    if isinstance(change, ChargeRefunded):
        _refund(session, change)
        return _owners(session, change.charge_id, change.payment_intent_id, change.invoice_id)
    if isinstance(change, DisputeOpened):
        if session.get(Dispute, change.dispute_id) is None:
            session.add(Dispute(id=change.dispute_id, charge_id=change.charge_id,
                                payment_intent_id=change.payment_intent_id, opened_at=change.at))
        return _owners(session, change.charge_id, change.payment_intent_id, None)
    _subscription(session, change)
    return [change.customer_external_id]


def _customer(session: Session, external_id: str, seen_at: datetime) -> Customer:
    """The stored customer, created bare when an event names it first; its `created_at` is
    the earliest time any event showed it (so it does not depend on delivery order)."""
    customer = session.scalars(select(Customer).where(Customer.external_id == external_id)) \
        .one_or_none()
    if customer is None:
        customer = Customer(external_id=external_id, email=None, account_id=None,
                            affiliate_id=None, click_id=None, referred_at=None,
                            churned_at=None, created_at=seen_at)
        session.add(customer)
        session.flush()
    elif seen_at < customer.created_at:
        customer.created_at = seen_at
    return customer


def _seen(session: Session, change: CustomerSeen) -> None:
    customer = _customer(session, change.external_id, change.created_at)
    customer.email = change.email.strip().lower() if change.email else customer.email
    customer.account_id = change.account_id or customer.account_id
    evidence = _referrer(session, change)
    if evidence is None:
        return
    affiliate_id, click_id, at = evidence
    # First evidence by time wins (first-click), whatever order the events came in.
    if customer.referred_at is None or at < customer.referred_at or (
            at == customer.referred_at and affiliate_id < (customer.affiliate_id or "")):
        customer.affiliate_id, customer.click_id, customer.referred_at = affiliate_id, \
            click_id, at


def _referrer(session: Session, change: CustomerSeen) -> tuple[str, str | None, datetime] | None:
    """(affiliate, click, when) from a click id, an affiliate id in metadata, or a lead."""
    if change.click_id:
        click = session.get(Click, change.click_id)
        if click is not None and click.affiliate_id is not None:
            return click.affiliate_id, click.id, click.clicked_at
    if change.affiliate_id and session.get(Affiliate, change.affiliate_id) is not None:
        return change.affiliate_id, None, change.created_at
    matches = [Lead.customer_external_id == change.external_id]
    if change.email:
        matches.append(Lead.email == change.email.lower())
    lead = session.scalars(select(Lead).where(or_(*matches))
                           .order_by(Lead.created_at, Lead.id)).first()
    if lead is not None:  # a lead counts from its click, as when the lead came first
        click = session.get(Click, lead.click_id) if lead.click_id else None
        return lead.affiliate_id, lead.click_id, click.clicked_at if click else lead.created_at
    return None


def _sale(session: Session, change: SalePaid) -> list[str]:
    customer = _customer(session, change.customer_external_id, change.paid_at)
    sale = session.get(Sale, change.sale_id)
    if sale is None:
        session.add(Sale(id=change.sale_id, customer_id=customer.id, charge_id=change.charge_id,
                         payment_intent_id=change.payment_intent_id,
                         amount_minor=change.amount_minor, currency=change.currency,
                         paid_at=change.paid_at, product_id=change.product_id,
                         price_id=change.price_id, billing_reason=change.billing_reason))
    else:  # another event for the same invoice: fill what the first one lacked
        sale.charge_id = sale.charge_id or change.charge_id
        sale.payment_intent_id = sale.payment_intent_id or change.payment_intent_id
    return [change.customer_external_id]


def _refund(session: Session, change: ChargeRefunded) -> None:
    """Each cumulative refund amount of a charge is its own fact (a partial refund and the
    full one later both count, each from its own time); the same amount seen twice keeps
    the earlier time."""
    key = f"{change.charge_id}:{change.refunded_minor}"
    refund = session.get(Refund, key)
    if refund is None:
        session.add(Refund(id=key, charge_id=change.charge_id,
                           payment_intent_id=change.payment_intent_id,
                           invoice_id=change.invoice_id, refunded_minor=change.refunded_minor,
                           currency=change.currency, refunded_at=change.at))
    else:
        refund.refunded_at = min(refund.refunded_at, change.at)
        refund.invoice_id = refund.invoice_id or change.invoice_id
        refund.payment_intent_id = refund.payment_intent_id or change.payment_intent_id


def _subscription(session: Session, change: SubscriptionState) -> None:
    _customer(session, change.customer_external_id, change.event_at)
    sub = session.get(Subscription, change.subscription_id)
    if sub is None:
        session.add(Subscription(id=change.subscription_id,
                                 customer_external_id=change.customer_external_id,
                                 status=change.status, ended_at=change.ended_at,
                                 event_at=change.event_at))
    elif _newer(change, sub):
        sub.status, sub.ended_at, sub.event_at = change.status, change.ended_at, change.event_at


def _newer(change: SubscriptionState, stored: Subscription) -> bool:
    """Newest event wins; on a tie (Stripe's `created` is in seconds) an ended state wins,
    so the outcome does not depend on which of the two arrived first."""
    if change.event_at != stored.event_at:
        return change.event_at > stored.event_at
    return change.ended_at is not None and stored.ended_at is None


def _owners(session: Session, charge_id: str | None, intent_id: str | None,
            invoice_id: str | None) -> list[str]:
    """The customers whose sales a charge, payment intent or invoice belongs to."""
    matches = []
    if charge_id:
        matches.append(Sale.charge_id == charge_id)
    if intent_id:
        matches.append(Sale.payment_intent_id == intent_id)
    if invoice_id:
        matches.append(Sale.id == invoice_id)
    if not matches:
        return []
    q = select(Customer.external_id).join(Sale, Sale.customer_id == Customer.id) \
        .where(or_(*matches))
    return sorted(set(session.scalars(q)))
