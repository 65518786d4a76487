"""Webhook events already handled: the id makes a redelivery a no-op."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base, one_of

EVENT_OUTCOMES = ("processed", "ignored")


class WebhookEvent(Base):
    """One delivered event, recorded in the same transaction as its effects."""

    __tablename__ = "webhook_events"
    __table_args__ = (one_of("outcome", EVENT_OUTCOMES),)

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(128))
    api_version: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    received_at: Mapped[datetime]
