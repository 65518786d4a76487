"""The webhook inbox: verified deliveries stored as received, and how far processing got.

The service acknowledges a Stripe delivery once its raw body is durably in
`webhook_inbox`; the inbox processor (program/inbox.py) turns the rows into facts and ledger
entries later, in id order. The cursor row advances in the same transaction as the effects
of the rows it passes, so a crash anywhere leaves every row either processed with its
effects or pending without them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base

CURSOR_ID = 1


class WebhookInbox(Base):
    """One verified delivery exactly as it arrived (a redelivery by Stripe is another row),
    written before the delivery is acknowledged; processed later in id order."""

    __tablename__ = "webhook_inbox"
    # Triggers (migration 0005) make the database refuse UPDATE and DELETE on this table.
    __table_args__ = ({"info": {"append_only": True}},)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(128))
    api_version: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


class InboxCursor(Base):
    """How far the inbox processor got: every inbox row up to `last_id` is done (its
    effects committed, or its failure recorded in `webhook_inbox_failures`). One row (id 1),
    moved in the same transaction as the effects; `as_of` is the latest receipt time
    settled so far (settlement never goes back in time)."""

    __tablename__ = "webhook_inbox_cursor"
    __table_args__ = (CheckConstraint(f"id = {CURSOR_ID}", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int]
    as_of: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class InboxFailure(Base):
    """An inbox row whose processing raised: its effects were rolled back and the processor
    went on; it is retried with a growing delay until it succeeds (`resolved_at` set, with
    what the retry did in `outcome`)."""

    __tablename__ = "webhook_inbox_failures"

    inbox_id: Mapped[int] = mapped_column(ForeignKey("webhook_inbox.id"), primary_key=True,
                                          autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(255))
    attempts: Mapped[int]
    error: Mapped[str] = mapped_column(Text)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
