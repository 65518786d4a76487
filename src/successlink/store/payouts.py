"""Payouts and the ledger entries each one pays (an entry is paid at most once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base, one_of

PAYOUT_STATUSES = ("pending", "paid", "cancelled")


class Payout(Base):
    """A sum owed to one affiliate in one currency, from one payout run."""

    __tablename__ = "payouts"
    __table_args__ = (one_of("status", PAYOUT_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None]
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    # A cancelled payout: why (shown to the affiliate) and when. Its entries are paid again
    # by the next run.
    cancel_reason: Mapped[str | None]
    cancelled_at: Mapped[datetime | None]


class PayoutItem(Base):
    """A ledger entry's vested amount counted in a payout. An entry is in at most one payout
    that is not cancelled, so it is never paid twice: a trigger (migration 0006) refuses a
    second live item, and another keeps a cancelled payout cancelled."""

    __tablename__ = "payout_items"
    # Triggers (migration 0002) make the database refuse UPDATE and DELETE on this table:
    # paying an entry is a fact, like the entry.
    __table_args__ = ({"info": {"append_only": True}},)

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
