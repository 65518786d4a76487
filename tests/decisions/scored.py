"""Hand-written scored snapshots (account_metrics and account_health) for decision tests.

Each account is a dict of the columns that matter to the test; everything else takes a
default describing a healthy, active, unremarkable customer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from successlink.scores.run import ACCOUNT_HEALTH, ACCOUNT_METRICS
from successlink.scores.snapshots import replace_snapshot_arrow
from successlink.warehouse.connect import Warehouse

AS_OF = date(2026, 11, 22)

METRIC_TYPES: dict[str, pa.DataType] = {
    "account_id": pa.string(), "as_of": pa.date32(), "channel": pa.string(),
    "affiliate_id": pa.string(), "tenure_days": pa.float64(), "status": pa.string(),
    "is_active": pa.bool_(), "cancellation_reason": pa.string(), "plan_name": pa.string(),
    "seats": pa.int64(), "is_annual": pa.bool_(), "mrr_minor": pa.int64(),
    "revenue_net_minor": pa.int64(), "ltv_margin_minor": pa.int64(),
    "ltv_seed_minor": pa.int64(), "upsell_count": pa.int64(), "cross_sell_count": pa.int64(),
    "expansion_mrr_minor": pa.int64(), "active_days_30": pa.int64(),
    "active_users_30": pa.int64(), "usage_trend": pa.float64(),
    "key_feature_adoption": pa.float64(), "distinct_features_30": pa.int64(),
    "tickets_90d": pa.int64(), "open_urgent_tickets": pa.int64(),
    "escalations_90d": pa.int64(), "nps_latest_score": pa.int64(),
    "nps_latest_category": pa.string(), "csat_pct_satisfied": pa.float64(),
    "champion_present": pa.bool_(), "decision_maker_engaged": pa.bool_(),
    "crc_minor": pa.int64(),
}
METRIC_DEFAULTS: dict[str, Any] = {
    "channel": "direct", "affiliate_id": None, "tenure_days": 365.0, "status": "active",
    "is_active": True, "cancellation_reason": None, "plan_name": "pro", "seats": 5,
    "is_annual": False, "mrr_minor": 10_000, "revenue_net_minor": 120_000,
    "ltv_margin_minor": None, "ltv_seed_minor": None, "upsell_count": 0,
    "cross_sell_count": 0, "expansion_mrr_minor": 0, "active_days_30": 10,
    "active_users_30": 3, "usage_trend": 0.0, "key_feature_adoption": 0.4,
    "distinct_features_30": 3, "tickets_90d": 1, "open_urgent_tickets": 0,
    "escalations_90d": 0, "nps_latest_score": None, "nps_latest_category": None,
    "csat_pct_satisfied": None, "champion_present": True, "decision_maker_engaged": True,
    "crc_minor": 1_000,
}
HEALTH_DEFAULTS: dict[str, Any] = {"profile": "mature", "score": 60.0, "band": "yellow",
                                   "capped_by": None}


def _table(rows: list[dict[str, Any]], types: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({name: pa.array([r.get(name) for r in rows], kind)
                     for name, kind in types.items()})


def store_scored(wh: Warehouse, accounts: list[dict[str, Any]], as_of: date = AS_OF) -> None:
    """Store both snapshots; a row's `health` and `band` keys go to account_health."""
    metrics = [{**METRIC_DEFAULTS, **{k: v for k, v in a.items() if k not in ("health", "band")},
                "as_of": as_of} for a in accounts]
    health = [{**HEALTH_DEFAULTS, "account_id": a["account_id"], "as_of": as_of,
               "score": a.get("health", HEALTH_DEFAULTS["score"]),
               "band": a.get("band", HEALTH_DEFAULTS["band"])} for a in accounts]
    health_types = {"account_id": pa.string(), "as_of": pa.date32(), "profile": pa.string(),
                    "score": pa.float64(), "band": pa.string(), "capped_by": pa.string()}
    replace_snapshot_arrow(wh, ACCOUNT_METRICS, _table(metrics, METRIC_TYPES), as_of)
    replace_snapshot_arrow(wh, ACCOUNT_HEALTH, _table(health, health_types), as_of)
