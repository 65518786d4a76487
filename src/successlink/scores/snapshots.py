"""Snapshot tables: one set of rows per as-of day, replaced whole when that day is re-scored.

`successlink score --as-of D` must be safe to re-run (idempotent) and keep history for other
days, so every derived table carries an `as_of` column and a run swaps exactly its own day's
rows inside one transaction: readers see the old snapshot or the new one, never half.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from successlink.errors import WarehouseError
from successlink.warehouse.connect import Warehouse, quote


def _ensure(wh: Warehouse, name: str, schema: ibis.Schema) -> None:
    if name not in wh.con.list_tables():
        wh.con.create_table(name, schema=schema)
        return
    stored = wh.table(name).schema()
    if list(stored.names) != list(schema.names):
        raise WarehouseError(
            f"table {name} was written by another version of SuccessLink "
            f"(columns differ: {sorted(set(stored.names) ^ set(schema.names))})",
            hint=f"Drop it (its history is recomputable) with `successlink score --rebuild`, "
                 f"or keep it under another name: ALTER TABLE {name} RENAME TO {name}_old.")


def _as_of_param(wh: Warehouse, as_of: date) -> object:
    return as_of.isoformat() if wh.dialect == "sqlite" else as_of


def _delete_day(wh: Warehouse, name: str, as_of: date) -> None:
    wh.execute(f"DELETE FROM {quote(name)} WHERE as_of = ?", [_as_of_param(wh, as_of)])


def replace_snapshot(wh: Warehouse, name: str, expr: ir.Table, as_of: date) -> int:
    """Store `expr` (which must have an `as_of` column) as the `as_of` snapshot of `name`."""
    if "as_of" not in expr.columns:
        raise ValueError(f"{name}: a snapshot needs an as_of column")
    _ensure(wh, name, expr.schema())
    cols = ", ".join(quote(c) for c in expr.columns)
    with wh.transaction():
        _delete_day(wh, name, as_of)
        wh.execute(f"INSERT INTO {quote(name)} ({cols}) {wh.compile(expr)}")
    return count_snapshot(wh, name, as_of)


def replace_snapshot_arrow(wh: Warehouse, name: str, rows: pa.Table, as_of: date) -> int:
    """Store Arrow rows (computed outside SQL) as the `as_of` snapshot of `name`."""
    if "as_of" not in rows.column_names:
        raise ValueError(f"{name}: a snapshot needs an as_of column")
    _ensure(wh, name, ibis.Schema.from_pyarrow(rows.schema))
    with wh.transaction():
        _delete_day(wh, name, as_of)
        wh.append_arrow(name, rows)
    return count_snapshot(wh, name, as_of)


def count_snapshot(wh: Warehouse, name: str, as_of: date) -> int:
    """Rows stored for one day."""
    t = wh.table(name)
    return int(wh.scalar(t.filter(t.as_of == ibis.literal(as_of)).count()) or 0)


def snapshot_days(wh: Warehouse, name: str) -> list[date]:
    """The as-of days a table holds, oldest first."""
    if name not in wh.con.list_tables():
        return []
    t = wh.table(name)
    days = t.select("as_of").distinct().order_by("as_of").to_pyarrow()
    return [d.as_py() if not isinstance(d.as_py(), str) else date.fromisoformat(d.as_py())
            for d in days.column(0)]


def read_snapshot(wh: Warehouse, name: str, as_of: date) -> ir.Table:
    """One day's rows of a snapshot table."""
    t = wh.table(name)
    return t.filter(t.as_of == ibis.literal(as_of))
