"""Idempotent loads: stage a file's rows, then resolve, de-duplicate and merge them into the
canonical tables in ONE transaction, counting what was inserted, updated or left unchanged.

Why staging: a file streams in chunks with bounded memory, but its changes must land all
together or not at all; scratch tables hold the chunks until the file has been read whole.
Why no ON CONFLICT: it needs unique indexes, which cost memory on 100M-row event tables and
differ across backends; an anti-join plus delete-and-insert is portable and as fast.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from successlink.errors import InputFileError
from successlink.warehouse.connect import Warehouse, arrow_schema, ibis_schema, quote
from successlink.warehouse.resolve import derived_identities, resolve_accounts
from successlink.warehouse.tables import TABLES, TableSpec

SEQ = "_seq"
# Tables are merged in this order so later tables resolve against identities established
# by earlier ones in the same file (companies, then people, then everything else).
MERGE_ORDER = ("accounts", "account_identities", "contacts", "product_users", "invoices",
               "payments")


@dataclass
class TableCounts:
    """What happened to one table's rows from one file."""

    staged: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0  # replaced by a later row with the same key in the same file
    matched: int = 0  # rows (after de-duplication) with an account
    unmatched: int = 0


@dataclass
class MergeResult:
    """Per-table counts of one committed file."""

    tables: dict[str, TableCounts] = field(default_factory=dict)

    def total(self, name: str) -> int:
        return sum(getattr(c, name) for c in self.tables.values())


class Stage:
    """Scratch tables for one file's rows; `merge` moves them into the warehouse at once."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.tag = uuid.uuid4().hex[:10]
        self._created: set[str] = set()
        self._views: set[str] = set()
        # Files read in place by a view, with the (size, mtime) they had when checked.
        self._sources: dict[Path, tuple[int, int]] = {}
        self.staged: dict[str, int] = {}

    def name(self, table: str) -> str:
        return f"_stage_{table}_{self.tag}"

    def append(self, spec: TableSpec, batch: pa.Table) -> None:
        """Add validated rows (spec columns + `_seq`) to the scratch table."""
        target = self.name(spec.name)
        if target not in self._created:
            self.warehouse.create_temp(target, ibis_schema(spec, {SEQ: "int64"}))
            self._created.add(target)
        batch = batch.cast(arrow_schema(spec, {SEQ: pa.int64()}))
        self.warehouse.append_arrow(target, batch)
        self.staged[spec.name] = self.staged.get(spec.name, 0) + batch.num_rows

    def attach_parquet(self, spec: TableSpec, path: Path, present: Sequence[str],
                       rows: int, checked: tuple[int, int]) -> None:
        """Stage a whole, already validated Parquet file by reading it in place (DuckDB).

        `checked` is the file's (size, mtime_ns) when it was validated: `merge` refuses
        the file if it changed since, as the rows it would read are not the ones checked.
        """
        target = self.name(spec.name)
        self.warehouse.parquet_view(target, path, spec, present, SEQ)
        self._views.add(target)
        self._sources[path] = checked
        self.staged[spec.name] = self.staged.get(spec.name, 0) + rows

    def drop(self) -> None:
        for name in self._created:
            self.warehouse.execute(f"DROP TABLE IF EXISTS {quote(name)}")
        for name in self._views:
            self.warehouse.execute(f"DROP VIEW IF EXISTS {quote(name)}")
        self._created.clear()
        self._views.clear()

    def _check_sources(self) -> None:
        for path, checked in self._sources.items():
            if file_stamp(path) != checked:
                raise InputFileError("the file changed while it was being loaded",
                                     where=str(path), hint="Load it again once it is complete.")

    def merge(self, *, rules: Sequence[str], now: datetime) -> MergeResult:
        """Resolve, de-duplicate and merge every staged table, in one transaction."""
        self.warehouse.ensure_all(TABLES.values())
        order = list(MERGE_ORDER) + [t for t in TABLES if t not in MERGE_ORDER]
        result = MergeResult()
        with self.warehouse.transaction():
            for name in order:
                if name in self.staged:
                    result.tables[name] = self._merge_one(TABLES[name], rules, now)
            self._check_sources()
        return result

    def _merge_one(self, spec: TableSpec, rules: Sequence[str], now: datetime) -> TableCounts:
        wh = self.warehouse
        rows = wh.table(self.name(spec.name))
        if spec.match or spec.creates_accounts:
            rows = resolve_accounts(spec, rows, wh.table("account_identities"), rules)
        # Resolution never changes a key other than account_id, so the key checks can read
        # the plain staged rows and skip the identity joins.
        keys = None if "account_id" in spec.key else wh.table(self.name(spec.name))
        counts = merge_rows(wh, spec, rows, tag=self.tag, staged=self.staged[spec.name],
                            keys=keys)
        for links in derived_identities(spec, _winners(spec, rows), now):
            ident = TABLES["account_identities"]
            linked = links.mutate(**{SEQ: ibis.literal(0, type="int64")})
            merge_rows(wh, ident, linked, tag=self.tag + "i", staged=None)
        return counts


def file_stamp(path: Path) -> tuple[int, int]:
    """(size, modification time in ns): what tells a file changed between two reads."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _winners(spec: TableSpec, rows: ir.Table) -> ir.Table:
    """One row per key: the newest version, then the latest in the file."""
    order = [ibis.desc(rows[spec.version])] if spec.version else []
    order.append(ibis.desc(rows[SEQ]))
    ranked = rows.mutate(_rank=ibis.row_number().over(group_by=list(spec.key), order_by=order))
    return ranked.filter(ranked._rank == 0).drop("_rank")


def merge_rows(wh: Warehouse, spec: TableSpec, rows: ir.Table, *, tag: str,
               staged: int | None, keys: ir.Table | None = None) -> TableCounts:
    """Merge `rows` (spec columns + _seq) into the spec's table; counts what changed.

    `keys`, if given, holds the same key values as `rows` more cheaply (before resolution).
    """
    wh.ensure(spec)
    target = wh.table(spec.name)
    unique = _keys_unique(wh, spec, rows if keys is None else keys)
    if unique and not _overlaps(wh, spec, rows if keys is None else keys):
        return _insert_new(wh, spec, rows, staged)
    has_account = "account_id" in spec.column_index
    if unique:
        # A view: the join below needs a relation of its own, as `_winners` makes one.
        by_status, matched = _merge_unique(wh, spec, _decide(spec, rows.view(), target), tag)
    else:
        by_status, matched = _merge_decided(wh, spec, _decide(spec, _winners(spec, rows),
                                                              target), tag)
    total = sum(by_status.values())
    return TableCounts(
        staged=staged if staged is not None else total,
        inserted=by_status.get("insert", 0),
        updated=by_status.get("update", 0),
        unchanged=by_status.get("same", 0) + by_status.get("stale", 0),
        superseded=(staged - total) if staged is not None else 0,
        matched=matched if has_account else 0,
        unmatched=(total - matched) if has_account else 0,
    )


def _merge_decided(wh: Warehouse, spec: TableSpec, decided: ir.Table,
                   tag: str) -> tuple[dict[str, int], int]:
    """Materialise every row's fate once (the winners' window may break ties either way
    if run twice), count it, and apply it: (rows by status, rows with an account)."""
    scratch = f"_merge_{spec.name}_{tag}"
    wh.execute(f"DROP TABLE IF EXISTS {quote(scratch)}")
    wh.execute(f"CREATE TEMP TABLE {quote(scratch)} AS {wh.compile(decided)}")
    by_status = dict(wh.execute(
        f"SELECT _status, COUNT(*) FROM {quote(scratch)} GROUP BY _status"))
    matched = 0
    if "account_id" in spec.column_index:
        matched = wh.execute(
            f"SELECT COUNT(*) FROM {quote(scratch)} WHERE account_id IS NOT NULL")[0][0]
    _apply(wh, spec, scratch, has_updates=by_status.get("update", 0) > 0)
    wh.execute(f"DROP TABLE IF EXISTS {quote(scratch)}")
    return by_status, matched


def _merge_unique(wh: Warehouse, spec: TableSpec, decided: ir.Table,
                  tag: str) -> tuple[dict[str, int], int]:
    """Rows with unique keys: count their fates without storing them, then copy only the
    rows that change anything. Re-loading a file copies nothing at all."""
    account = "COUNT(account_id)" if "account_id" in spec.column_index else "0"
    counted = wh.execute(f"SELECT _status, COUNT(*), {account} FROM "
                         f"({wh.compile(decided)}) _d GROUP BY _status")
    by_status = {status: n for status, n, _ in counted}
    matched = sum(m for _, _, m in counted)
    if by_status.get("insert", 0) or by_status.get("update", 0):
        scratch = f"_merge_{spec.name}_{tag}"
        changes = decided.filter(decided._status.isin(("insert", "update")))
        wh.execute(f"DROP TABLE IF EXISTS {quote(scratch)}")
        wh.execute(f"CREATE TEMP TABLE {quote(scratch)} AS {wh.compile(changes)}")
        _apply(wh, spec, scratch, has_updates=by_status.get("update", 0) > 0)
        wh.execute(f"DROP TABLE IF EXISTS {quote(scratch)}")
    return by_status, int(matched)


def _keys_unique(wh: Warehouse, spec: TableSpec, rows: ir.Table) -> bool:
    """True when no two rows share a key, so there is nothing to de-duplicate.

    GROUP BY puts null keys together, as the window in `_winners` does.
    """
    groups = rows.group_by(list(spec.key)).aggregate(_n=rows.count())
    return not wh.execute(wh.compile(groups.filter(groups._n > 1).select("_n").limit(1)))


def _overlaps(wh: Warehouse, spec: TableSpec, rows: ir.Table) -> bool:
    """True when some row's key is already stored (an empty table is answered at once)."""
    table = quote(spec.name)
    if not wh.execute(f"SELECT 1 FROM {table} LIMIT 1"):
        return False
    match = " AND ".join(f"_t.{quote(k)} = _r.{quote(k)}" for k in spec.key)
    source = wh.compile(rows.select(*spec.key))
    return bool(wh.execute(f"SELECT 1 FROM ({source}) _r WHERE EXISTS "
                           f"(SELECT 1 FROM {table} _t WHERE {match}) LIMIT 1"))


def _insert_new(wh: Warehouse, spec: TableSpec, rows: ir.Table,
                staged: int | None) -> TableCounts:
    """Every row is new and unique: insert them straight away, without comparing.

    This is the first load of a file (and of most event files): it skips the
    de-duplicating window, the join against the stored table and the scratch copy.
    """
    cols = ", ".join(quote(c) for c in spec.names)
    source = wh.compile(rows.select(*spec.names))
    total = wh.scalar(rows.count()) if staged is None else staged
    matched = 0
    if "account_id" in spec.column_index:
        matched = wh.scalar(rows.account_id.count())
    wh.execute(f"INSERT INTO {quote(spec.name)} ({cols}) SELECT {cols} FROM ({source}) _new")
    has_account = "account_id" in spec.column_index
    return TableCounts(staged=total, inserted=total, matched=matched,
                       unmatched=(total - matched) if has_account else 0)


def _decide(spec: TableSpec, winners: ir.Table, target: ir.Table) -> ir.Table:
    """Each winning row with its fate: insert, update, same (identical) or stale (older)."""
    names = spec.names
    theirs = target.select(_present=ibis.literal(1),
                           **{f"_t_{c}": target[c] for c in names})
    on = [winners[k] == theirs[f"_t_{k}"] for k in spec.key]
    joined = winners.left_join(theirs, on)
    new: dict[str, Any] = {c: joined[c] for c in names}
    if spec.merge == "coalesce":
        # Several records describe one thing (a company from CRM and billing, a charge and
        # its invoice payment): a record that lacks a field never erases it.
        ours_first = _rank(spec, joined.source) >= _rank(spec, joined["_t_source"])
        new = {c: _combine(spec, c, joined[c], joined[f"_t_{c}"], ours_first) for c in names}
    same = ibis.literal(True)
    for c in names:
        same = same & new[c].identical_to(joined[f"_t_{c}"])
    branches: list[tuple[ir.BooleanValue, str]] = [
        (joined._present.isnull(), "insert"), (same, "same")]
    if spec.version:
        branches.append((new[spec.version] < joined[f"_t_{spec.version}"], "stale"))
    return joined.select(**new, _status=ibis.cases(*branches, else_="update"))


def _rank(spec: TableSpec, source: ir.StringValue) -> ir.IntegerValue:
    """Trust of a row's source: higher wins (unlisted sources rank 0)."""
    top = len(spec.precedence)
    if not top:
        return ibis.literal(0)
    return ibis.cases(*((source == name, top - i) for i, name in enumerate(spec.precedence)),
                      else_=0)


def _combine(spec: TableSpec, column: str, ours: ir.Value, stored: ir.Value,
             ours_first: ir.BooleanValue) -> ir.Value:
    """A coalesce-merged column: key as is, first-wins, earliest, or by source trust."""
    if column in spec.key:
        return ours
    if column in spec.first_wins:
        return ibis.coalesce(stored, ours)
    if column in spec.earliest:
        return ibis.cases((stored.isnull(), ours), (ours.isnull(), stored),
                          (ours < stored, ours), else_=stored)
    return ibis.cases((ours_first, ibis.coalesce(ours, stored)),
                      else_=ibis.coalesce(stored, ours))


def _apply(wh: Warehouse, spec: TableSpec, scratch: str, *, has_updates: bool) -> None:
    table, src = quote(spec.name), quote(scratch)
    if has_updates:
        match = " AND ".join(f"{src}.{quote(k)} = {table}.{quote(k)}" for k in spec.key)
        wh.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {src} "
                   f"WHERE {src}._status = 'update' AND {match})")
    cols = ", ".join(quote(c) for c in spec.names)
    wh.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {src} "
               f"WHERE _status IN ('insert', 'update')")


def rematch_unresolved(wh: Warehouse, *, rules: Sequence[str]) -> dict[str, int]:
    """Give stored rows still without an account a second chance against today's identities.

    Returns how many rows per table were newly matched.
    """
    newly: dict[str, int] = {}
    tables = set(wh.con.list_tables())
    for spec in TABLES.values():
        if not spec.match or spec.creates_accounts or spec.name not in tables:
            continue
        stored = wh.table(spec.name)
        orphans = stored.filter(stored.account_id.isnull())
        resolved = resolve_accounts(spec, orphans, wh.table("account_identities"), rules)
        resolved = resolved.filter(resolved.account_id.notnull())
        if not wh.scalar(resolved.count()):
            continue
        with wh.transaction():
            rows = resolved.mutate(**{SEQ: ibis.literal(0, type="int64")})
            counts = merge_rows(wh, spec, rows, tag=uuid.uuid4().hex[:10], staged=None)
        newly[spec.name] = counts.updated
    return newly
