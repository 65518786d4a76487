"""Feature matrix: which columns, how they are encoded, and the source-history context."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest

from successlink.config import MetricsSettings
from successlink.metrics.account import account_metrics
from successlink.models.churn.features import (
    CATEGORICAL_COLUMNS,
    DERIVED_COLUMNS,
    NEVER,
    SOURCE_COLUMNS,
    SOURCE_HISTORY_COLUMNS,
    FeatureSpec,
    learn_spec,
    with_source_history,
)
from successlink.scores.rollups import ensure_rollups
from successlink.scores.run import inputs
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import create_all
from tests.models.churn.fake import block

AS_OF = date(2024, 6, 30)


def test_every_feature_is_a_column_of_account_metrics_or_derived(
        duckdb_warehouse: Warehouse) -> None:
    create_all(duckdb_warehouse)
    ensure_rollups(duckdb_warehouse)
    columns = set(account_metrics(inputs(duckdb_warehouse), as_of=AS_OF,
                                  settings=MetricsSettings(), monthly_churn_rate=0.0).columns)
    spec = learn_spec([])
    derived = set(DERIVED_COLUMNS) | set(SOURCE_HISTORY_COLUMNS)
    assert set(spec.names) - derived <= columns
    assert set(SOURCE_COLUMNS) <= columns
    # Identifiers, dates and how an account ended are never features.
    assert not set(spec.names) & set(NEVER)
    assert not [n for n in spec.names if n.startswith(("ltv_", "crc_")) or n.endswith("_at")]


def _row(**values: object) -> pa.Table:
    rng = np.random.default_rng(0)
    table, _ = block(rng, 1, AS_OF)
    for name, value in values.items():
        i = table.column_names.index(name)
        table = table.set_column(i, name, pa.array([value], table.schema.field(name).type))
    return table


def test_encoding_of_one_row_by_hand() -> None:
    spec = FeatureSpec(("seats", "is_annual", "is_trialing", "days_since_payment",
                        "events_lifetime_30d", "events_vs_lifetime"),
                       {"plan_name": ("growth", "starter"), "channel": ("paid",)})
    paid = datetime(2024, 6, 20, 12, tzinfo=UTC)  # 10.5 days before the 07-01 cutoff
    row = _row(seats=4.0, is_annual=True, status="trialing", last_payment_at=paid,
               events_total=300.0, tenure_days=90.0, events_30=50.0, plan_name="starter",
               channel="organic_search")
    x = spec.matrix(row)
    assert spec.names == [*spec.numeric, "plan_name", "channel"]
    assert spec.categorical_indices == [6, 7]
    assert x[0, :6].tolist() == pytest.approx([4.0, 1.0, 1.0, 10.5, 100.0, 0.5])
    assert x[0, 6] == 1.0  # "starter" is the vocabulary's second value
    assert math.isnan(x[0, 7])  # a channel never seen in training is missing, not a new code


def test_unknowns_stay_unknown() -> None:
    spec = FeatureSpec(("days_since_payment", "nps_latest_score", "events_lifetime_30d"), {})
    row = _row(last_payment_at=None, nps_latest_score=None, events_total=60.0, tenure_days=3.0)
    x = spec.matrix(row)
    assert math.isnan(x[0, 0]) and math.isnan(x[0, 1])
    assert x[0, 2] == pytest.approx(60.0)  # a first month is its own normal (30-day floor)


def test_vocabularies_are_learned_sorted_and_survive_json() -> None:
    a, _ = block(np.random.default_rng(1), 50, AS_OF)
    spec = learn_spec([a])
    assert set(spec.categories) == set(CATEGORICAL_COLUMNS)
    assert spec.categories["plan_name"] == ("growth", "scale", "starter")
    assert spec.categories["channel"] == ("organic_search", "paid")  # nulls are not a value
    assert FeatureSpec.from_json(spec.to_json()) == spec


def test_source_history_leaves_the_account_out_and_shrinks() -> None:
    table = pa.table({
        "account_id": ["a1", "a2", "a3", "o1", "o2"],
        "affiliate_id": ["aff", "aff", "aff", None, None],
        "channel": ["affiliate", "affiliate", "affiliate", "organic_search", "organic_search"],
        "status": ["active", "active", "churned", "active", "active"],
    })
    out = with_source_history(table)
    # One churner in five overall (0.2), blended in as 10 pseudo-accounts.
    # a1: 2 others from aff, 1 churned -> (1 + 2) / (2 + 10); a3 (the churner): (0 + 2) / 12.
    # o1: 1 other organic account, none churned -> 2 / 11.
    assert out.column("source_accounts").to_pylist() == [2.0, 2.0, 2.0, 1.0, 1.0]
    assert out.column("source_churn_share").to_pylist() == pytest.approx(
        [3 / 12, 3 / 12, 2 / 12, 2 / 11, 2 / 11])
