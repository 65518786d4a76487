"""`successlink status`: what the warehouse holds, and how much of it has an account."""

from __future__ import annotations

import typer
from rich.table import Table

from successlink.cli.context import AppContext
from successlink.warehouse.connect import Warehouse
from successlink.warehouse.tables import CANONICAL_TABLES


def table_summary(wh: Warehouse) -> list[tuple[str, int, int | None]]:
    """(table, rows, rows with an account or None when the table has no account column)."""
    present = set(wh.con.list_tables())
    out: list[tuple[str, int, int | None]] = []
    for spec in CANONICAL_TABLES:
        if spec.name not in present:
            out.append((spec.name, 0, None))
            continue
        t = wh.table(spec.name)
        rows = int(wh.scalar(t.count()))
        with_account = None
        if "account_id" in spec.column_index and spec.name != "accounts":
            with_account = int(wh.scalar(t.filter(t.account_id.notnull()).count()))
        out.append((spec.name, rows, with_account))
    return out


def status(ctx: typer.Context) -> None:
    """Row counts per table and the share resolved to an account."""
    state: AppContext = ctx.obj
    grid = Table("table", "rows", "with account", title=f"Warehouse {state.settings.warehouse_url}",
                 title_justify="left")
    for name, rows, matched in table_summary(state.warehouse):
        share = "" if matched is None or not rows else f"{100 * matched / rows:.1f}%"
        grid.add_row(name, f"{rows:,}", share)
    state.console.print(grid)
