"""The program's settings: one row, the rules every redirect, attribution and payout obeys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, text
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base, one_of

ATTRIBUTION_MODELS = ("first_click", "last_click")


class Program(Base):
    """Cookie window, attribution model, hold and payout rules, allowed destinations and the
    fraud checks' thresholds: one row (id 1), written by `successlink program set|apply`."""

    __tablename__ = "program_settings"
    __table_args__ = (
        one_of("attribution", ATTRIBUTION_MODELS),
        CheckConstraint("cookie_days >= 0", name="cookie_days_positive"),
        CheckConstraint("hold_days >= 0", name="hold_days_positive"),
        CheckConstraint("min_payout_minor >= 0", name="min_payout_positive"),
        CheckConstraint("fraud_flood_clicks >= 1", name="fraud_flood_clicks_positive"),
        CheckConstraint("fraud_flood_window_minutes >= 1",
                        name="fraud_flood_window_positive"),
        CheckConstraint("fraud_early_days >= 0", name="fraud_early_days_positive"),
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
    fraud_flood_clicks: Mapped[int] = mapped_column(server_default=text("20"))
    fraud_flood_window_minutes: Mapped[int] = mapped_column(server_default=text("60"))
    fraud_early_days: Mapped[int] = mapped_column(server_default=text("14"))
    fraud_disposable_domains: Mapped[list[str]] = mapped_column(server_default=text("'[]'"))
