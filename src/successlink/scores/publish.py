"""The only bridge from the warehouse into the app store: a scored day's affiliate tiers and
account health bands, which commissions are computed with (as of each sale's payment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import ibis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from successlink.scores.run import ACCOUNT_HEALTH, SOURCE_SCORECARDS
from successlink.scores.snapshots import read_snapshot, snapshot_days
from successlink.store.affiliates import Affiliate
from successlink.store.customers import AccountScore, AffiliateTier
from successlink.warehouse.connect import Warehouse


@dataclass(frozen=True)
class Published:
    """What one sync wrote."""

    as_of: date
    affiliate_tiers: int
    unknown_affiliates: int
    account_scores: int


def publish(wh: Warehouse, session: Session, as_of: date) -> Published:
    """Replace the app store's tiers and health bands of `as_of` with the warehouse's (call
    inside one transaction). Affiliates the store does not know are counted, not created."""
    cards = read_snapshot(wh, SOURCE_SCORECARDS, as_of)
    cards = cards.filter(cards.source_kind == ibis.literal("affiliate")) \
        .select("source_id", "suggested_tier").to_pyarrow().to_pylist()
    known = {a.id: a for a in session.scalars(select(Affiliate))}
    session.execute(delete(AffiliateTier).where(AffiliateTier.as_of == as_of))
    tiers = 0
    for row in cards:
        affiliate = known.get(row["source_id"])
        if affiliate is None or not row["suggested_tier"]:
            continue
        session.add(AffiliateTier(affiliate_id=affiliate.id, as_of=as_of,
                                  tier=row["suggested_tier"]))
        scored = datetime.combine(as_of, time(), tzinfo=UTC)
        if affiliate.quality_tier_as_of is None or affiliate.quality_tier_as_of <= scored:
            affiliate.quality_tier, affiliate.quality_tier_as_of = row["suggested_tier"], scored
        tiers += 1
    health = read_snapshot(wh, ACCOUNT_HEALTH, as_of).select("account_id", "band") \
        .to_pyarrow().to_pylist()
    session.execute(delete(AccountScore).where(AccountScore.as_of == as_of))
    session.add_all(AccountScore(account_id=r["account_id"], as_of=as_of,
                                 health_band=r["band"], activated=None, churn_risk=None)
                    for r in health if r["account_id"])
    session.flush()
    return Published(as_of, tiers, len(cards) - tiers, len(health))


def latest_scored_day(wh: Warehouse) -> date | None:
    """The newest day with both scorecards and health scores."""
    days = set(snapshot_days(wh, SOURCE_SCORECARDS)) & set(snapshot_days(wh, ACCOUNT_HEALTH))
    return max(days, default=None)
