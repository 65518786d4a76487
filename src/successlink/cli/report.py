"""`successlink report`: the key tables in the terminal and a self-contained HTML file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from successlink.cli.context import AppContext
from successlink.cli.drivers import study_with_progress
from successlink.cli.score import parse_day
from successlink.reports.data import choose_day, load_advocates, load_churn_model, load_report
from successlink.reports.html import write_html
from successlink.reports.terminal import report_tables


def default_path(state: AppContext, as_of: date) -> Path:
    """<workspace>/reports/report-<as_of>.html."""
    return state.settings.workspace / "reports" / f"report-{as_of.isoformat()}.html"


def report(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Report this scored day (YYYY-MM-DD); default the latest.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Where to write the HTML report; default "
                      "<workspace>/reports/report-<as-of>.html.")] = None,
    drivers: Annotated[bool, typer.Option(
        "--drivers/--no-drivers", help="Include the success drivers (`successlink drivers` "
                                       "with its defaults; takes a while on large data).")]
        = True,
) -> None:
    """Print the program's key tables and write an offline HTML report for one scored day.

    Reads what `successlink score` stored; run it first.
    """
    state: AppContext = ctx.obj
    wh, settings = state.warehouse, state.settings
    day, _ = choose_day(wh, parse_day(as_of) if as_of else None)
    data = load_report(wh, workspace=str(settings.workspace), currency=settings.metrics.currency,
                       as_of=day, advocates=load_advocates(wh, settings, day))
    study = study_with_progress(state, day) if drivers else None
    if study is not None and study.churn.accounts == 0:
        study = None  # no customers 90 days before the day: nothing to study yet
    data = replace(data, churn_model=load_churn_model(settings.workspace, day), drivers=study)
    for renderable in report_tables(data):
        state.console.print(renderable)
    path = write_html(data, out or default_path(state, day))
    state.console.print(f"Report written to [bold]{path}[/bold]", highlight=False)
