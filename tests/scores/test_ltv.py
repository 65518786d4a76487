"""Predicted LTV snapshots from a hand-built account_metrics snapshot, on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from successlink.models.clv.account_value import MONTH_DAYS
from successlink.scores.ltv import (
    ACCOUNT_PREDICTED_LTV,
    SOURCE_PREDICTED_LTV,
    LtvOptions,
    book_from,
    store_predicted_ltv,
)
from successlink.scores.snapshots import read_snapshot, replace_snapshot_arrow
from successlink.warehouse.connect import Warehouse

AS_OF = date(2025, 12, 31)
EDGE = datetime(2026, 1, 1, tzinfo=UTC)


def _metrics(n: int = 600, seed: int = 4) -> pa.Table:
    """Monthly accounts started over two years; leaky 'paid', loyal 'organic' with one
    affiliate; a few acquired in the last 30 days, two of them still in trial."""
    rng = np.random.default_rng(seed)
    channel = np.where(np.arange(n) % 2 == 0, "paid", "organic_search")
    affiliate = np.where((channel == "organic_search") & (np.arange(n) % 4 == 1), "aff_1", None)
    start_days = rng.uniform(1, 730, n)
    start_days[:10] = rng.uniform(1, 25, 10)  # early accounts
    theta = np.where(channel == "paid", rng.beta(1, 6, n), rng.beta(1, 20, n))
    payments = rng.geometric(theta)
    life = payments * MONTH_DAYS - 0.5
    churned = life < start_days
    churned[:10] = False
    started = [EDGE - timedelta(days=float(d)) for d in start_days]
    trial = np.zeros(n, dtype=bool)
    trial[:2] = True
    return pa.table({
        "as_of": pa.array([AS_OF] * n, pa.date32()),
        "account_id": [f"acct_{i:04d}" for i in range(n)],
        "channel": channel.tolist(), "affiliate_id": affiliate.tolist(),
        "first_started_at": pa.array(started, pa.timestamp("us", tz="UTC")),
        "first_payment_at": pa.array([None if t else s for s, t in zip(started, trial,
                                                                      strict=True)],
                                     pa.timestamp("us", tz="UTC")),
        "churned_at": pa.array([s + timedelta(days=float(d)) if c else None
                                for s, d, c in zip(started, life, churned, strict=True)],
                               pa.timestamp("us", tz="UTC")),
        "status": np.where(churned, "churned", np.where(trial, "trialing", "active")).tolist(),
        "interval": ["month"] * n, "plan_name": ["growth"] * n,
        "seats": pa.array([5] * n, pa.int64()),
        "mrr_minor": pa.array(np.where(churned | trial, 0, 10_000).astype(np.int64)),
    })


def _store(wh: Warehouse, churn: pa.Table | None = None) -> dict[str, int]:
    replace_snapshot_arrow(wh, "account_metrics", _metrics(), AS_OF)
    return store_predicted_ltv(wh, AS_OF, LtvOptions(draws=100), churn)


def test_account_and_source_snapshots(wh: Warehouse) -> None:
    rows = _store(wh)
    assert rows == {ACCOUNT_PREDICTED_LTV: 600, SOURCE_PREDICTED_LTV: 3}
    accounts = {r["account_id"]: r for r in
                read_snapshot(wh, ACCOUNT_PREDICTED_LTV, AS_OF).to_pyarrow().to_pylist()}
    book = book_from(_metrics(), AS_OF)
    for i, account in enumerate(book.account_id):
        row = accounts[str(account)]
        assert row["currency"] == "USD"
        if book.churned[i]:
            assert (row["predicted_ltv_minor"], row["method"]) == (0, "churned")
        else:
            assert row["predicted_ltv_minor"] > 0
            assert row["cohort"].startswith("interval=month/")
            assert row["early"] == (book.age_days[i] < 30)
    # Trials are valued like paying accounts of their plan (10,000 a month here).
    assert accounts["acct_0000"]["method"] == "early"
    assert accounts["acct_0000"]["predicted_ltv_minor"] > 0
    sources = {(r["source_kind"], r["source_id"]): r for r in
               read_snapshot(wh, SOURCE_PREDICTED_LTV, AS_OF).to_pyarrow().to_pylist()}
    assert set(sources) == {("channel", "paid"), ("channel", "organic_search"),
                            ("affiliate", "aff_1")}
    for row in sources.values():
        assert row["low_minor"] <= row["value_per_account_minor"] <= row["high_minor"]
    assert sources[("channel", "paid")]["accounts"] == 300
    # The loyal channel's accounts are worth more than the leaky one's.
    assert (sources[("channel", "organic_search")]["value_per_account_minor"]
            > sources[("channel", "paid")]["value_per_account_minor"])
    assert _store(wh) == rows  # re-running a day replaces it


def test_churn_probabilities_move_values(duckdb_warehouse: Warehouse) -> None:
    _store(duckdb_warehouse)
    plain = {r["account_id"]: r for r in
             read_snapshot(duckdb_warehouse, ACCOUNT_PREDICTED_LTV, AS_OF).to_pyarrow()
             .to_pylist()}
    mature = [a for a, r in plain.items() if r["method"] == "cohort_derl"][:2]
    churn = pa.table({"account_id": mature, "churn_probability": [1.0, 0.0]})
    _store(duckdb_warehouse, churn)
    adjusted = {r["account_id"]: r for r in
                read_snapshot(duckdb_warehouse, ACCOUNT_PREDICTED_LTV, AS_OF).to_pyarrow()
                .to_pylist()}
    doomed, safe = mature
    assert adjusted[doomed]["method"] == "cohort_derl_churn_adjusted"
    assert adjusted[doomed]["predicted_ltv_minor"] < plain[doomed]["predicted_ltv_minor"]
    assert adjusted[safe]["predicted_ltv_minor"] > plain[safe]["predicted_ltv_minor"]
    untouched = next(a for a, r in plain.items() if r["method"] == "cohort_derl"
                     and a not in mature)
    assert adjusted[untouched] == plain[untouched]


def test_book_measures_paid_life_from_the_first_payment() -> None:
    book = book_from(_metrics(), AS_OF)
    assert not book.paid[0] and book.paid[5]
    assert book.duration_days[0] == 0.0
    assert book.age_days[0] > 0
    assert book.size == 600
    with pytest.raises(KeyError):
        book_from(_metrics().drop_columns(["first_payment_at"]), AS_OF)
