"""The program's settings: one row, the rules every redirect, attribution and payout obeys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base, one_of

ATTRIBUTION_MODELS = ("first_click", "last_click")


class Program(Base):
    """Cookie window, attribution model, hold and payout rules, allowed destinations."""

    __tablename__ = "program_settings"
    __table_args__ = (
        one_of("attribution", ATTRIBUTION_MODELS),
        CheckConstraint("cookie_days >= 0", name="cookie_days_positive"),
        CheckConstraint("hold_days >= 0", name="hold_days_positive"),
        CheckConstraint("min_payout_minor >= 0", name="min_payout_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    currency: Mapped[str] = mapped_column(String(3))
    cookie_days: Mapped[int]
    attribution: Mapped[str] = mapped_column(String(16))
    hold_days: Mapped[int]
    min_payout_minor: Mapped[int]
    allowed_domains: Mapped[list[str]]
    fallback_url: Mapped[str]
    default_plan_id: Mapped[str | None]
    updated_at: Mapped[datetime]
