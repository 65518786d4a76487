"""Seed canonical tables with small hand-written rows, on any backend.

Rows are dicts; columns left out are null; `source` defaults to "test". Timestamps may be
given as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM' strings (UTC) to keep fixtures readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from successlink.warehouse.connect import Warehouse, arrow_schema
from successlink.warehouse.tables import CANONICAL_TABLES, TABLES


def ts(value: str) -> datetime:
    """'2024-01-31' or '2024-01-31 13:45' as a UTC instant."""
    fmt = "%Y-%m-%d %H:%M" if " " in value else "%Y-%m-%d"
    return datetime.strptime(value, fmt).replace(tzinfo=UTC)


def _coerce(kind: str, value: Any) -> Any:
    if isinstance(value, str) and kind == "timestamp":
        return ts(value)
    if isinstance(value, str) and kind == "date":
        return date.fromisoformat(value)
    return value


def create_all(wh: Warehouse) -> None:
    """Every canonical table, empty."""
    for spec in CANONICAL_TABLES:
        wh.ensure(spec)


def seed(wh: Warehouse, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Append rows to a canonical table (creating every canonical table first)."""
    create_all(wh)
    spec = TABLES[table]
    rows = [{"source": "test", **r} for r in rows]
    unknown = {k for r in rows for k in r} - set(spec.names)
    if unknown:
        raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
    schema = arrow_schema(spec)
    columns = {c.name: pa.array([_coerce(c.type, r.get(c.name)) for r in rows],
                                schema.field(c.name).type) for c in spec.columns}
    wh.append_arrow(table, pa.table(columns, schema=schema))


def seed_many(wh: Warehouse, tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
    """Seed several tables at once."""
    create_all(wh)
    for name, rows in tables.items():
        seed(wh, name, rows)
