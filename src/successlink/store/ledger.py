"""The commission ledger: append-only entries; balances are sums of them, never stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base, one_of

ENTRY_KINDS = ("accrual", "vesting", "lapse", "reversal", "adjustment")


class LedgerEntry(Base):
    """One fact about a commission tranche: how much moved between its buckets and why.

    The four signed bucket columns sum to the money the entry creates (an accrual) or removes
    (a downward adjustment); moves between buckets sum to zero.
    """

    __tablename__ = "ledger_entries"
    # Triggers (migration 0002) make the database refuse UPDATE and DELETE on this table.
    __table_args__ = (one_of("kind", ENTRY_KINDS), UniqueConstraint("entry_key"),
                      {"info": {"append_only": True}})

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(255))
    tranche_key: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"), index=True)
    account_id: Mapped[str] = mapped_column(index=True)
    sale_id: Mapped[str | None] = mapped_column(String(255), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    unvested_minor: Mapped[int]
    vested_minor: Mapped[int]
    lapsed_minor: Mapped[int]
    reversed_minor: Mapped[int]
    plan_id: Mapped[str | None] = mapped_column(String(64))
    plan_version: Mapped[int | None]
    inputs: Mapped[dict[str, Any]]
    explanation: Mapped[str] = mapped_column(Text)
    effective_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
