"""Health scoring runs on every warehouse backend we claim; each test gets an empty one per
backend (the `wh` fixture of tests/conftest.py), plus a helper to store a hand-written
`account_metrics` table in it."""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from successlink.warehouse.connect import Warehouse

AS_OF = date(2024, 1, 31)
_TYPES = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}


def metrics_table(wh: Warehouse, rows: list[dict[str, Any]], *, types: dict[str, type],
                  name: str = "account_metrics") -> ir.Table:
    """Store `rows` (as_of defaults to AS_OF) in the warehouse, typed by `types`."""
    return wh.con.create_table(name, obj=arrow_table(rows, types=types))


def arrow_table(rows: list[dict[str, Any]], *, types: dict[str, type]) -> pa.Table:
    """account_id, as_of and the given columns as an Arrow table (as_of defaults to AS_OF)."""
    fields = [pa.field("account_id", pa.string()), pa.field("as_of", pa.date32())]
    fields += [pa.field(col, _TYPES[kind]) for col, kind in types.items()]
    full = [{"as_of": AS_OF, **row} for row in rows]
    return pa.Table.from_pylist(full, schema=pa.schema(fields))


def by_account(table: ir.Table) -> dict[str, dict[str, Any]]:
    """Executed rows keyed by account_id."""
    return {r["account_id"]: r for r in table.to_pyarrow().to_pylist()}


def components_of(table: ir.Table) -> dict[tuple[str, str], dict[str, Any]]:
    """Executed component rows keyed by (account_id, measure)."""
    return {(r["account_id"], r["measure"]): r for r in table.to_pyarrow().to_pylist()}
