"""Build scorecard input (cohorts.Accounts) from a few hand-written accounts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np

from successlink.scores.cohorts import Accounts

AS_OF = date(2024, 12, 31)
DEFAULTS: dict[str, Any] = {
    "channel": "affiliate", "affiliate_id": "", "churned": None, "revenue_net": 10_000.0,
    "refunded": 0.0, "ltv_seed": np.nan, "ltv_margin": np.nan, "expansion_mrr": 0.0,
    "expanded": False, "nps_category": "", "csat_pct": np.nan, "tickets_90d": 0.0,
    "tickets_total": 0.0, "crc": 0.0, "mrr": 1_000.0, "health_score": 60.0,
    "health_band": "yellow",
}


def _instant(value: str | None) -> np.datetime64:
    if value is None:
        return np.datetime64("NaT", "us")
    return np.datetime64(datetime.fromisoformat(value), "us")


def make_accounts(rows: list[dict[str, Any]], as_of: date = AS_OF) -> Accounts:
    """Each row needs `started` ('YYYY-MM-DD'); everything else has a default."""
    full = [{**DEFAULTS, **r} for r in rows]
    started = np.array([_instant(r["started"]) for r in full])
    churned = np.array([_instant(r["churned"]) for r in full])
    end = np.datetime64(datetime(as_of.year, as_of.month, as_of.day), "us") + np.timedelta64(1, "D")
    tenure = (np.where(np.isnat(churned), end, churned) - started) / np.timedelta64(1, "D")

    def col(name: str, dtype: Any) -> np.ndarray:
        return np.array([r[name] for r in full], dtype=dtype)

    return Accounts(
        as_of=as_of, account_id=np.array([f"a{i}" for i in range(len(full))]),
        channel=col("channel", str), affiliate_id=col("affiliate_id", str), started=started,
        churned=churned, active=np.isnat(churned), tenure_days=tenure.astype(float),
        revenue_net=col("revenue_net", float), refunded=col("refunded", float),
        ltv_seed=col("ltv_seed", float), ltv_margin=col("ltv_margin", float),
        expansion_mrr=col("expansion_mrr", float), expanded=col("expanded", bool),
        nps_category=col("nps_category", str), csat_pct=col("csat_pct", float),
        tickets_90d=col("tickets_90d", float), tickets_total=col("tickets_total", float),
        crc=col("crc", float), mrr=col("mrr", float), health_score=col("health_score", float),
        health_band=col("health_band", str),
    )
