"""Hand-built score snapshots for report tests: a small program, stored as `score` would.

`program()` makes a deterministic world of accounts, health scores, scorecards and curves
(numbers are arbitrary but fixed); `store()` writes it as one as-of day's snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from successlink.scores.snapshots import replace_snapshot_arrow
from successlink.warehouse.connect import Warehouse

AS_OF = date(2026, 6, 30)
CHANNELS = ("organic", "paid_search", "affiliate")
Row = dict[str, Any]

CARD_TYPES: dict[str, pa.DataType] = {
    "source_kind": pa.string(), "source_id": pa.string(), "referred_accounts": pa.int64(),
    "active_accounts": pa.int64(), "churn_90d": pa.float64(), "churn_180d": pa.float64(),
    "retention_horizon": pa.float64(), "rmst_days": pa.float64(),
    "revenue_per_account_minor": pa.int64(), "ltv_margin_per_account_minor": pa.int64(),
    "ltv_seed_per_account_minor": pa.int64(), "expansion_share": pa.float64(),
    "nps": pa.float64(), "nps_low": pa.float64(), "nps_high": pa.float64(),
    "nps_respondents": pa.int64(), "csat_pct": pa.float64(),
    "health_green_share": pa.float64(), "health_yellow_share": pa.float64(),
    "health_red_share": pa.float64(), "tickets_per_account_90d": pa.float64(),
    "crc_per_account_minor": pa.int64(), "commissions_minor": pa.int64(),
    "net_value_minor": pa.int64(), "roi": pa.float64(), "quality_score": pa.float64(),
    "quality_low": pa.float64(), "quality_high": pa.float64(), "quality_rank": pa.int64(),
    "volume_rank": pa.int64(), "suggested_tier": pa.string(), "tier_reason": pa.string(),
    "predicted_ltv_per_account_minor": pa.int64(), "predicted_ltv_low_minor": pa.int64(),
    "predicted_ltv_high_minor": pa.int64(),
}


@dataclass
class Program:
    """One scored day's rows."""

    accounts: list[Row] = field(default_factory=list)
    health: list[Row] = field(default_factory=list)
    cards: list[Row] = field(default_factory=list)
    curves: list[Row] = field(default_factory=list)
    affiliates: list[Row] = field(default_factory=list)  # the canonical `affiliates` table


def _account(i: int, channel: str, affiliate: str | None) -> Row:
    started = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=(i * 7) % 500)
    churned = started + timedelta(days=40 + i % 90) if i % 5 == 0 else None
    return {"account_id": f"acc_{i:04d}", "channel": channel, "affiliate_id": affiliate,
            "status": "churned" if churned else "active", "is_active": churned is None,
            "plan_name": "Pro" if i % 3 else "Team", "first_started_at": started,
            "churned_at": churned, "mrr_minor": 0 if churned else 4_900 + 100 * (i % 7),
            "revenue_net_minor": 50_000 + 1_000 * (i % 13), "crc_minor": 8_000 + 10 * i,
            "ltv_margin_minor": 120_000 + 500 * (i % 11), "ltv_seed_minor": 150_000,
            "nps_latest_category": (None, "promoter", "passive", "detractor", "promoter")[i % 5],
            "csat_pct_satisfied": None if i % 4 else 80.0 + i % 20, "tickets_90d": i % 4}


def _health(i: int) -> Row:
    score = float((i * 37) % 101)
    band = "red" if score < 40 else "yellow" if score < 70 else "green"
    return {"account_id": f"acc_{i:04d}", "score": score, "band": band}


def _card(kind: str, source_id: str, n: int, quality: float, rank: int, volume: int) -> Row:
    tier = "new" if n < 3 else "gold" if quality >= 65 else "silver" if quality >= 45 \
        else "bronze"
    return {"source_kind": kind, "source_id": source_id, "referred_accounts": n,
            "active_accounts": n - n // 5, "churn_90d": 0.1, "churn_180d": 0.2,
            "retention_horizon": 0.7, "rmst_days": 300.0, "revenue_per_account_minor": 55_000,
            "ltv_margin_per_account_minor": 100_000 + 2_000 * rank,
            "ltv_seed_per_account_minor": 150_000, "expansion_share": 0.2,
            "nps": None if n < 2 else 40.0 - 3 * rank,
            "nps_low": None if n < 2 else 10.0 - 3 * rank,
            "nps_high": None if n < 2 else 60.0 - 2 * rank, "nps_respondents": max(n - 2, 0),
            "csat_pct": 85.0, "health_green_share": 0.5, "health_yellow_share": 0.3,
            "health_red_share": 0.2, "tickets_per_account_90d": 1.5,
            "crc_per_account_minor": 9_000 + 500 * rank, "commissions_minor": 1_000 * n,
            "net_value_minor": 40_000 * n, "roi": 4.0, "quality_score": quality,
            "quality_low": quality - 15, "quality_high": quality + 12, "quality_rank": rank,
            "volume_rank": volume, "suggested_tier": tier, "tier_reason": f"quality {quality:.0f}",
            "predicted_ltv_per_account_minor": 80_000 + 1_000 * rank,
            "predicted_ltv_low_minor": 60_000, "predicted_ltv_high_minor": 120_000 + 1_000 * rank}


def _curve(kind: str, source_id: str, decay: float) -> list[Row]:
    return [{"source_kind": kind, "source_id": source_id, "day": day,
             "survival": max(0.0, 1.0 - decay * day / 365), "at_risk": 100 - day // 7}
            for day in range(0, 365 + 1, 7)]


def program(n_affiliates: int = 14, *, hostile: bool = False) -> Program:
    """Accounts spread over channels and affiliates; `hostile` names one `<script>`."""
    out = Program()
    sizes = [3 + (7 * k) % 25 for k in range(n_affiliates)]
    i = 0
    for k, size in enumerate(sizes):
        for _ in range(size):
            out.accounts.append(_account(i, "affiliate", f"aff_{k:02d}"))
            out.health.append(_health(i))
            i += 1
    for j, channel in enumerate(CHANNELS[:2]):
        for _ in range(30 + 10 * j):
            out.accounts.append(_account(i, channel, None))
            out.health.append(_health(i))
            i += 1
    by_volume = sorted(range(n_affiliates), key=lambda k: (-sizes[k], k))
    for k in range(n_affiliates):
        quality = 90.0 - (k * 53) % 80
        out.cards.append(_card("affiliate", f"aff_{k:02d}", sizes[k], quality, 0,
                               by_volume.index(k) + 1))
        out.curves += _curve("affiliate", f"aff_{k:02d}", 0.2 + 0.05 * (k % 6))
        name = "<script>alert(1)</script>" if hostile and k == 0 else f"Partner {k:02d} & Co"
        out.affiliates.append({"affiliate_id": f"aff_{k:02d}", "name": name})
    for rank, card in enumerate(sorted(out.cards, key=lambda c: -c["quality_score"]), 1):
        card["quality_rank"] = rank
    for j, channel in enumerate(CHANNELS):
        n = sum(1 for a in out.accounts if a["channel"] == channel)
        out.cards.append(_card("channel", channel, n, 60.0 - 5 * j, j + 1, j + 1))
        out.curves += _curve("channel", channel, 0.3 + 0.1 * j)
    return out


def _table(rows: list[Row], types: dict[str, pa.DataType], as_of: date) -> pa.Table:
    columns = {"as_of": pa.array([as_of] * len(rows), pa.date32())}
    for name, kind in types.items():
        columns[name] = pa.array([r.get(name) for r in rows], kind)
    return pa.table(columns)


ACCOUNT_TYPES = {
    "account_id": pa.string(), "channel": pa.string(), "affiliate_id": pa.string(),
    "status": pa.string(), "is_active": pa.bool_(), "plan_name": pa.string(),
    "first_started_at": pa.timestamp("us", tz="UTC"), "churned_at": pa.timestamp("us", tz="UTC"),
    "mrr_minor": pa.int64(), "revenue_net_minor": pa.int64(), "crc_minor": pa.int64(),
    "ltv_margin_minor": pa.int64(), "ltv_seed_minor": pa.int64(),
    "nps_latest_category": pa.string(), "csat_pct_satisfied": pa.float64(),
    "tickets_90d": pa.int64(),
}
HEALTH_TYPES = {"account_id": pa.string(), "score": pa.float64(), "band": pa.string()}
CURVE_TYPES = {"source_kind": pa.string(), "source_id": pa.string(), "day": pa.int64(),
               "survival": pa.float64(), "at_risk": pa.int64()}


def store(wh: Warehouse, world: Program, as_of: date = AS_OF) -> None:
    """Write the program as the `as_of` snapshots (and the affiliates table)."""
    replace_snapshot_arrow(wh, "account_metrics", _table(world.accounts, ACCOUNT_TYPES, as_of),
                           as_of)
    replace_snapshot_arrow(wh, "account_health", _table(world.health, HEALTH_TYPES, as_of), as_of)
    replace_snapshot_arrow(wh, "source_scorecards", _table(world.cards, CARD_TYPES, as_of), as_of)
    replace_snapshot_arrow(wh, "source_retention_curves",
                           _table(world.curves, CURVE_TYPES, as_of), as_of)
    if world.affiliates and "affiliates" not in wh.con.list_tables():
        wh.con.create_table("affiliates", pa.table({
            "affiliate_id": pa.array([a["affiliate_id"] for a in world.affiliates], pa.string()),
            "name": pa.array([a["name"] for a in world.affiliates], pa.string())}))
