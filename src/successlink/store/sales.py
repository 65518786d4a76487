"""Sales from billing and what happened to them since (refunds, disputes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base


class Sale(Base):
    """A paid invoice (its id is the invoice id, so a sale is stored once however often the
    webhook is delivered)."""

    __tablename__ = "sales"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    affiliate_id: Mapped[str | None] = mapped_column(ForeignKey("affiliates.id"), index=True)
    charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime]
    product_id: Mapped[str | None]
    price_id: Mapped[str | None]
    first_payment: Mapped[bool]
    inputs: Mapped[dict[str, Any]]


class Refund(Base):
    """Money given back on a sale; `refunded_minor` is the charge's cumulative refund."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.id"), index=True)
    refunded_minor: Mapped[int]
    refunded_at: Mapped[datetime]


class Dispute(Base):
    """A chargeback opened on a sale: the commission is reversed in full."""

    __tablename__ = "disputes"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.id"), index=True)
    opened_at: Mapped[datetime]
