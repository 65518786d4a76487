"""Links, the clicks on them, and the leads a click turned into."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from successlink.store.base import Base


class Link(Base):
    """A short code that redirects to an allowed destination, with its UTM tags."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"), index=True)
    destination: Mapped[str]
    utm_source: Mapped[str | None]
    utm_medium: Mapped[str | None]
    utm_campaign: Mapped[str | None]
    disabled: Mapped[bool]
    created_at: Mapped[datetime]


class Click(Base):
    """One visit through a link; the IP is anonymised before it is stored."""

    __tablename__ = "clicks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("links.id"), index=True)
    affiliate_id: Mapped[str | None] = mapped_column(ForeignKey("affiliates.id"), index=True)
    clicked_at: Mapped[datetime] = mapped_column(index=True)
    ip_anon: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None]
    referer: Mapped[str | None]
    is_bot: Mapped[bool]


class Lead(Base):
    """A click that became a known person: the customer's external id or e-mail."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    click_id: Mapped[str | None] = mapped_column(ForeignKey("clicks.id"), index=True)
    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"), index=True)
    customer_external_id: Mapped[str | None] = mapped_column(index=True)
    email: Mapped[str | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
