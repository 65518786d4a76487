"""`successlink score`: materialise metrics, health and scorecards as of a day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.scores.run import ACCOUNT_HEALTH, STEPS, TREND_DAYS, ScoreReport, run_score
from successlink.scores.snapshots import snapshot_days
from successlink.timeline import utc_now


def parse_day(value: str | None, *, option: str = "--as-of") -> date:
    """A YYYY-MM-DD option, default yesterday (UTC): today is not over yet."""
    if value is None:
        return utc_now().date() - timedelta(days=1)
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ConfigError(f"{option} {value!r} is not a date",
                          hint="Write it as YYYY-MM-DD, e.g. 2026-06-30.") from exc


def score_with_progress(state: AppContext, as_of: date) -> ScoreReport:
    """Run the score with one progress bar step per stage."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("{task.fields[step]}"), TimeElapsedColumn())
    with Progress(*columns, console=state.console, transient=True) as bar:
        task = bar.add_task(f"Scoring as of {as_of}", total=len(STEPS), step="")

        def advance(step: str) -> None:
            done = STEPS.index(step)
            bar.update(task, completed=done, step=step)

        report = run_score(state.warehouse, state.settings, as_of, advance)
        bar.update(task, completed=len(STEPS))
    return report


def print_score_report(state: AppContext, report: ScoreReport) -> None:
    """What was stored."""
    table = Table(title=f"Scored as of {report.as_of}", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    state.console.print(table)
    state.console.print(f"Program logo churn: {report.monthly_churn_rate:.2%} a month "
                        "(used for expected lifetimes in LTV).")


def score_day_and_trend(state: AppContext, day: date, *, trend: bool = True) -> ScoreReport:
    """Score `day`, and the day 30 days earlier if it was never scored (health trends)."""
    report = score_with_progress(state, day)
    earlier = day - timedelta(days=TREND_DAYS)
    if trend and earlier not in snapshot_days(state.warehouse, ACCOUNT_HEALTH):
        state.console.print(f"Also scoring {earlier}, for the 30-day trends.")
        score_with_progress(state, earlier)
    return report


def score(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Score as of this day (YYYY-MM-DD, UTC); default yesterday.")] = None,
    trend: Annotated[bool, typer.Option(
        help="Also score 30 days earlier when that day has no scores yet.")] = True,
) -> None:
    """Compute account metrics, health scores and affiliate/channel scorecards as of a day.

    Each day's results are kept (one snapshot per as-of day); re-running a day replaces it.
    """
    state: AppContext = ctx.obj
    report = score_day_and_trend(state, parse_day(as_of), trend=trend)
    print_score_report(state, report)
    from successlink.cli.sync import sync_after_score  # sync imports parse_day from here

    sync_after_score(state, report.as_of)
