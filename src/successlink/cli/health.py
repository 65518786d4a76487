"""`successlink health explain`: why an account scores what it scores, and what moved."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import ibis
import typer

from successlink.cli.context import AppContext
from successlink.cli.score import parse_day
from successlink.errors import ConfigError
from successlink.health.explain import explain as explain_health
from successlink.health.explain import render_explanation
from successlink.scores.run import ACCOUNT_HEALTH, HEALTH_COMPONENTS, TREND_DAYS, health_config
from successlink.scores.snapshots import read_snapshot, snapshot_days
from successlink.warehouse.connect import Warehouse

app = typer.Typer(help="Health scores: explain one account.", no_args_is_help=True)


def _latest_day(wh: Warehouse, as_of: date | None) -> date:
    days = snapshot_days(wh, ACCOUNT_HEALTH)
    if not days:
        raise ConfigError("nothing is scored yet", hint="Run `successlink score` first.")
    if as_of is None:
        return days[-1]
    if as_of not in days:
        listed = ", ".join(str(d) for d in days[-5:])
        raise ConfigError(f"no health scores as of {as_of}",
                          hint=f"Scored days include {listed}; or run "
                               f"`successlink score --as-of {as_of}`.")
    return as_of


def _rows(wh: Warehouse, table: str, day: date, account: str) -> list[dict[str, Any]]:
    t = read_snapshot(wh, table, day)
    rows: list[dict[str, Any]] = t.filter(t.account_id == ibis.literal(account)) \
        .to_pyarrow().to_pylist()
    return rows


@app.command("explain")
def explain(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account id (as in account_metrics).")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Scored day (YYYY-MM-DD); default the latest.")] = None,
) -> None:
    """Show an account's health score, what drives it, and the change over 30 days."""
    state: AppContext = ctx.obj
    wh = state.warehouse
    day = _latest_day(wh, parse_day(as_of) if as_of else None)
    health = _rows(wh, ACCOUNT_HEALTH, day, account)
    if not health:
        raise ConfigError(f"account {account!r} has no health score as of {day}",
                          hint="Check the id with `successlink advocates` or the report.")
    before = day - timedelta(days=TREND_DAYS)
    earlier = before in snapshot_days(wh, ACCOUNT_HEALTH)
    previous = _rows(wh, ACCOUNT_HEALTH, before, account) if earlier else []
    result = explain_health(
        health[0], _rows(wh, HEALTH_COMPONENTS, day, account),
        previous[0] if previous else None,
        _rows(wh, HEALTH_COMPONENTS, before, account) if previous else None,
        config=health_config(state.settings))
    state.console.print(render_explanation(result))
    if not previous:
        state.console.print(f"[dim]No score as of {before} to compare with; "
                            f"`successlink score --as-of {before}` adds the trend.[/]")
