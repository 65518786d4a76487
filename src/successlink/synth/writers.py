"""Writers that keep memory bounded and output byte-identical for the same world.

- `LineFiles`: JSON Lines split into numbered files of a fixed number of lines (Segment).
- `SortedSpool`: lines produced out of order, written in key order through sorted runs on
  disk merged at the end (Stripe events, Zendesk tickets, survey answers are time-ordered
  across all chunks of accounts).
- `ParquetTables`: one Parquet writer per canonical table, schema from `tables.py`.
- `write_csv`: CSV with `\\n` line ends and minimal quoting.
"""

from __future__ import annotations

import csv
import heapq
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from successlink.synth.strings import concat, iso_dates, iso_z
from successlink.warehouse.tables import TABLES, TableSpec

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"), "date": pa.date32(), "json": pa.string(),
}
ROW_GROUP_ROWS = 1_000_000


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """The Parquet schema of a canonical table: its columns in order, with their types."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in spec.columns])


def write_array_lines(handle: IO[bytes], lines: pa.Array) -> None:
    """Write each string of `lines` followed by a newline, straight from Arrow's buffer."""
    if len(lines) == 0:
        return
    joined = concat(lines, "\n")  # a fresh array: its offsets start at element 0
    width = np.int64 if pa.types.is_large_string(joined.type) else np.int32
    offsets = np.frombuffer(joined.buffers()[1], dtype=width, count=len(joined) + 1)
    handle.write(memoryview(joined.buffers()[2])[int(offsets[0]):int(offsets[-1])])


class LineFiles:
    """`<stem>-00000.jsonl`, `<stem>-00001.jsonl`... of at most `per_file` lines each."""

    def __init__(self, folder: Path, stem: str, per_file: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.stem, self.per_file = folder, stem, per_file
        self.counts: list[int] = []
        self._handle: IO[bytes] | None = None

    def _open_next(self) -> IO[bytes]:
        if self._handle is not None:
            self._handle.close()
        self.counts.append(0)
        self._handle = (self.folder / self.name(len(self.counts) - 1)).open("wb")
        return self._handle

    def name(self, number: int) -> str:
        return f"{self.stem}-{number:05d}.jsonl"

    def write(self, lines: pa.Array) -> None:
        """Append lines, starting new files as each fills up."""
        done = 0
        while done < len(lines):
            if not self.counts or self.counts[-1] >= self.per_file:
                self._open_next()
            assert self._handle is not None
            room = min(self.per_file - self.counts[-1], len(lines) - done)
            write_array_lines(self._handle, lines.slice(done, room))
            self.counts[-1] += room
            done += room

    def close(self) -> dict[str, int]:
        """Close the last file; returns lines per file name."""
        if self._handle is None:
            self._open_next()
        assert self._handle is not None
        self._handle.close()
        return {self.name(i): n for i, n in enumerate(self.counts)}


class SortedSpool:
    """Collects (key, line) pairs and replays the lines in key order (ties: arrival order).

    Lines are packed into one growing buffer rather than kept as separate objects: millions
    of small retained objects fragment the heap and hold far more memory than their size.
    """

    def __init__(self, folder: Path, budget_bytes: int = 128 << 20) -> None:
        self.folder, self.budget = folder, budget_bytes
        self._data = bytearray()
        self._entries: list[tuple[bytes, int, int, int]] = []  # key, arrival, start, stop
        self._runs: list[Path] = []
        self.count = 0

    def add(self, key: bytes, line: bytes) -> None:
        """Queue a line under its sort key (fixed-width bytes)."""
        start = len(self._data)
        self._data += line
        self._entries.append((key, self.count, start, len(self._data)))
        self.count += 1
        if len(self._data) >= self.budget:
            self._spill()

    def _spill(self) -> None:
        if not self._entries:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"run-{len(self._runs):05d}.txt"
        self._entries.sort()
        view = memoryview(self._data)
        with path.open("wb") as handle:
            for key, arrival, start, stop in self._entries:
                handle.write(b"%s%012d\t" % (key, arrival))
                handle.write(view[start:stop])
                handle.write(b"\n")
        view.release()
        self._runs.append(path)
        self._data, self._entries = bytearray(), []

    def lines(self) -> Iterator[bytes]:
        """Every line (without newline) in key order; removes the runs afterwards."""
        self._spill()
        handles = [path.open("rb") for path in self._runs]
        try:
            for record in heapq.merge(*handles):
                yield record[record.index(b"\t") + 1:-1]
        finally:
            for handle in handles:
                handle.close()
            shutil.rmtree(self.folder, ignore_errors=True)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """A CSV file with a header; None is an empty cell. Returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    return count


class ParquetTables:
    """Canonical tables written as Parquet: `<folder>/<table>.parquet`, or part files."""

    def __init__(self, folder: Path, partitioned: Sequence[str] = ("usage_events",)) -> None:
        self.folder = folder
        self.partitioned = set(partitioned)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.counts: dict[str, int] = {}

    def path(self, table: str) -> Path:
        """Where a table's rows go."""
        if table in self.partitioned:
            return self.folder / table / "part-00000.parquet"
        return self.folder / f"{table}.parquet"

    def write(self, table: str, columns: dict[str, Any]) -> None:
        """Append rows given as column name -> Arrow array or Python list; others are null."""
        spec = TABLES[table]
        schema = arrow_schema(spec)
        length = len(next(iter(columns.values())))
        arrays = [_column(columns.get(f.name), f.type, length) for f in schema]
        batch = pa.Table.from_arrays(arrays, schema=schema)
        writer = self._writers.get(table)
        if writer is None:
            self.path(table).parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(self.path(table), schema, compression="zstd")
            self._writers[table] = writer
            self.counts[table] = 0
        writer.write_table(batch, row_group_size=ROW_GROUP_ROWS)
        self.counts[table] += length

    def close(self) -> dict[str, int]:
        """Finish every file; rows written per file (relative to the world folder's parent)."""
        for writer in self._writers.values():
            writer.close()
        return {f"{self.folder.name}/{self.path(t).relative_to(self.folder)}": n
                for t, n in sorted(self.counts.items())}


def _column(values: Any, kind: pa.DataType, length: int) -> pa.Array:
    if values is None:
        return pa.nulls(length, kind)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == kind else values.cast(kind)
    return pa.array(values, kind)


class CanonicalCsv:
    """Canonical tables as CSV (`<folder>/<table>.csv`): ISO timestamps with Z, ISO dates."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._handles: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        self.counts: dict[str, int] = {}

    def write(self, table: str, columns: dict[str, Any]) -> None:
        """Append rows given as column name -> Arrow array or Python list; others are empty."""
        schema = arrow_schema(TABLES[table])
        length = len(next(iter(columns.values())))
        texts = [_as_cells(_column(columns.get(f.name), f.type, length)) for f in schema]
        writer = self._writers.get(table)
        if writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = (self.folder / f"{table}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(schema.names)
            self._handles[table], self._writers[table] = handle, writer
            self.counts[table] = 0
        writer.writerows(zip(*texts, strict=True))
        self.counts[table] += length

    def close(self) -> dict[str, int]:
        """Close every file; rows written per file."""
        for handle in self._handles.values():
            handle.close()
        return {f"{self.folder.name}/{t}.csv": n for t, n in sorted(self.counts.items())}


def _as_cells(values: pa.Array) -> list[Any]:
    """A column as CSV cells: '' for null, ISO 8601 for instants and days."""
    missing = values.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_timestamp(values.type):
        micros = values.cast(pa.int64()).fill_null(0).to_numpy()
        text = iso_z(micros // 1_000_000).to_pylist()
    elif pa.types.is_date(values.type):
        days = values.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64)
        text = iso_dates(days * 86400).to_pylist()
    else:
        return ["" if v is None else v for v in values.to_pylist()]
    return ["" if gone else cell for cell, gone in zip(text, missing, strict=True)]
