"""Payouts and the ledger entries each one pays (an entry is paid at most once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
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


class PayoutItem(Base):
    """A ledger entry's vested amount counted in a payout; unique per entry, so no entry is
    ever paid twice."""

    __tablename__ = "payout_items"
    # Triggers (migration 0002) make the database refuse UPDATE and DELETE on this table:
    # paying an entry is a fact, like the entry.
    __table_args__ = (UniqueConstraint("entry_id"), {"info": {"append_only": True}})

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
