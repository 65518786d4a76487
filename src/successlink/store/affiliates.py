"""Affiliates and the API keys that act for them (or for the admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base, one_of

AFFILIATE_STATUSES = ("invited", "pending", "active", "suspended", "banned")
PAYOUT_METHODS = ("paypal", "wise", "manual")
KEY_SCOPES = ("admin", "affiliate")


class Affiliate(Base):
    """Someone paid to refer; `account_id` links a customer-advocate to the account they are."""

    __tablename__ = "affiliates"
    __table_args__ = (
        one_of("status", AFFILIATE_STATUSES),
        one_of("payout_method", PAYOUT_METHODS),
        UniqueConstraint("email"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str]
    email: Mapped[str]
    status: Mapped[str] = mapped_column(String(16))
    group_name: Mapped[str | None]
    quality_tier: Mapped[str | None] = mapped_column(String(16))
    quality_tier_as_of: Mapped[datetime | None]
    plan_id: Mapped[str | None]
    payout_method: Mapped[str] = mapped_column(String(16))
    payout_details: Mapped[dict[str, Any]]
    account_id: Mapped[str | None] = mapped_column(index=True)
    created_at: Mapped[datetime]


class ApiKey(Base):
    """An API key, kept only as its SHA-256 hash; the prefix lets a person tell keys apart."""

    __tablename__ = "api_keys"
    __table_args__ = (one_of("scope", KEY_SCOPES), UniqueConstraint("key_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))
    affiliate_id: Mapped[str | None] = mapped_column(ForeignKey("affiliates.id"), index=True)
    label: Mapped[str | None]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
