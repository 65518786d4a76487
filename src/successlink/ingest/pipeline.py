"""Load one file: adapter -> validated rows in bounded chunks -> staging -> one transaction.

The file is hashed first (an unreadable file fails before anything is touched), its rows
and rejects are staged as they stream, and only when the adapter has read the whole file are
they merged, together with the rejects and the load's counts, in a single transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from successlink.errors import InputFileError
from successlink.ingest.chunks import RowChunk
from successlink.ingest.records import Adapter, IngestOptions, SourceFile, shorten
from successlink.warehouse.connect import Warehouse
from successlink.warehouse.load import SEQ, Stage, TableCounts, file_stamp, merge_rows
from successlink.warehouse.rejects import LOADS, REJECTS
from successlink.warehouse.tables import TABLES
from successlink.warehouse.validate_arrow import has_canonical_types, is_clean, validate_batch

PARQUET_CHECK_ROWS = 256_000


@dataclass
class FileReport:
    """What one file did to the warehouse."""

    file: str
    source: str
    sha256: str
    tables: dict[str, TableCounts] = field(default_factory=dict)
    rejected: int = 0
    rejects_sample: list[tuple[int, str, str, str]] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(c, name) for c in self.tables.values())

    @property
    def read(self) -> int:
        return self.total("staged") + self.rejected


class StagingSink:
    """A RowSink that buffers rows column-wise and validates each chunk vectorised.

    Validation happens when a chunk is flushed (every `chunk_rows` rows and at the end), so
    `row` only reports whether the row was accepted for staging; rejects still name the
    row's own line.
    """

    def __init__(self, stage: Stage, *, now: datetime, chunk_rows: int, file: str,
                 sha256: str, source: str):
        self.stage = stage
        self.now = now
        self.chunk_rows = chunk_rows
        self._buffers: dict[str, RowChunk] = {}
        self._seq = 0
        self._rejects: list[dict[str, Any]] = []
        self._reject_meta = {"file_sha256": sha256, "file": file, "source": source,
                             "rejected_at": now}
        self.rejected = 0
        self.sample: list[tuple[int, str, str, str]] = []

    def row(self, table: str, values: Mapping[str, Any], *, line: int) -> bool:
        buffer = self._buffers.get(table)
        if buffer is None:
            buffer = self._buffers[table] = RowChunk(TABLES[table])
        buffer.rows.append(values)
        buffer.lines.append(line)
        if len(buffer.lines) >= self.chunk_rows:
            self._flush(table)
        return True

    def batch(self, table: str, rows: pa.Table, *, first_line: int) -> int:
        """Validate and stage a whole Arrow batch (tabular sources); returns rows kept."""
        good, kept, rejects = validate_batch(TABLES[table], rows, self.now)
        for index, column, value, reason in rejects:
            self.reject(first_line + index, f"{table}.{column}", value, reason)
        self._stage(table, good)
        return len(kept)

    def attach_parquet(self, table: str, parquet: pq.ParquetFile, path: Path,
                       on_progress: Callable[[int], None] | None = None) -> bool:
        """Stage a whole Parquet file in place if it is clean; False to read it by batches.

        On DuckDB a file whose columns have their canonical types and whose every batch
        validation keeps as it is needs no copy through Python: the warehouse reads it
        itself (several times faster). Any reject, or any value validation would change,
        and the caller reads the file again the general way, so rejects stay the same.
        """
        spec = TABLES[table]
        schema = parquet.schema_arrow
        if not (self.stage.warehouse.reads_parquet(path) and has_canonical_types(spec, schema)):
            return False
        checked = file_stamp(path)
        rows = 0
        for batch in parquet.iter_batches(batch_size=PARQUET_CHECK_ROWS):
            if not is_clean(spec, pa.Table.from_batches([batch]), self.now):
                return False
            rows += batch.num_rows
            if on_progress is not None:
                on_progress(rows)
        self.stage.attach_parquet(spec, path, schema.names, rows, checked)
        return True

    def reject(self, line: int, field: str, value: object, reason: str) -> None:
        self.rejected += 1
        if len(self.sample) < 5:
            self.sample.append((line, field, shorten(value), reason))
        self._rejects.append({**self._reject_meta, "line": line, "field": field,
                              "value": shorten(value), "reason": reason, SEQ: self.rejected})
        if len(self._rejects) >= self.chunk_rows:
            self._flush_rejects()

    def _stage(self, table: str, good: pa.Table) -> None:
        seq = pa.array(range(self._seq + 1, self._seq + 1 + good.num_rows), pa.int64())
        self._seq += good.num_rows
        self.stage.append(TABLES[table], good.append_column(SEQ, seq))

    def _flush(self, table: str) -> None:
        buffer = self._buffers.pop(table, None)
        if buffer is None or not buffer.lines:
            return
        good, _, rejects = validate_batch(TABLES[table], buffer.columns(), self.now)
        for index, name, value, reason in rejects:
            self.reject(buffer.lines[index], f"{table}.{name}", value, reason)
        self._stage(table, good)

    def _flush_rejects(self) -> None:
        if self._rejects:
            names = (*REJECTS.names, SEQ)
            self.stage.append(REJECTS, pa.table({n: [r[n] for r in self._rejects]
                                                 for n in names}))
            self._rejects = []

    def close(self) -> None:
        for table in list(self._buffers):
            self._flush(table)
        self._flush_rejects()


def file_sha256(path: Path) -> str:
    """Content hash, read in blocks; the first read also proves the file is readable."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror or exc}", where=str(path),
                             hint="Check the path and that you may read it.") from exc
    return digest.hexdigest()


def ingest_file(warehouse: Warehouse, adapter: Adapter, path: Path, *, now: datetime,
                options: IngestOptions, rules: Sequence[str], chunk_rows: int = 50_000,
                on_progress: Callable[[int], None] | None = None) -> FileReport:
    """Read one file with `adapter` and merge it into the warehouse, all or nothing."""
    if path.is_dir():
        raise InputFileError("is a folder, not a file", where=str(path),
                             hint="Name the files, e.g. data/*.jsonl.")
    sha = file_sha256(path)
    stage = Stage(warehouse)
    sink = StagingSink(stage, now=now, chunk_rows=chunk_rows, file=str(path), sha256=sha,
                       source=adapter.name)
    try:
        adapter.read(SourceFile(path, now, options, on_progress), sink)
        sink.close()
        report = FileReport(str(path), adapter.name, sha, rejected=sink.rejected,
                            rejects_sample=sink.sample)
        with warehouse.transaction():
            report.tables = stage.merge(rules=rules, now=now).tables
            _record(warehouse, stage, report, now)
    finally:
        stage.drop()
    return report


def _record(warehouse: Warehouse, stage: Stage, report: FileReport, now: datetime) -> None:
    """Rejects and load counts commit with the data they describe."""
    if "rejects" in stage.staged:
        merge_rows(warehouse, REJECTS, warehouse.table(stage.name("rejects")),
                   tag=stage.tag + "r", staged=stage.staged["rejects"])
    load_id = uuid.uuid4().hex
    rows = [_load_row(load_id, report, "-", None, now)]
    rows += [_load_row(load_id, report, name, counts, now)
             for name, counts in sorted(report.tables.items())]
    batch = pa.table({n: [r[n] for r in rows] for n in LOADS.names})
    merge_rows(warehouse, LOADS, _as_rows(warehouse, stage, batch), tag=stage.tag + "l",
               staged=None)


def _as_rows(warehouse: Warehouse, stage: Stage, batch: pa.Table) -> Any:
    seq = pa.array(range(batch.num_rows), pa.int64())
    stage.append(LOADS, batch.append_column(SEQ, seq))
    return warehouse.table(stage.name("loads"))


def _load_row(load_id: str, report: FileReport, table: str, counts: TableCounts | None,
              now: datetime) -> dict[str, Any]:
    c = counts or TableCounts(
        staged=report.total("staged"), inserted=report.total("inserted"),
        updated=report.total("updated"), unchanged=report.total("unchanged"),
        superseded=report.total("superseded"), matched=report.total("matched"),
        unmatched=report.total("unmatched"))
    return {"load_id": load_id, "file": report.file, "file_sha256": report.sha256,
            "source": report.source, "table_name": table, "loaded_at": now,
            "rows_read": c.staged + (report.rejected if counts is None else 0),
            "inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged,
            "superseded": c.superseded, "rejected": report.rejected if counts is None else 0,
            "matched": c.matched, "unmatched": c.unmatched}
