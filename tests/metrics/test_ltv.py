"""LTV by the seeds' formula and by margin, from a joined lifecycle + revenue table."""

from __future__ import annotations

from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pytest

from successlink.metrics.ltv import expected_lifetime_months, ltv
from successlink.warehouse.connect import Warehouse


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


# Months are 30.4375 days: 304.375 days = 10 months, 121.75 = 4, 60.875 = 2.
ROWS = [
    # account, status, tenure_days, first start, churned, mrr, gross, net, purchases
    ("paying", "active", 304.375, "2023-09-01", None, 10_000, 100_000, 90_000, 10),
    ("left", "churned", 121.75, "2023-01-01", "2023-03-02 21:00", 0, 24_000, 20_000, 4),
    ("fresh", "trialing", 10.0, "2024-06-20", None, 0, 5_000, 5_000, 1),
    ("never", "never_subscribed", 30.0, None, None, 0, 0, 0, 0),
]


def _metrics(wh: Warehouse) -> ir.Table:
    names = ["account_id", "status", "tenure_days", "first_started_at", "churned_at",
             "mrr_minor", "revenue_gross_minor", "revenue_net_minor", "purchase_count"]
    columns = list(zip(*ROWS, strict=True))
    ts = pa.timestamp("us", tz="UTC")
    types = [pa.string(), pa.string(), pa.float64(), ts, ts] + [pa.int64()] * 4
    arrays = [pa.array([_at(v) for v in col] if t == ts else list(col), t)
              for col, t in zip(columns, types, strict=True)]
    batch = pa.table(dict(zip(names, arrays, strict=True)))
    wh.con.create_table("ltv_inputs", schema=ibis.Schema.from_pyarrow(batch.schema))
    wh.append_arrow("ltv_inputs", batch)
    return wh.table("ltv_inputs")


def _run(wh: Warehouse, churn: float) -> pd.DataFrame:
    t = ltv(_metrics(wh), monthly_churn_rate=churn, gross_margin=0.8, max_lifetime_months=120)
    return t.execute().set_index("account_id").sort_index()


@pytest.fixture
def rows(wh: Warehouse) -> pd.DataFrame:
    return _run(wh, 0.05)  # lifetime 1 / 0.05 = 20 months


def test_seed_formula(rows: pd.DataFrame) -> None:
    # paying: average 10,000 x 1 purchase a month x 20 months.
    assert rows.loc["paying"].ltv_seed_minor == 200_000
    # left: average 6,000 x (4 purchases / 4 months) x 20.
    assert rows.loc["left"].ltv_seed_minor == 120_000
    # fresh: ten days count as one month, so one purchase a month: 5,000 x 1 x 20.
    assert rows.loc["fresh"].purchases_per_month == 1.0
    assert rows.loc["fresh"].ltv_seed_minor == 100_000
    assert pd.isna(rows.loc["never"].ltv_seed_minor)  # no purchases: unknown, not zero


def test_margin_formula(rows: pd.DataFrame) -> None:
    # paying: MRR 10,000 x 0.8 x 20.
    assert rows.loc["paying"].ltv_margin_minor == 160_000
    # left: net 20,000 over the 2 months it subscribed = 10,000 a month; x 0.8 x 20.
    assert rows.loc["left"].arpa_minor == 10_000
    assert rows.loc["left"].ltv_margin_minor == 160_000
    assert pd.isna(rows.loc["fresh"].ltv_margin_minor)
    assert pd.isna(rows.loc["never"].ltv_margin_minor)


def test_lifetime_is_capped(wh: Warehouse) -> None:
    rows = _run(wh, 0.001)  # 1,000 months, capped at 120
    assert rows.loc["paying"].ltv_seed_minor == 10_000 * 120
    assert expected_lifetime_months(0.0, 120) == 120
    assert expected_lifetime_months(0.1, 120) == 10


def test_input_columns_are_kept(wh: Warehouse) -> None:
    t = ltv(_metrics(wh), monthly_churn_rate=0.05, gross_margin=0.8, max_lifetime_months=120)
    assert {"status", "mrr_minor", "ltv_seed_minor", "ltv_margin_minor"} <= set(t.columns)
