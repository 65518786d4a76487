"""A tiny adapter that replays rows given in the test, to exercise the loader alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from successlink.config import DEFAULT_IDENTITY_RULES
from successlink.errors import InputFileError
from successlink.ingest.pipeline import FileReport, ingest_file
from successlink.ingest.records import IngestOptions, RowSink, SourceFile
from successlink.warehouse.connect import Warehouse

Row = tuple[str, dict[str, Any]]


class ReplayAdapter:
    """Writes the given (table, values) rows; optionally fails after `fail_after` rows."""

    name = "replay"
    summary = "test rows"
    tables = ()

    def __init__(self, rows: Sequence[Row], fail_after: int | None = None):
        self.rows = rows
        self.fail_after = fail_after

    def read(self, source: SourceFile, sink: RowSink) -> None:
        for line, (table, values) in enumerate(self.rows, start=1):
            if self.fail_after is not None and line > self.fail_after:
                raise InputFileError("truncated in the middle", where=source.display)
            sink.row(table, values, line=line)


def load(wh: Warehouse, tmp_path: Path, rows: Sequence[Row], now: datetime, *,
         name: str = "f.jsonl", fail_after: int | None = None, chunk_rows: int = 1_000,
         rules: Sequence[str] = DEFAULT_IDENTITY_RULES) -> FileReport:
    path = tmp_path / name
    path.write_text(repr(rows))  # content only feeds the file hash
    return ingest_file(wh, ReplayAdapter(rows, fail_after), path, now=now,
                       options=IngestOptions(), rules=rules, chunk_rows=chunk_rows)


def rows_of(wh: Warehouse, table: str, *columns: str) -> list[tuple[Any, ...]]:
    t = wh.table(table)
    return sorted(wh.execute(wh.compile(t.select(*columns))), key=repr)
