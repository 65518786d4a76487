"""Fraud flags (held for review, never silently rejected) and the reviews that settle them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base, one_of

FLAG_KINDS = ("self_referral", "click_flood", "disposable_email", "no_click",
              "early_refund", "early_churn")
FLAG_STATUSES = ("open", "approved", "rejected")
REVIEW_DECISIONS = ("approve", "reject")


class FraudFlag(Base):
    """A suspicion about an affiliate's referral; its commissions wait until it is reviewed."""

    __tablename__ = "fraud_flags"
    __table_args__ = (one_of("kind", FLAG_KINDS), one_of("status", FLAG_STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(index=True)
    details: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class FraudReview(Base):
    """A reviewer's decision on a flag, with the reason the affiliate is shown."""

    __tablename__ = "fraud_reviews"
    __table_args__ = (one_of("decision", REVIEW_DECISIONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("fraud_flags.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str]
    reviewed_at: Mapped[datetime]
