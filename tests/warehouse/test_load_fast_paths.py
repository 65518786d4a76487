"""The loader's shortcuts store exactly what the general merge stores.

A file whose keys are unique and not yet stored is inserted without the de-duplicating
window, the join against the stored table and the scratch copy; these tests force the
general path on the same rows and compare, on every backend.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from successlink.warehouse import load as load_module
from successlink.warehouse.connect import Warehouse
from tests.warehouse.rowfiles import load, rows_of

T1 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def event(eid: str, group: str | None, user: str | None = None) -> tuple[str, dict]:
    return ("usage_events", {"event_id": eid, "group_key": group, "user_id": user,
                             "event_type": "track", "event": "Report Exported",
                             "occurred_at": T1, "properties": {"n": 1}, "source": "test"})


ROWS = [
    ("accounts", {"account_id": "acct_1", "source_key_kind": "segment_group",
                  "source_key": "g1", "source": "segment"}),
    ("account_identities", {"kind": "segment_group", "key": "g1", "account_id": "acct_1",
                            "source": "segment", "observed_at": T1}),
    event("e1", "g1"), event("e2", "g2"), event("e3", None, "u9"),
    ("support_tickets", {"ticket_id": "z:1", "status": "bogus", "created_at": T1,
                         "updated_at": T1, "source": "test"}),
]
COLUMNS = ("event_id", "account_id", "group_key", "properties")


def _force_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_module, "_keys_unique", lambda *a: False)
    monkeypatch.setattr(load_module, "_overlaps", lambda *a: True)


def _outcome(wh: Warehouse, tmp_path: Path, now: datetime) -> tuple[object, ...]:
    report = load(wh, tmp_path, ROWS, now)
    counts = {name: (c.staged, c.inserted, c.updated, c.unchanged, c.superseded, c.matched,
                     c.unmatched) for name, c in report.tables.items()}
    stored = (rows_of(wh, "usage_events", *COLUMNS), rows_of(wh, "accounts", "account_id"),
              rows_of(wh, "rejects", "line", "field", "reason"))
    return counts, report.rejected, stored


def test_new_rows_are_stored_as_the_general_merge_stores_them(
        any_warehouse: Warehouse, tmp_path: Path, now, monkeypatch: pytest.MonkeyPatch):
    fast = _outcome(any_warehouse, tmp_path, now)
    for table in ("usage_events", "accounts", "account_identities", "rejects", "loads"):
        any_warehouse.execute(f'DELETE FROM "{table}"')
    _force_general_path(monkeypatch)
    assert _outcome(any_warehouse, tmp_path, now) == fast
    counts, rejected, (events, _, _) = fast
    assert counts["usage_events"] == (3, 3, 0, 0, 0, 1, 2)
    assert rejected == 1
    assert [e[:3] for e in events] == [("e1", "acct_1", "g1"), ("e2", None, "g2"),
                                       ("e3", None, None)]


def test_a_file_partly_stored_takes_the_general_path(any_warehouse: Warehouse,
                                                     tmp_path: Path, now):
    load(any_warehouse, tmp_path, [event("e1", "g1")], now, name="a")
    report = load(any_warehouse, tmp_path, [event("e1", "g1"), event("e2", "g2"),
                                            event("e2", "g3")], now, name="b")
    counts = report.tables["usage_events"]
    assert (counts.inserted, counts.unchanged, counts.superseded) == (1, 1, 1)
    assert rows_of(any_warehouse, "usage_events", "event_id", "group_key") == [
        ("e1", "g1"), ("e2", "g3")]
