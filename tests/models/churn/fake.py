"""Fake `account_metrics` rows with a known churn mechanism, for fast model tests.

Churn depends on three things only: recent active days (fewer: riskier), the plan
(starter riskier) and failed payments; every other column is noise. A model that works
must find those, and a deterministic one must find them the same way twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa

from successlink.models.churn.dataset import Frame
from successlink.models.churn.features import (
    BOOLEAN_COLUMNS,
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
)

PLANS = ("starter", "growth", "scale")


def block(rng: np.random.Generator, n: int, as_of: date, *, first_id: int = 0
          ) -> tuple[pa.Table, np.ndarray]:
    """`n` active accounts as of `as_of` and their 0/1 churn outcome."""
    columns: dict[str, pa.Array] = {}
    for name in NUMERIC_COLUMNS:
        columns[name] = pa.array(rng.poisson(5.0, n).astype(np.float64))
    active = rng.integers(0, 31, n)
    failed = rng.binomial(1, 0.1, n)
    plan = rng.integers(0, len(PLANS), n)
    columns["active_days_30"] = pa.array(active, pa.int64())
    columns["failed_payments_90d"] = pa.array(failed, pa.int64())
    columns["tenure_days"] = pa.array(rng.uniform(20, 700, n))
    for name in BOOLEAN_COLUMNS:
        columns[name] = pa.array(rng.random(n) < 0.3)
    categories = {"plan_name": [PLANS[i] for i in plan],
                  "interval": [("month", "year")[i] for i in rng.integers(0, 2, n)],
                  "channel": [("paid", "organic_search", None)[i] for i in rng.integers(0, 3, n)]}
    for name in CATEGORICAL_COLUMNS:
        columns[name] = pa.array(categories[name], pa.string())
    paid = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC) - timedelta(days=3)
    columns.update({
        "as_of": pa.array([as_of] * n, pa.date32()),
        "account_id": pa.array([f"a{first_id + i:06d}" for i in range(n)]),
        "status": pa.array(["active"] * n),
        "is_active": pa.array([True] * n),
        "last_payment_at": pa.array([paid] * n, pa.timestamp("us", tz="UTC")),
        "affiliate_id": pa.array([None] * n, pa.string()),
        "source_accounts": pa.array(np.full(n, 10.0)),
        "source_churn_share": pa.array(np.full(n, 0.1)),
    })
    z = -1.0 - 0.12 * (active - 15) + 0.9 * (plan == 0) + 1.5 * failed
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int8)
    return pa.table(columns), y


def frame(seed: int = 1, origins: int = 4, n: int = 1500) -> Frame:
    """Monthly origins from 2025-01-01, `n` accounts each."""
    rng = np.random.default_rng(seed)
    days, blocks, labels = [], [], []
    for i in range(origins):
        day = date(2025, 1, 1) + timedelta(days=30 * i)
        rows, y = block(rng, n, day, first_id=i * n)
        days.append(day)
        blocks.append(rows)
        labels.append(y)
    return Frame(tuple(days), tuple(blocks), tuple(labels))
