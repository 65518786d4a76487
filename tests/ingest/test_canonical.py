"""Canonical files (CSV, JSON Lines, Parquet) through the whole pipeline."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from successlink.config import DEFAULT_IDENTITY_RULES
from successlink.errors import InputFileError
from successlink.ingest.canonical import CanonicalAdapter
from successlink.ingest.pipeline import ingest_file
from successlink.ingest.records import IngestOptions
from successlink.warehouse.connect import Warehouse

CSV = """cost_id,incurred_on,amount_minor,currency,cost_type,account_id,csm,note,source
c1,2024-01-31,500000,usd,csm_salary,,alice,,canonical
c2,2024-01-31,-5,USD,tooling,,,,canonical
c3,2024-02-01,1200,XXX,onboarding,acct_1,,,canonical
c4,2024-02-01,1200,EUR,onboarding,acct_1,,,canonical
"""


def ingest(wh: Warehouse, path: Path, now, table: str | None = None):
    return ingest_file(wh, CanonicalAdapter(table), path, now=now, options=IngestOptions(),
                       rules=DEFAULT_IDENTITY_RULES)


def test_csv_named_after_its_table_loads_with_rejects_by_line(duckdb_warehouse, tmp_path, now):
    path = tmp_path / "cs_costs.csv"
    path.write_text(CSV)
    report = ingest(duckdb_warehouse, path, now)
    assert (report.read, report.total("inserted"), report.rejected) == (4, 2, 2)
    assert [(s[0], s[1]) for s in report.rejects_sample] == [
        (3, "cs_costs.amount_minor"), (4, "cs_costs.currency")]
    assert ingest(duckdb_warehouse, path, now).total("unchanged") == 2


def test_jsonl_with_unknown_column_is_rejected_by_line(duckdb_warehouse, tmp_path, now):
    path = tmp_path / "data.jsonl"
    path.write_text('{"affiliate_id": "a1", "name": "Ann", "source": "c"}\n'
                    '{"affiliate_id": "a2", "colour": "red", "source": "c"}\n')
    report = ingest(duckdb_warehouse, path, now, table="affiliates")
    assert report.total("inserted") == 1
    assert report.rejects_sample[0][:2] == (2, "colour")


def test_parquet_is_validated_in_batches(duckdb_warehouse, tmp_path, now):
    path = tmp_path / "cs_costs.parquet"
    pq.write_table(pa.table({
        "cost_id": ["a", "b", "c"], "incurred_on": pa.array([19000, 19001, 19002], pa.date32()),
        "amount_minor": pa.array([100, -1, 300], pa.int32()), "currency": ["usd", "usd", "eur"],
        "cost_type": ["tooling"] * 3, "source": ["p"] * 3}), path)
    report = ingest(duckdb_warehouse, path, now)
    assert (report.total("inserted"), report.rejected) == (2, 1)
    assert report.rejects_sample[0][:2] == (2, "cs_costs.amount_minor")


@pytest.mark.parametrize(("name", "content", "words"), [
    ("cs_costs.xlsx", b"PK", "unknown file type"),
    ("whatever.csv", b"a,b\n", "which table"),
    ("cs_costs.parquet", b"not parquet", "Parquet"),
])
def test_unreadable_files_are_refused_whole(duckdb_warehouse, tmp_path, now, name, content,
                                            words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=words):
        ingest(duckdb_warehouse, path, now)
    assert "loads" not in duckdb_warehouse.con.list_tables()
