"""Sales from billing and what happened to them since (refunds, disputes, subscriptions).

Refunds and disputes are stored under their own ids and point at the charge, payment intent
or invoice they came with, not at a stored sale: webhooks arrive in any order, and a refund
may be delivered before the invoice it refunds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base


class Sale(Base):
    """A paid invoice (or a one-off checkout payment). Its id is the invoice id, so a sale is
    stored once however often and by however many event types it is delivered."""

    __tablename__ = "sales"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime]
    product_id: Mapped[str | None]
    price_id: Mapped[str | None]
    billing_reason: Mapped[str | None] = mapped_column(String(64))


class Refund(Base):
    """A charge's cumulative refund as of an instant (id `<charge>:<amount>`): a partial
    refund and the full one later are two rows, so history survives any delivery order."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    invoice_id: Mapped[str | None] = mapped_column(String(255), index=True)
    refunded_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    refunded_at: Mapped[datetime]


class Dispute(Base):
    """A chargeback opened on a charge: the commission is reversed in full."""

    __tablename__ = "disputes"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    opened_at: Mapped[datetime]


class Subscription(Base):
    """A subscription's latest known state: the newest event (by Stripe's `created`) wins, so
    a late `updated` never resurrects a deleted subscription."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_external_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(32))
    ended_at: Mapped[datetime | None]
    event_at: Mapped[datetime]
