"""Pivoting a chunk of rows to columns: the fast Arrow pass and the per-column path agree."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from successlink.ingest.chunks import RowChunk
from successlink.warehouse.tables import TABLES
from successlink.warehouse.validate_arrow import validate_batch

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
T = datetime(2024, 3, 1, 12, tzinfo=UTC)
SPEC = TABLES["usage_events"]


class Frozen(Mapping[str, Any]):
    """A mapping that is not a dict, as an adapter may pass."""

    def __init__(self, values: dict[str, Any]):
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def event(eid: object, **extra: object) -> dict[str, Any]:
    return {"event_id": eid, "event_type": "track", "event": "Export", "occurred_at": T,
            "source": "segment", **extra}


def validated(rows: list[Mapping[str, Any]]) -> tuple[pa.Table, list[tuple[Any, ...]]]:
    chunk = RowChunk(SPEC)
    chunk.rows = rows
    good, _, rejects = validate_batch(SPEC, chunk.columns(), NOW)
    return good, rejects


def test_text_columns_come_from_one_arrow_pass_and_json_is_serialised():
    chunk = RowChunk(SPEC)
    chunk.rows = [event("e1", properties={"b": 1, "a": [2]}), event("e2", user_id="u2")]
    columns = chunk.columns()
    assert isinstance(columns["event_id"], pa.Array)
    assert columns["properties"] == ['{"a":[2],"b":1}', None]
    assert columns["user_id"].to_pylist() == [None, "u2"]


@pytest.mark.parametrize("rows", [
    [event("e1"), event(7)],  # a number where text belongs: coerced, as per value
    [Frozen(event("e1")), Frozen(event("e2"))],  # not dicts
])
def test_chunks_arrow_cannot_take_whole_are_pivoted_per_column(rows):
    good, rejects = validated(rows)
    assert rejects == []
    assert good.column("event_id").to_pylist() == [str(r["event_id"]) for r in rows]


def test_bytes_in_a_text_column_are_still_rejected():
    good, rejects = validated([event("e1"), event(b"e2")])
    assert good.column("event_id").to_pylist() == ["e1"]
    assert [(i, field) for i, field, _, _ in rejects] == [(1, "event_id")]


def test_an_unknown_column_is_a_programming_error():
    chunk = RowChunk(SPEC)
    chunk.rows = [event("e1", colour="red")]
    with pytest.raises(KeyError, match="colour"):
        chunk.columns()
