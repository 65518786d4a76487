"""`successlink rejects list`: the rows that were not stored, and why."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from successlink.cli.context import AppContext

app = typer.Typer(help="Rows that could not be stored, with file, line, field and reason.",
                  no_args_is_help=True)


@app.command("list")
def list_rejects(
    ctx: typer.Context,
    file: Annotated[str | None, typer.Option(help="Only rejects from files containing this.")]
    = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 50,
) -> None:
    """Show rejected rows, newest file first."""
    state: AppContext = ctx.obj
    wh = state.warehouse
    if "rejects" not in wh.con.list_tables():
        state.console.print("No rejects: nothing has been refused.")
        return
    rejects = wh.table("rejects")
    if file:
        rejects = rejects.filter(rejects.file.contains(file))
    rows = rejects.order_by([rejects.rejected_at.desc(), rejects.file, rejects.line])
    grid = Table("file", "line", "field", "value", "reason", title="Rejected rows")
    total = wh.scalar(rejects.count())
    for r in wh.execute(wh.compile(rows.select("file", "line", "field", "value", "reason")
                                   .limit(limit))):
        grid.add_row(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]))
    state.console.print(grid)
    state.console.print(f"{total:,} rejected row(s) in all.")
