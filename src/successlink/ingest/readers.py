"""Streaming readers for the file shapes sources export: JSON, JSON arrays, JSON Lines, CSV.

They decode BOMs and UTF-16, read gzip transparently, keep memory bounded (one line or one
CSV record at a time; whole-document JSON is the exception and is size-capped), and number
every record by the line it starts on so rejects can point at it.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

from successlink.errors import InputFileError
from successlink.timeline import TimestampError, parse_instant
from successlink.warehouse.validate import FieldError

# A single JSON document (object or array) is parsed whole; beyond this, ask for JSON Lines.
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024
MAX_CSV_FIELD = 16 * 1024 * 1024
_FIX_JSONL = "Export the data as JSON Lines (one object per line) to stream it."


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not even be parsed; the adapter turns it into a reject."""

    reason: str
    text: str


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and reports the bytes consumed, for progress bars."""

    def __init__(self, raw: IO[bytes], on_progress: Callable[[int], None] | None):
        self._raw = raw
        self._on_progress = on_progress
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.consumed += n
        if self._on_progress is not None and n:
            self._on_progress(self.consumed)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class _GzipReader(io.RawIOBase):
    """Decompresses, turning a corrupt or truncated archive into an InputFileError."""

    def __init__(self, compressed: IO[bytes], display: str):
        self._gzip = gzip.GzipFile(fileobj=compressed, mode="rb")
        self._display = display

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._gzip.read(len(buffer))
        except (OSError, EOFError, zlib.error) as exc:
            raise InputFileError(f"the gzip archive is corrupt or truncated ({exc})",
                                 where=self._display, hint="Compress the file again.") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._gzip.close()
        super().close()


def open_binary(path: Path, on_progress: Callable[[int], None] | None = None) -> IO[bytes]:
    """Open a file (plain or gzip) for streaming, or InputFileError naming it and why."""
    try:
        raw: IO[bytes] = path.open("rb")
    except OSError as exc:
        raise InputFileError(f"cannot open the file: {exc.strerror or exc}", where=str(path),
                             hint="Check the path and that you may read it.") from exc
    counted = io.BufferedReader(CountingReader(raw, on_progress), buffer_size=1 << 20)
    if counted.peek(2)[:2] == b"\x1f\x8b":
        return io.BufferedReader(_GzipReader(counted, str(path)), buffer_size=1 << 20)
    return counted


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def text_lines(stream: IO[bytes], display: str) -> Iterator[tuple[int, str]]:
    """Decoded lines with 1-based numbers; UTF-8 (with or without BOM) or UTF-16 with BOM."""
    head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
    encoding = _sniff_encoding(head)
    reader = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    number = 0
    try:
        for number, line in enumerate(reader, start=1):
            yield number, line
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"line {number + 1} is not valid {encoding} text ({exc.reason})", where=display,
            hint="Re-export the file as UTF-8.") from exc


def _read_document(stream: IO[bytes], display: str) -> bytes:
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputFileError("the JSON document is larger than 512 MiB", where=display,
                             hint=_FIX_JSONL)
    encoding = _sniff_encoding(data[:4])
    if encoding != "utf-8":
        try:
            data = data.decode(encoding).encode()
        except UnicodeDecodeError as exc:
            raise InputFileError(f"not valid {encoding} text", where=display) from exc
    return data


def iter_json_records(stream: IO[bytes], display: str) -> Iterator[tuple[int, Any]]:
    """Records of a JSON document, a JSON array or JSON Lines, each with its line number.

    An array's elements are numbered by position (record 1, 2, ...). A JSON Lines line that
    does not parse is yielded as a BadRecord so the rest of the file still loads; a whole
    document that does not parse is an InputFileError.
    """
    head = stream.peek(64)[:64].lstrip(codecs.BOM_UTF8).lstrip() if hasattr(stream, "peek") else b""
    if head.startswith(b"["):
        yield from _array_records(_read_document(stream, display), display)
        return
    if head and not head.startswith(b"{") and _sniff_encoding(head) == "utf-8":
        raise InputFileError("this is not JSON: it does not start with '{' or '['",
                             where=display, hint="Check the file type and the source name.")
    yield from _lines_or_document(stream, display)


def _array_records(data: bytes, display: str) -> Iterator[tuple[int, Any]]:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputFileError(f"not valid JSON: {exc}", where=display,
                             hint="Fix the file or export it again.") from exc
    if not isinstance(parsed, list):
        raise InputFileError("expected a JSON array", where=display)
    yield from enumerate(parsed, start=1)


def _lines_or_document(stream: IO[bytes], display: str) -> Iterator[tuple[int, Any]]:
    """JSON Lines if the first non-blank line is a whole object, else one document."""
    buffered: list[tuple[int, str]] = []
    lines = text_lines(stream, display)
    for number, line in lines:
        if not line.strip():
            continue
        try:
            first = orjson.loads(line)
        except orjson.JSONDecodeError:
            buffered.append((number, line))
            break
        yield number, first
        yield from _jsonl_tail(lines)
        return
    # Multi-line single document (pretty-printed object): gather the rest and parse once.
    text = "".join(line for _, line in buffered) + "".join(line for _, line in lines)
    if not text.strip():
        return
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputFileError(f"not valid JSON: {exc}", where=display,
                             hint="Fix the file or export it again.") from exc
    yield (buffered[0][0] if buffered else 1), document


def _jsonl_tail(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, Any]]:
    for number, line in lines:
        if not line.strip():
            continue
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, BadRecord(f"not valid JSON ({exc})", line[:200])


def looks_like_json(stream: IO[bytes]) -> bool:
    """True when the file's first character (after any BOM and blanks) opens JSON."""
    peek = getattr(stream, "peek", None)
    head: bytes = peek(256)[:256] if peek is not None else b""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="ignore")
    return text.lstrip()[:1] in ("{", "[")


def header_key(name: str) -> str:
    """'Properties: Account ID' -> 'properties_account_id', so header spellings compare equal."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def iter_csv_rows(stream: IO[bytes], display: str,
                  *, required: tuple[str, ...] = ()
                  ) -> Iterator[tuple[int, dict[str, str] | BadRecord]]:
    """CSV records as dicts keyed by stripped header, numbered by the line they start on.

    A record with the wrong number of fields is yielded as a BadRecord.
    """
    csv.field_size_limit(MAX_CSV_FIELD)
    head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
    reader = io.TextIOWrapper(stream, encoding=_sniff_encoding(head), newline="")
    start = 1
    try:
        rows = csv.reader(reader)
        try:
            header = next(rows)
        except StopIteration:
            return
        names = [h.strip() for h in header]
        missing = [name for name in required if name not in names]
        if missing:
            raise InputFileError(
                f"the header has no column(s) {', '.join(missing)}", where=display,
                hint=f"Expected columns include {', '.join(required)}; found {', '.join(names)}.")
        start = rows.line_num + 1
        for record in rows:
            if any(cell.strip() for cell in record):
                if len(record) != len(names):
                    reason = f"has {len(record)} fields but the header has {len(names)}"
                    yield start, BadRecord(reason, ",".join(record)[:200])
                else:
                    yield start, dict(zip(names, record, strict=True))
            start = rows.line_num + 1
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not valid text ({exc.reason})", where=display,
                             hint="Re-export the file as UTF-8.") from exc
    except csv.Error as exc:
        raise InputFileError(f"not valid CSV near line {start}: {exc}", where=display) from exc


def field_instant(value: object, field: str) -> datetime | None:
    """An aware UTC instant, None when blank, or FieldError naming `field` and why."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_instant(value)
    except TimestampError as exc:
        raise FieldError(field, value, f"{exc} (e.g. 2024-03-01T12:00:00Z)") from None
    except OverflowError:  # parse_instant lets an offset push year 1 or 9999 out of range
        raise FieldError(field, value, "is outside the range of dates") from None
