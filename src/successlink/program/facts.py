"""What the engine knows about one referred account: facts with their own timestamps.

Facts are values, kept in sets: a fact delivered twice is one fact, and the order they arrive
in carries no meaning. Everything the engine decides is a function of the facts and `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Referral:
    """Who brought the account, under which plan, and when it was attributed."""

    account_id: str
    affiliate_id: str
    plan_id: str
    referred_at: datetime


@dataclass(frozen=True)
class Sale:
    """A paid invoice, with the quality inputs as they stood when it was paid."""

    sale_id: str
    amount_minor: int
    currency: str
    paid_at: datetime
    first_payment: bool
    product_id: str | None = None
    price_id: str | None = None
    affiliate_tier: str | None = None
    health_band: str | None = None
    activated: bool | None = None
    active_referrals: int = 0


@dataclass(frozen=True)
class Refund:
    """Money returned on a sale; `refunded_minor` is the cumulative refund of its charge
    (as Stripe reports it), so the largest one known is the current truth."""

    sale_id: str
    refunded_minor: int
    at: datetime


@dataclass(frozen=True)
class Dispute:
    """A chargeback opened on a sale."""

    sale_id: str
    at: datetime


@dataclass(frozen=True)
class Rejection:
    """A reviewer rejected the referral (fraud review): every commission on it is reversed,
    with the reviewer's reason."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class HealthReading:
    """The account's health band as of an instant (synced from the score run)."""

    band: str
    at: datetime


@dataclass(frozen=True)
class AccountFacts:
    """Everything known about one referred account."""

    referral: Referral
    sales: frozenset[Sale] = field(default_factory=frozenset)
    refunds: frozenset[Refund] = field(default_factory=frozenset)
    disputes: frozenset[Dispute] = field(default_factory=frozenset)
    churns: frozenset[datetime] = field(default_factory=frozenset)
    health: frozenset[HealthReading] = field(default_factory=frozenset)
    rejections: frozenset[Rejection] = field(default_factory=frozenset)

    def as_of(self, now: datetime) -> AccountFacts:
        """Only what had happened by `now`: no look-ahead when replaying history."""
        return AccountFacts(
            referral=self.referral,
            sales=frozenset(s for s in self.sales if s.paid_at <= now),
            refunds=frozenset(r for r in self.refunds if r.at <= now),
            disputes=frozenset(d for d in self.disputes if d.at <= now),
            churns=frozenset(c for c in self.churns if c <= now),
            health=frozenset(h for h in self.health if h.at <= now),
            rejections=frozenset(r for r in self.rejections if r.at <= now))
