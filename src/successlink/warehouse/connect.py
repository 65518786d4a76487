"""The warehouse connection: any Ibis backend by URL, plus the few things Ibis leaves out.

Ibis builds every query; this module adds what loading needs and Ibis does not offer
portably: one explicit transaction around a whole file's changes, raw statements inside it,
and a fast bulk path for staging Arrow batches (DuckDB registers Arrow, PostgreSQL uses COPY,
SQLite executemany).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from successlink.errors import WarehouseError
from successlink.warehouse.tables import TableSpec

Dialect = Literal["duckdb", "postgres", "sqlite"]
_SUPPORTED: dict[str, Dialect] = {
    "duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres", "sqlite": "sqlite",
}
_IBIS_TYPES = {
    "string": "string", "int64": "int64", "float64": "float64", "bool": "boolean",
    "timestamp": "timestamp('UTC')", "date": "date", "json": "string",
}
_DUCKDB_TYPES = {
    "string": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE", "bool": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ", "date": "DATE", "json": "VARCHAR",
}
# DuckDB's read_parquet expands these as a glob: such paths take the general path.
_GLOB_CHARS = frozenset("*?[]{}")
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"), "date": pa.date32(), "json": pa.string(),
}


def quote(name: str) -> str:
    """A double-quoted SQL identifier (the same in DuckDB, PostgreSQL and SQLite)."""
    return '"' + name.replace('"', '""') + '"'


def ibis_schema(spec: TableSpec, extra: dict[str, str] | None = None) -> ibis.Schema:
    """The Ibis schema of a table spec (JSON is kept as text for portability)."""
    fields = {c.name: _IBIS_TYPES[c.type] for c in spec.columns}
    return ibis.schema({**fields, **(extra or {})})


def arrow_schema(spec: TableSpec, extra: dict[str, pa.DataType] | None = None) -> pa.Schema:
    """The Arrow schema of a table spec, used for staging and for canonical Parquet."""
    fields = [pa.field(c.name, ARROW_TYPES[c.type]) for c in spec.columns]
    return pa.schema(fields + [pa.field(k, v) for k, v in (extra or {}).items()])


class Warehouse:
    """An open warehouse: an Ibis backend plus transactions and bulk staging."""

    def __init__(self, url: str):
        scheme = urlparse(url).scheme.split("+", 1)[0]
        if scheme not in _SUPPORTED:
            raise WarehouseError(
                f"unsupported warehouse URL scheme {scheme!r}",
                hint="Use duckdb:///path/file.duckdb, postgres://user@host/db or "
                     "sqlite:///path/file.db.")
        self.url = url
        self.dialect: Dialect = _SUPPORTED[scheme]
        if self.dialect in ("duckdb", "sqlite"):
            path = url.split("://", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con: Any = ibis.connect(url)
        except Exception as exc:
            raise WarehouseError(f"cannot open the warehouse {url}: {exc}",
                                 hint="Check SUCCESSLINK_WAREHOUSE or [warehouse] url.") from exc
        self._in_transaction = False
        if self.dialect == "duckdb":
            # DuckDB draws its own progress bar on stdout; ours is the one users should see.
            self.raw.execute("SET enable_progress_bar = false")

    @property
    def raw(self) -> Any:
        """The DB-API connection under Ibis."""
        return self.con.con

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.disconnect()

    def ensure(self, spec: TableSpec) -> None:
        """Create the table if it is missing (columns from its spec)."""
        if spec.name not in self.con.list_tables():
            self.con.create_table(spec.name, schema=ibis_schema(spec))

    def ensure_all(self, specs: Iterable[TableSpec]) -> None:
        """`ensure` for many tables, listing the existing ones once (each listing is a query)."""
        existing = set(self.con.list_tables())
        for spec in specs:
            if spec.name not in existing:
                self.con.create_table(spec.name, schema=ibis_schema(spec))

    def table(self, name: str) -> ir.Table:
        return self.con.table(name)

    def scratch_table(self, name: str) -> ir.Table:
        """A temporary table made with CREATE TEMP TABLE (SQLite keeps those in `temp`)."""
        if self.dialect == "sqlite":
            return self.con.table(name, database="temp")
        return self.con.table(name)

    def compile(self, expr: ir.Expr) -> str:
        return str(self.con.compile(expr))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on the raw connection (inside the open transaction, if any)."""
        if self.dialect == "postgres":
            with self.raw.cursor() as cur:
                cur.execute(sql.replace("?", "%s") if params else sql, params or None)
                return list(cur.fetchall()) if cur.description else []
        cursor = self.raw.execute(sql, params) if params else self.raw.execute(sql)
        rows: list[tuple[Any, ...]] = cursor.fetchall() if cursor.description else []
        return rows

    def scalar(self, expr: ir.Expr) -> Any:
        rows = self.execute(self.compile(expr))
        return rows[0][0] if rows else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        if self._in_transaction:
            yield
            return
        self._in_transaction = True
        try:
            if self.dialect == "postgres":
                with self.raw.transaction():
                    yield
            else:
                if self.dialect == "sqlite" and self.raw.in_transaction:
                    self.raw.commit()
                self.raw.execute("BEGIN")
                try:
                    yield
                except BaseException:
                    # SQLite's driver may already have ended it after the failing statement.
                    if self.dialect != "sqlite" or self.raw.in_transaction:
                        self.raw.execute("ROLLBACK")
                    raise
                self.raw.execute("COMMIT")
        finally:
            self._in_transaction = False

    def create_temp(self, name: str, schema: ibis.Schema) -> None:
        """A session-local scratch table (dropped first if it exists)."""
        self.execute(f"DROP TABLE IF EXISTS {quote(name)}")
        self.con.create_table(name, schema=schema, temp=True)

    def reads_parquet(self, path: Path) -> bool:
        """Whether `parquet_view` can serve this file (DuckDB, and a path that is no glob)."""
        return self.dialect == "duckdb" and not _GLOB_CHARS.intersection(str(path))

    def parquet_view(self, name: str, path: Path, spec: TableSpec, present: Sequence[str],
                     seq: str) -> None:
        """DuckDB: a temp view reading the Parquet file as the spec's columns plus `seq`
        (the 1-based row number), so a clean file is staged without copying it through
        Python. Columns the file lacks read as nulls."""
        exprs = [quote(c.name) if c.name in present else
                 f"CAST(NULL AS {_DUCKDB_TYPES[c.type]}) AS {quote(c.name)}"
                 for c in spec.columns]
        self.execute(
            f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS SELECT {', '.join(exprs)}, "
            f"file_row_number + 1 AS {quote(seq)} FROM read_parquet("
            f"{sql_text(str(path.resolve()))}, file_row_number = true)")

    def append_arrow(self, name: str, batch: pa.Table) -> None:
        """Bulk-append an Arrow table whose columns match `name` by position and name."""
        if batch.num_rows == 0:
            return
        cols = ", ".join(quote(c) for c in batch.column_names)
        if self.dialect == "duckdb":
            self.raw.register("__successlink_batch", batch)
            try:
                self.raw.execute(f"INSERT INTO {quote(name)} ({cols}) "
                                 f"SELECT {cols} FROM __successlink_batch")
            finally:
                self.raw.unregister("__successlink_batch")
        elif self.dialect == "postgres":
            with self.raw.cursor() as cur, cur.copy(
                    f"COPY {quote(name)} ({cols}) FROM STDIN") as copy:
                for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in batch.column_names)
            rows = zip(*(_sqlite_values(c) for c in batch.columns), strict=True)
            self.raw.executemany(f"INSERT INTO {quote(name)} ({cols}) VALUES ({marks})", rows)


def sql_text(value: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _sqlite_values(column: pa.ChunkedArray) -> list[Any]:
    """SQLite has no timestamp type: store UTC as sortable 'YYYY-MM-DD HH:MM:SS.ffffff' text."""
    values: list[Any] = column.to_pylist()
    if pa.types.is_timestamp(column.type):
        return [v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                for v in values]
    if pa.types.is_date(column.type):
        return [v.isoformat() if isinstance(v, date) else v for v in values]
    return values


def open_warehouse(url: str) -> Warehouse:
    """Open the warehouse at an Ibis URL."""
    return Warehouse(url)
