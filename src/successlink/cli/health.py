"""`successlink health explain`: why an account scores what it scores, and what moved."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import ibis
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from successlink.cli.context import AppContext
from successlink.cli.score import parse_day
from successlink.errors import ConfigError
from successlink.health.explain import explain as explain_health
from successlink.health.explain import render_explanation
from successlink.scores.health_suggest import suggest_health
from successlink.scores.rollups import ensure_rollups
from successlink.scores.run import (
    ACCOUNT_HEALTH,
    ACCOUNT_METRICS,
    HEALTH_COMPONENTS,
    TREND_DAYS,
    health_config,
    inputs,
)
from successlink.scores.snapshots import read_snapshot, snapshot_days
from successlink.warehouse.connect import Warehouse

app = typer.Typer(help="Health scores: explain one account, learn weights from churn.",
                  no_args_is_help=True)


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


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _auc(value: float) -> str:
    return "-" if value != value else f"{value:.3f}"


@app.command("suggest")
def suggest(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Judge churn up to this day (YYYY-MM-DD); default the latest scored "
                        "day.")] = None,
    horizon: Annotated[int, typer.Option(help="Churn window in days.")] = 90,
    origins: Annotated[int, typer.Option(
        help="Older origins (30 days apart) to fit the weights on.")] = 3,
    write: Annotated[Path | None, typer.Option(
        help="Write the suggested config to this file (never over the one in use).")] = None,
) -> None:
    """Learn the health weights from churn and propose them as a diff of the config."""
    state: AppContext = ctx.obj
    wh = state.warehouse
    days = snapshot_days(wh, ACCOUNT_METRICS)
    day = parse_day(as_of) if as_of else (days[-1] if days else parse_day(None))
    columns = (SpinnerColumn(), TextColumn("[bold]Learning health weights[/] "
                                           "{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=state.console, transient=True) as bar:
        task = bar.add_task("usage rollups")
        ensure_rollups(wh)
        found = suggest_health(wh, inputs(wh), state.settings, as_of=day, horizon_days=horizon,
                               training_origins=origins,
                               progress=lambda step: bar.update(task, description=step))
    con = state.console
    con.print(f"Fitted on customers of {', '.join(str(d) for d in found.training_origins)}; "
              f"judged on the {found.accounts:,} customers of {found.evaluation_origin}, "
              f"{found.churned:,} of whom churned by {found.as_of}.")
    table = Table(title="How well each score ranks accounts by churn (AUC: 0.5 is chance, "
                  "1.0 perfect)", title_justify="left")
    for name in ("profile", "accounts fitted", "churned", "configured", "learned", "note"):
        table.add_column(name, justify="left" if name in ("profile", "note") else "right")
    for p in found.profiles:
        table.add_row(p.profile, f"{p.accounts:,}", f"{p.churned:,}", _auc(p.configured_auc),
                      _auc(p.learned_auc), p.note)
    table.add_row("[bold]all[/]", "", f"{found.churned:,}", _auc(found.configured_auc),
                  f"{_auc(found.suggested_auc)} (suggested config)", "")
    con.print(table)
    for p in found.profiles:
        if not p.shares_suggested:
            continue
        shares = Table(title=f"Profile {p.profile}: share of the score per measure",
                       title_justify="left")
        for name in ("measure", "configured", "suggested", "learned weight"):
            shares.add_column(name, justify="left" if name == "measure" else "right")
        for measure, now in p.shares_now.items():
            learned = p.learned.weight(measure) if p.learned else None
            flag = "" if learned is None or learned > 1e-6 else " (no measurable effect)"
            shares.add_row(measure, _share(now), _share(p.shares_suggested.get(measure)),
                           ("-" if learned is None else f"{learned:.2f}") + flag)
        con.print(shares)
    diff = found.diff()
    if not diff:
        con.print("No change to suggest.")
        return
    con.print("[bold]Suggested change to the health config[/] (review it; scores change "
              "only once you use it):")
    con.print(diff, markup=False, highlight=False)
    if write is not None:
        if write.resolve() == Path(found.source).resolve():
            raise ConfigError("--write would overwrite the config in use",
                              hint="Write to another file, review it, then point "
                                   "[health] config at it.")
        write.parent.mkdir(parents=True, exist_ok=True)
        write.write_text(found.after, encoding="utf-8")
        con.print(f"Wrote {write}; use it with [health] config = \"{write}\" in "
                  "successlink.toml.")
