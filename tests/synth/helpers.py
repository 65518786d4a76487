"""Readers for generated worlds, using only the standard library (and pyarrow for truth)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

START = date(2023, 7, 1)
END = date(2025, 6, 30)
WINDOW_START = datetime(2023, 7, 1, tzinfo=UTC)
HORIZON = datetime(2025, 7, 1, tzinfo=UTC)  # 00:00 UTC after END: every instant is before it
Events = list[dict[str, Any]]
SMALL: dict[str, Any] = {"customers": 300, "affiliates": 50, "start": START, "end": END,
                         "events_per_account_month": 20.0}


def jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def stripe_events(world: Path) -> list[dict[str, Any]]:
    return list(jsonl(world / "stripe" / "events.jsonl"))


def segment_messages(world: Path) -> Iterator[dict[str, Any]]:
    for path in sorted((world / "segment").glob("events-*.jsonl")):
        yield from jsonl(path)


def csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def truth(world: Path, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(world / "truth" / f"{name}.parquet").to_pylist()
    return rows


def instant(text: str) -> datetime:
    """ISO 8601 with Z or an offset, or Delighted's '2024-03-01 12:00:00 +0000'."""
    if text.endswith("+0000"):
        text = text[:-6].replace(" ", "T") + "+00:00"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
