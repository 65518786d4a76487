"""Canonical files: data already shaped like a warehouse table (CSV, JSON Lines, Parquet).

For users whose data is clean, and for the synthetic world at scale. Parquet is validated
a record batch at a time in Arrow (millions of rows a second); CSV and JSON Lines row by row
so every reject names its line.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from successlink.errors import InputFileError
from successlink.ingest.readers import BadRecord, iter_csv_rows, iter_json_records, open_binary
from successlink.ingest.records import RowSink, SourceFile
from successlink.warehouse.tables import TABLES, TableSpec

PARQUET_BATCH_ROWS = 256_000


def table_for(path: Path, explicit: str | None) -> TableSpec:
    """The table a canonical file loads into: given, or named by the file (cs_costs.csv)."""
    name = explicit
    if name is None:
        stem = path.name.split(".", 1)[0]
        name = stem if stem in TABLES else path.parent.name
    if name not in TABLES:
        raise InputFileError(
            "cannot tell which table this file is for", where=str(path),
            hint=f"Name the file after a table or pass --table; tables: {', '.join(TABLES)}.")
    return TABLES[name]


def _format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in (".parquet", ".pq"):
        return "parquet"
    if last in (".jsonl", ".ndjson", ".json"):
        return "json"
    if last in (".csv", ".txt"):
        return "csv"
    raise InputFileError(f"unknown file type {last or '(none)'!r}", where=str(path),
                         hint="Canonical files are .csv, .jsonl or .parquet.")


class CanonicalAdapter:
    """Reads a file whose columns are already the canonical table's columns."""

    name = "canonical"
    summary = "Files already in SuccessLink's table layout (CSV, JSON Lines, Parquet)."
    tables = tuple(TABLES)

    def __init__(self, table: str | None = None):
        self.table = table

    def read(self, source: SourceFile, sink: RowSink) -> None:
        spec = table_for(source.path, self.table or source.options.canonical_table)
        fmt = _format(source.path)
        if fmt == "parquet":
            self._read_parquet(spec, source, sink)
            return
        with open_binary(source.path, source.on_progress) as stream:
            records = (iter_csv_rows(stream, source.display, required=spec.key) if fmt == "csv"
                       else iter_json_records(stream, source.display))
            for line, record in records:
                self._row(spec, line, record, sink)

    @staticmethod
    def _row(spec: TableSpec, line: int, record: object, sink: RowSink) -> None:
        if isinstance(record, BadRecord):
            sink.reject(line, "<record>", record.text, record.reason)
            return
        if not isinstance(record, dict):
            sink.reject(line, "<record>", record, "is not an object with named fields")
            return
        unknown = [k for k in record if k not in spec.column_index]
        if unknown:
            sink.reject(line, unknown[0], record[unknown[0]],
                        f"is not a column of {spec.name} (see docs/data-model.md)")
            return
        sink.row(spec.name, record, line=line)

    @staticmethod
    def _read_parquet(spec: TableSpec, source: SourceFile, sink: RowSink) -> None:
        batch_sink = getattr(sink, "batch", None)
        attach = getattr(sink, "attach_parquet", None)
        try:
            parquet = pq.ParquetFile(source.path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputFileError(f"not a readable Parquet file: {exc}", where=source.display,
                                 hint="Check the file, or export it again.") from exc
        unknown = [n for n in parquet.schema_arrow.names if n not in spec.column_index]
        if unknown:
            raise InputFileError(
                f"column(s) {', '.join(unknown)} are not columns of {spec.name}",
                where=source.display, hint="See docs/data-model.md for the table's columns.")
        if attach is not None and attach(spec.name, parquet, source.path, source.on_progress):
            return
        row = 1
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            table = pa.Table.from_batches([batch])
            if batch_sink is not None:
                batch_sink(spec.name, table, first_line=row)
            else:
                for offset, record in enumerate(table.to_pylist()):
                    sink.row(spec.name, record, line=row + offset)
            row += batch.num_rows
            if source.on_progress is not None:
                source.on_progress(row)
