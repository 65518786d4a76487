"""The loader on every backend: idempotent upserts, versions, all-or-nothing files, rejects."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from successlink.errors import InputFileError
from successlink.warehouse.connect import Warehouse
from tests.warehouse.rowfiles import load, rows_of

T1 = datetime(2024, 3, 1, 12, tzinfo=UTC)
T2 = datetime(2024, 4, 1, 12, tzinfo=UTC)


def ticket(tid: str, status: str, updated: datetime, **extra: object) -> tuple[str, dict]:
    values = {"ticket_id": tid, "status": status, "created_at": T1, "updated_at": updated,
              "source": "test", **extra}
    return ("support_tickets", values)


def test_same_file_twice_changes_nothing(any_warehouse: Warehouse, tmp_path: Path, now):
    rows = [ticket("z:1", "open", T1), ticket("z:2", "solved", T1)]
    first = load(any_warehouse, tmp_path, rows, now)
    again = load(any_warehouse, tmp_path, rows, now)
    assert (first.read, first.total("inserted"), first.total("unchanged")) == (2, 2, 0)
    assert (again.read, again.total("inserted"), again.total("updated"),
            again.total("unchanged")) == (2, 0, 0, 2)
    assert rows_of(any_warehouse, "support_tickets", "ticket_id", "status") == [
        ("z:1", "open"), ("z:2", "solved")]


def test_newer_version_updates_and_older_is_ignored(any_warehouse: Warehouse, tmp_path: Path,
                                                    now):
    load(any_warehouse, tmp_path, [ticket("z:1", "open", T1)], now, name="a")
    newer = load(any_warehouse, tmp_path, [ticket("z:1", "solved", T2)], now, name="b")
    older = load(any_warehouse, tmp_path, [ticket("z:1", "pending", T1)], now, name="c")
    assert newer.total("updated") == 1
    assert (older.total("updated"), older.total("unchanged")) == (0, 1)
    assert rows_of(any_warehouse, "support_tickets", "status") == [("solved",)]


def test_later_row_with_same_key_in_a_file_supersedes(any_warehouse: Warehouse,
                                                      tmp_path: Path, now):
    rows = [ticket("z:1", "open", T1), ticket("z:1", "solved", T2), ticket("z:1", "hold", T1)]
    report = load(any_warehouse, tmp_path, rows, now)
    assert (report.read, report.total("inserted"), report.total("superseded")) == (3, 1, 2)
    assert rows_of(any_warehouse, "support_tickets", "status") == [("solved",)]


def test_read_equals_the_sum_of_outcomes(any_warehouse: Warehouse, tmp_path: Path, now):
    load(any_warehouse, tmp_path, [ticket("z:1", "open", T1)], now, name="a")
    rows = [ticket("z:1", "solved", T2), ticket("z:2", "open", T1), ticket("z:2", "open", T1),
            ticket("z:3", "bogus", T1), ticket("z:4", "open", T1, priority="urgent")]
    r = load(any_warehouse, tmp_path, rows, now, name="b")
    outcomes = (r.total("inserted"), r.total("updated"), r.total("unchanged"),
                r.total("superseded"), r.rejected)
    assert outcomes == (2, 1, 0, 1, 1)
    assert r.read == sum(outcomes) == 5


def test_a_file_that_fails_midway_stores_nothing(any_warehouse: Warehouse, tmp_path: Path,
                                                 now):
    load(any_warehouse, tmp_path, [ticket("z:0", "open", T1)], now, name="ok")
    rows = [ticket(f"z:{i}", "open", T1) for i in range(1, 40)]
    with pytest.raises(InputFileError):
        # chunk_rows=1000 is the floor in settings; 10 here forces flushes before the failure
        load(any_warehouse, tmp_path, rows, now, name="bad", fail_after=30, chunk_rows=10)
    assert rows_of(any_warehouse, "support_tickets", "ticket_id") == [("z:0",)]
    loads = rows_of(any_warehouse, "loads", "file")
    assert all(str(f[0]).endswith("ok") for f in loads)


def test_rejects_are_stored_with_line_field_and_reason_once(any_warehouse: Warehouse,
                                                            tmp_path: Path, now):
    rows = [ticket("z:1", "open", T1), ticket("z:2", "open", T1, csat_score=7)]
    for _ in range(2):
        report = load(any_warehouse, tmp_path, rows, now)
        assert report.rejected == 1
    assert rows_of(any_warehouse, "rejects", "line", "field", "value", "reason") == [
        (2, "support_tickets.csat_score", "7", "is above 1")]


def test_future_instant_is_rejected(any_warehouse: Warehouse, tmp_path: Path, now):
    future = datetime(2027, 1, 1, tzinfo=UTC)
    report = load(any_warehouse, tmp_path, [ticket("z:1", "open", T1, created_at=future)], now)
    assert report.rejected == 1
    assert report.rejects_sample[0][1] == "support_tickets.created_at"
    assert "future" in report.rejects_sample[0][3]


def test_load_counts_are_recorded_per_table(any_warehouse: Warehouse, tmp_path: Path, now):
    load(any_warehouse, tmp_path, [ticket("z:1", "open", T1)], now)
    recorded = rows_of(any_warehouse, "loads", "table_name", "rows_read", "inserted")
    assert recorded == [("-", 1, 1), ("support_tickets", 1, 1)]


def test_a_partial_record_never_erases_a_stored_field(any_warehouse: Warehouse, tmp_path: Path,
                                                      now):
    charge = ("payments", {"payment_id": "ch_1", "customer_key": "cus_1", "amount_minor": 2000,
                           "currency": "usd", "status": "succeeded", "created_at": T1,
                           "updated_at": T1, "source": "stripe"})
    invoice_payment = ("payments", {"payment_id": "ch_1", "invoice_id": "in_1",
                                    "amount_minor": 2000, "currency": "usd",
                                    "status": "succeeded", "created_at": T1, "updated_at": T2,
                                    "source": "stripe"})
    load(any_warehouse, tmp_path, [charge], now, name="a")
    report = load(any_warehouse, tmp_path, [invoice_payment], now, name="b")
    assert report.total("updated") == 1
    assert rows_of(any_warehouse, "payments", "customer_key", "invoice_id") == [("cus_1", "in_1")]
