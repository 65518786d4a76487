"""Referred customers (who brought them) and the account scores synced from the warehouse."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base


class Customer(Base):
    """A billing customer and its attribution: the affiliate and click that brought it."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(index=True)
    account_id: Mapped[str | None] = mapped_column(index=True)
    affiliate_id: Mapped[str | None] = mapped_column(ForeignKey("affiliates.id"), index=True)
    click_id: Mapped[str | None] = mapped_column(ForeignKey("clicks.id"))
    referred_at: Mapped[datetime | None]
    churned_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class AffiliateTier(Base):
    """An affiliate's scorecard tier as of a day (from `score`): the tier history commissions
    are computed with, so a sale is always paid by the tier in force when it was paid."""

    __tablename__ = "affiliate_tiers"

    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    tier: Mapped[str] = mapped_column(String(16))


class AccountScore(Base):
    """An account's health band, activation and churn risk as of a day (from `score`)."""

    __tablename__ = "account_scores"

    account_id: Mapped[str] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    health_band: Mapped[str | None] = mapped_column(String(16))
    activated: Mapped[bool | None]
    churn_risk: Mapped[float | None] = mapped_column(Float)
