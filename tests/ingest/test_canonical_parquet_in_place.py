"""Clean canonical Parquet on DuckDB is read in place; anything else, by Arrow batches.

Both paths must store the same rows and the same rejects for the same file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from successlink.config import DEFAULT_IDENTITY_RULES
from successlink.errors import InputFileError
from successlink.ingest.canonical import CanonicalAdapter
from successlink.ingest.pipeline import FileReport, ingest_file
from successlink.ingest.records import IngestOptions
from successlink.warehouse import load as load_module
from successlink.warehouse.connect import Warehouse

T = datetime(2024, 3, 1, 12, tzinfo=UTC)
COLUMNS = ("event_id", "account_id", "user_id", "event_type", "event", "occurred_at",
           "properties", "source")


def write(path: Path, **columns: list[Any]) -> Path:
    stamps = pa.array(columns.pop("occurred_at"), pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({**columns, "occurred_at": stamps}), path)
    return path


def clean(path: Path) -> Path:
    return write(path, event_id=["e1", "e2", "e3"], account_id=["a1", None, "a2"],
                 user_id=["u1", "u2", None], event_type=["track", "page", "track"],
                 event=["Export", "Home", "Invite"], occurred_at=[T, T, T],
                 properties=['{"n":1}', None, "{}"], source=["synth"] * 3)


def mixed(path: Path) -> Path:
    return write(path, event_id=["e1", "e2", "e3", "e4"], account_id=["a1", " a2 ", None, "a3"],
                 user_id=["u1", "u2", "u3", "u4"],
                 event_type=["track", "page", "click", "track"],
                 event=["Export", "Home", "Invite", "Later"],
                 occurred_at=[T, T, T, datetime(2099, 1, 1, tzinfo=UTC)],
                 properties=[None] * 4, source=["synth"] * 4)


def ingest(wh: Warehouse, path: Path, now: datetime) -> FileReport:
    return ingest_file(wh, CanonicalAdapter(), path, now=now, options=IngestOptions(),
                       rules=DEFAULT_IDENTITY_RULES)


def stored(wh: Warehouse) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    cols = ", ".join(COLUMNS)
    rows = wh.execute(f"SELECT {cols} FROM usage_events ORDER BY event_id")
    rejects = []
    if "rejects" in wh.con.list_tables():
        rejects = wh.execute("SELECT line, field, value, reason FROM rejects ORDER BY line")
    return rows, rejects


def row_count(wh: Warehouse, table: str) -> int:
    """Rows in `table`; 0 when it was never created (or its creation rolled back)."""
    if table not in wh.con.list_tables():
        return 0
    return int(wh.execute(f"SELECT COUNT(*) FROM {table}")[0][0])


def counts(report: FileReport) -> tuple[int, ...]:
    return (report.read, report.total("inserted"), report.total("unchanged"), report.rejected)


def outcome(tmp_path: Path, name: str, path: Path, now: datetime,
            monkeypatch: pytest.MonkeyPatch, *, in_place: bool) -> tuple[Any, ...]:
    calls: list[str] = []
    original = Warehouse.parquet_view
    with monkeypatch.context() as patch:
        patch.setattr(Warehouse, "parquet_view",
                      lambda self, *a: calls.append("view") or original(self, *a))
        if not in_place:
            patch.setattr(Warehouse, "reads_parquet", lambda self, path: False)
        wh = Warehouse(f"duckdb://{tmp_path / name}")
        first, again = ingest(wh, path, now), ingest(wh, path, now)
        result = (counts(first), counts(again), stored(wh), bool(calls))
        wh.close()
    return result


def test_clean_parquet_read_in_place_stores_what_batches_store(tmp_path, now, monkeypatch):
    path = clean(tmp_path / "usage_events.parquet")
    fast = outcome(tmp_path, "fast.duckdb", path, now, monkeypatch, in_place=True)
    slow = outcome(tmp_path, "slow.duckdb", path, now, monkeypatch, in_place=False)
    assert fast[:3] == slow[:3]
    assert (fast[3], slow[3]) == (True, False)
    assert fast[0] == (3, 3, 0, 0) and fast[1] == (3, 0, 3, 0)


def test_parquet_mixing_good_and_bad_rows_is_read_by_batches(tmp_path, now, monkeypatch):
    path = mixed(tmp_path / "usage_events.parquet")
    fast = outcome(tmp_path, "fast.duckdb", path, now, monkeypatch, in_place=True)
    slow = outcome(tmp_path, "slow.duckdb", path, now, monkeypatch, in_place=False)
    assert fast == slow
    (read, inserted, _, rejected), _, (_, rejects), used_view = fast
    assert (read, inserted, rejected, used_view) == (4, 2, 2, False)
    assert [(r[0], r[1]) for r in rejects] == [(3, "usage_events.event_type"),
                                               (4, "usage_events.occurred_at")]


def test_a_file_that_changes_during_its_load_stores_nothing(duckdb_warehouse, tmp_path, now,
                                                            monkeypatch):
    path = clean(tmp_path / "usage_events.parquet")
    monkeypatch.setattr(load_module, "file_stamp", lambda path: (-1, -1))
    with pytest.raises(InputFileError, match="changed while"):
        ingest(duckdb_warehouse, path, now)
    assert row_count(duckdb_warehouse, "usage_events") == 0
    assert row_count(duckdb_warehouse, "loads") == 0


def test_parquet_on_other_backends_is_read_by_batches(any_warehouse, tmp_path, now):
    path = clean(tmp_path / "usage_events.parquet")
    report = ingest(any_warehouse, path, now)
    assert counts(report) == (3, 3, 0, 0)
    assert counts(ingest(any_warehouse, path, now)) == (3, 0, 3, 0)
