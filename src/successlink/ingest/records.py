"""The contract between adapters and the loader.

An adapter reads one file and writes canonical rows into a `RowSink`; rows that cannot be
stored become rejects with the line, field, value and reason. The sink validates every row
against its table spec, so adapters only map source fields to canonical names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from successlink.warehouse.tables import TABLES
from successlink.warehouse.validate import FieldError, validate_row

MAX_REJECT_VALUE = 200


def shorten(value: object) -> str:
    """A printable, bounded form of a bad value for the rejects table."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_REJECT_VALUE else text[: MAX_REJECT_VALUE - 1] + "…"


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that was not stored, and why."""

    line: int
    field: str
    value: str
    reason: str


class RowSink(Protocol):
    """Where an adapter writes. `line` is the 1-based line (or record number) in the file."""

    def row(self, table: str, values: Mapping[str, Any], *, line: int) -> bool:
        """Keep a row; False (and a reject recorded) if it is known not to be storable.

        The loading sink validates whole chunks at once for speed, so True means "accepted
        for now": a row refused at flush still gets exactly one reject naming its line,
        but rows an adapter wrote after it (e.g. an identity link) may be stored.
        The sink may keep `values` until it flushes: pass a fresh mapping per row.
        """

    def reject(self, line: int, field: str, value: object, reason: str) -> None:
        """Record a row that cannot be stored."""


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Settings adapters read; the CLI builds it from the workspace config."""

    affiliate_metadata_key: str = "affiliate"
    account_metadata_keys: tuple[str, ...] = ("account_id", "successlink_account_id")
    survey_columns: Mapping[str, str] = field(default_factory=dict)
    survey_kind: str | None = None  # "nps" | "csat" | None to infer from the scale
    canonical_table: str | None = None  # for the canonical adapter
    # Values mapped to our buying roles; keys are lower-cased source values.
    role_map: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One input file and what an adapter needs to read it."""

    path: Path
    now: datetime
    options: IngestOptions = field(default_factory=IngestOptions)
    # Called with the number of bytes consumed so far, for progress bars.
    on_progress: Callable[[int], None] | None = None

    @property
    def display(self) -> str:
        return str(self.path)


class Adapter(Protocol):
    """A source format: reads one file, writes canonical rows."""

    @property
    def name(self) -> str:
        """Short name, as typed after `successlink ingest`."""

    @property
    def summary(self) -> str:
        """One line on what it reads."""

    @property
    def tables(self) -> tuple[str, ...]:
        """Canonical tables it may write."""

    def read(self, source: SourceFile, sink: RowSink) -> None:
        """Read `source` into `sink`; raise InputFileError if the file cannot be read at all."""


class CollectingSink:
    """A RowSink that validates and keeps rows in memory: for tests and small files."""

    def __init__(self, now: datetime):
        self.now = now
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.rejects: list[Reject] = []
        self.read = 0

    def row(self, table: str, values: Mapping[str, Any], *, line: int) -> bool:
        try:
            clean = validate_row(TABLES[table], values, now=self.now)
        except FieldError as err:
            self.reject(line, f"{table}.{err.field}", err.value, err.reason)
            return False
        self.rows[table].append(clean)
        return True

    def reject(self, line: int, field: str, value: object, reason: str) -> None:
        self.rejects.append(Reject(line, field, shorten(value), reason))
