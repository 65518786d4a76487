"""Fold minted accounts into the account a later source proves they are.

A company record that matched nothing was minted as `<kind>:<key>`. When another source
later names the same company by its own account id (same domain or billing e-mail), the
identities now point elsewhere: every row of the minted account moves to that account, its
fields merge by source precedence, and the minted row goes, in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from successlink.warehouse.connect import Warehouse, quote
from successlink.warehouse.load import SEQ, merge_rows
from successlink.warehouse.resolve import identity_key
from successlink.warehouse.tables import TABLES

_MAP = "_account_merge_map"


def _minted(accounts: ir.Table) -> ir.BooleanValue:
    return accounts.account_id == accounts.source_key_kind.concat(":", accounts.source_key)


def merge_targets(wh: Warehouse, rules: Sequence[str]) -> ir.Table:
    """(old, new) pairs: minted accounts whose e-mail or domain now names another account."""
    accounts = wh.table("accounts")
    ids = wh.table("account_identities")
    minted = accounts.filter(_minted(accounts))
    candidates: list[ir.Value] = []
    joined = minted
    for i, (kind, column) in enumerate((("email", "billing_email"), ("domain", "domain"))):
        if kind not in rules:
            continue
        look = ids.filter(ids.kind == kind).select(**{f"_k{i}": ids.key, f"_a{i}": ids.account_id})
        joined = joined.left_join(look, identity_key(minted[column], kind) == look[f"_k{i}"])
        candidates.append(look[f"_a{i}"])
    if not candidates:
        return minted.select(old=minted.account_id, new=minted.account_id).limit(0)
    target = ibis.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
    pairs = joined.select(old=minted.account_id, new=target)
    pairs = pairs.filter(pairs.new.notnull() & (pairs.new != pairs.old))
    # Only into accounts that are not themselves being folded away: no chains, no cycles.
    return pairs.filter(~pairs.new.isin(pairs.old))


def merge_minted_accounts(wh: Warehouse, *, rules: Sequence[str]) -> int:
    """Fold every minted account that another account has claimed; returns how many."""
    if not {"accounts", "account_identities"} <= set(wh.con.list_tables()):
        return 0
    pairs = merge_targets(wh, rules)
    if not wh.scalar(pairs.count()):
        return 0
    present = set(wh.con.list_tables())
    with wh.transaction():
        wh.execute(f"DROP TABLE IF EXISTS {_MAP}")
        # Declared types: SQLite gives CREATE TABLE AS columns of expressions none.
        wh.execute(f"CREATE TEMP TABLE {_MAP} (old VARCHAR, new VARCHAR)")
        wh.execute(f"INSERT INTO {_MAP} (old, new) {wh.compile(pairs)}")
        folded = int(wh.execute(f"SELECT COUNT(*) FROM {_MAP}")[0][0])
        _fold_account_rows(wh)
        for spec in TABLES.values():
            if spec.name != "accounts" and "account_id" in spec.column_index \
                    and spec.name in present:
                table = quote(spec.name)
                wh.execute(f"UPDATE {table} SET account_id = (SELECT new FROM {_MAP} "
                           f"WHERE {_MAP}.old = {table}.account_id) "
                           f"WHERE account_id IN (SELECT old FROM {_MAP})")
        wh.execute(f"DROP TABLE {_MAP}")
    return folded


def _fold_account_rows(wh: Warehouse) -> None:
    """Merge each minted account's fields into its new account, then drop the minted row."""
    spec = TABLES["accounts"]
    accounts = wh.table("accounts")
    mapping = wh.scratch_table(_MAP)
    moved = accounts.join(mapping, accounts.account_id == mapping.old)
    rows = moved.select(**{c: (mapping.new if c == "account_id" else accounts[c])
                           for c in spec.names}, **{SEQ: ibis.literal(0, type="int64")})
    # merge_rows materialises what it decides before it writes, so reading `accounts` here
    # while merging into it is safe; the minted rows go afterwards.
    merge_rows(wh, spec, rows, tag=f"fold{uuid.uuid4().hex[:10]}", staged=None)
    wh.execute(f"DELETE FROM accounts WHERE account_id IN (SELECT old FROM {_MAP})")
