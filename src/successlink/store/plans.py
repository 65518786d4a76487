"""Commission plans: every version kept, with the TOML it came from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base


class CommissionPlan(Base):
    """One version of a plan; versions are never edited, a change is a new version."""

    __tablename__ = "commission_plans"

    plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str]
    effective_from: Mapped[datetime]
    source_toml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
