"""Health scoring runs on every warehouse backend we claim; each test gets an empty one per
backend (the pattern of tests/metrics/conftest.py), plus a helper to store a hand-written
`account_metrics` table in it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa
import pytest

from successlink.warehouse.connect import Warehouse
from tests.conftest import _new_postgres_db

AS_OF = date(2024, 1, 31)
_TYPES = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}


@pytest.fixture(params=["duckdb", "postgres", "sqlite"])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """An empty warehouse (DuckDB, PostgreSQL, SQLite)."""
    if request.param == "duckdb":
        url = f"duckdb://{tmp_path / 'h.duckdb'}"
    elif request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'h.sqlite'}"
    else:
        url = _new_postgres_db(request.getfixturevalue("postgres_server"))
    warehouse = Warehouse(url)
    yield warehouse
    with contextlib.suppress(Exception):
        warehouse.close()


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
