"""The Parquet format: canonical tables with the exact columns and types of tables.py."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from successlink.warehouse.tables import CANONICAL_TABLES, TABLES
from tests.synth.helpers import segment_messages, stripe_events

TYPES = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
         "bool": pa.bool_(), "timestamp": pa.timestamp("us", tz="UTC"), "date": pa.date32(),
         "json": pa.string()}


def _path(world: Path, table: str) -> Path:
    if table == "usage_events":
        return world / "canonical" / "usage_events" / "part-00000.parquet"
    return world / "canonical" / f"{table}.parquet"


def test_every_canonical_table_has_its_columns_and_types(small_parquet: Path) -> None:
    for spec in CANONICAL_TABLES:
        schema = pq.read_schema(_path(small_parquet, spec.name))
        assert schema.names == list(spec.names), spec.name
        assert [f.type for f in schema] == [TYPES[c.type] for c in spec.columns], spec.name


def test_rows_are_resolved_to_accounts_and_respect_the_table_checks(
        small_parquet: Path) -> None:
    accounts = set(pq.read_table(_path(small_parquet, "accounts")).column(
        "account_id").to_pylist())
    assert len(accounts) == 300
    for spec in CANONICAL_TABLES:
        table = pq.read_table(_path(small_parquet, spec.name))
        for column in spec.columns:
            values = table.column(column.name).to_pylist()
            if column.required:
                assert None not in values, (spec.name, column.name)
            present = [v for v in values if v is not None]
            if column.choices:
                assert set(present) <= set(column.choices), (spec.name, column.name)
            if column.minimum is not None:
                assert all(v >= column.minimum for v in present), (spec.name, column.name)
            if column.name == "account_id" and spec.name not in ("cs_costs", "affiliates"):
                assert set(present) <= accounts and len(present) == len(values), spec.name
        keys = list(zip(*(table.column(k).to_pylist() for k in spec.key), strict=True))
        assert len(keys) == len(set(keys)), spec.name


def test_parquet_holds_the_same_world_as_the_real_files(small_world: Path,
                                                        small_parquet: Path) -> None:
    def rows(table: str) -> int:
        return int(pq.read_metadata(_path(small_parquet, table)).num_rows)

    usage = Counter(m["type"] for m in segment_messages(small_world))
    assert rows("usage_events") == usage["track"] + usage["page"]
    assert rows("product_users") == usage["identify"]
    events = stripe_events(small_world)
    invoices = {e["data"]["object"]["id"] for e in events if e["type"].startswith("invoice.")}
    subscriptions = {e["data"]["object"]["id"] for e in events
                     if e["type"] == "customer.subscription.created"}
    charges = {e["data"]["object"]["id"] for e in events
               if e["type"] in ("charge.succeeded", "charge.failed")}
    assert rows("invoices") == len(invoices)
    assert rows("subscriptions") == len(subscriptions)
    assert rows("payments") == len(charges)
    page = json.loads((small_world / "zendesk" / "tickets.json").read_text(encoding="utf-8"))
    assert rows("support_tickets") == len(page["tickets"])
    ids = set(pq.read_table(_path(small_parquet, "invoices")).column("invoice_id").to_pylist())
    assert ids == invoices


def test_usage_events_are_row_groups_of_at_most_a_million(small_parquet: Path) -> None:
    meta = pq.read_metadata(_path(small_parquet, "usage_events"))
    assert all(meta.row_group(i).num_rows <= 1_000_000 for i in range(meta.num_row_groups))
    table = pq.read_table(_path(small_parquet, "usage_events"), columns=["event_id", "event"])
    assert len(set(table.column("event_id").to_pylist())) == table.num_rows
    assert TABLES["usage_events"].column("event").required
