"""`successlink drivers`: what successful customers have in common.

Prints churn and expansion by decile of each behavioural metric (one line per group of
metrics that say the same thing), the onboarding milestones that separate accounts that
stay from those that leave, and how each channel and large affiliate does on them.
"""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from successlink.cli.context import AppContext
from successlink.cli.score import parse_day
from successlink.errors import ConfigError
from successlink.models.drivers.deciles import MetricDeciles, Rate
from successlink.models.drivers.milestones import MilestoneEffect
from successlink.models.drivers.study import DriverStudy, study_drivers
from successlink.scores.rollups import ensure_rollups
from successlink.scores.run import ACCOUNT_METRICS, inputs
from successlink.scores.snapshots import snapshot_days
from successlink.warehouse.tables import CANONICAL_TABLES


def _pct(rate: float) -> str:
    return "-" if math.isnan(rate) else f"{rate:.0%}"


def _rate(r: Rate) -> str:
    if r.accounts == 0:
        return "-"
    return f"{r.rate:.0%} [dim]({r.low:.0%}-{r.high:.0%}, n={r.accounts:,})[/]"


def _points(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 100:+.0f} pts"


def _difference(e: MilestoneEffect) -> str:
    if math.isnan(e.difference):
        return "-"
    return f"{_points(e.difference)} [dim]({e.low * 100:+.0f} to {e.high * 100:+.0f})[/]"


def _strip(d: MetricDeciles) -> str:
    """Churn by bin, lowest values first: the shape of the relationship at a glance."""
    return " ".join(_pct(b.churn.rate) for b in d.bins)


def print_behaviour(console: Console, s: DriverStudy, *, detail: int) -> None:
    """One row per group of correlated metrics, then the deciles of the strongest ones."""
    console.print(f"[bold]Behaviour[/]: {s.churn.accounts:,} customers on {s.origin}; by "
                  f"{s.as_of} {_rate(s.churn)} had churned and {_rate(s.expansion)} expanded.")
    table = Table(title="Metrics that move with churn (one row per group of metrics that "
                  "say the same thing)", title_justify="left")
    for name in ("metric", "same story as", "rank corr.", "churn by bin, low to high",
                 "not measured"):
        table.add_column(name, justify="right" if name == "rank corr." else "left")
    shown: set[str] = set()
    for d in s.metrics:
        if d.metric in shown:
            continue
        group = s.group_of(d.metric)
        shown.update(group)
        others = ", ".join(m for m in group if m != d.metric)
        rho = "-" if math.isnan(d.churn_correlation) else f"{d.churn_correlation:+.2f}"
        missing = "" if d.missing is None else _rate(d.missing.churn)
        table.add_row(d.metric, others, rho, _strip(d), missing)
    console.print(table)
    for d in [m for m in s.metrics if not math.isnan(m.churn_correlation)][:detail]:
        bins = Table(title=f"{d.metric} by decile", title_justify="left")
        for name in ("value", "accounts", "churned", "expanded"):
            bins.add_column(name, justify="left" if name == "value" else "right")
        for b in (*d.bins, *((d.missing,) if d.missing else ())):
            bins.add_row(b.label, f"{b.accounts:,}", _rate(b.churn), _rate(b.expansion))
        console.print(bins)


def print_milestones(console: Console, s: DriverStudy, *, limit: int) -> None:
    """Milestones ranked by the lower end of their retention difference."""
    console.print(f"\n[bold]Onboarding[/]: {s.onboarded.accounts:,} accounts whose first "
                  f"{s.onboarding_days} days ended by {s.origin}; {_rate(s.onboarded)} were "
                  f"still customers {s.horizon_days} days later.")
    table = Table(title="Milestones that separate accounts that stay (associations, not "
                  "proof of cause)", title_justify="left")
    for name in ("milestone", "reached by", "stayed if reached", "stayed if not",
                 "difference (95%)"):
        table.add_column(name, justify="left" if name == "milestone" else "right")
    for e in s.milestones[:limit]:
        table.add_row(e.milestone.label, _pct(e.reach_share), _rate(e.reached),
                      _rate(e.not_reached), _difference(e))
    console.print(table)
    if not s.sources:
        return
    by = Table(title="By source: how often its accounts reach the strongest milestones",
               title_justify="left")
    by.add_column("source")
    by.add_column("stayed", justify="right")
    for e in s.milestones[:len(s.sources[0].effects)]:
        by.add_column(e.milestone.label, justify="right")
    for src in s.sources:
        cells = [f"{_pct(e.reach_share)} reach, {_points(e.difference)}" for e in src.effects]
        by.add_row(f"{src.kind} {src.source}", _rate(src.retained), *cells)
    console.print(by)


def write_csvs(folder: Path, s: DriverStudy) -> list[Path]:
    """deciles.csv, milestones.csv and sources.csv in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    deciles = folder / "driver_deciles.csv"
    with deciles.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["metric", "group", "rank_correlation", "low", "high", "accounts",
                    "churned", "churn_rate", "churn_low", "churn_high", "expanded",
                    "expansion_rate", "expansion_low", "expansion_high"])
        for d in s.metrics:
            group = ";".join(s.group_of(d.metric))
            for b in (*d.bins, *((d.missing,) if d.missing else ())):
                w.writerow([d.metric, group, d.churn_correlation, b.low, b.high, b.accounts,
                            b.churn.events, b.churn.rate, b.churn.low, b.churn.high,
                            b.expansion.events, b.expansion.rate, b.expansion.low,
                            b.expansion.high])
    milestones = folder / "driver_milestones.csv"
    sources = folder / "driver_sources.csv"
    header = ["milestone", "label", "reached", "reached_retained", "not_reached",
              "not_reached_retained", "difference", "difference_low", "difference_high"]
    with milestones.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(header)
        for e in s.milestones:
            w.writerow(_effect_row(e))
    with sources.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["source_kind", "source", "accounts", "retained", *header])
        for src in s.sources:
            for e in src.effects:
                w.writerow([src.kind, src.source, src.retained.accounts, src.retained.events,
                            *_effect_row(e)])
    return [deciles, milestones, sources]


def _effect_row(e: MilestoneEffect) -> list[object]:
    return [e.milestone.key, e.milestone.label, e.reached.accounts, e.reached.events,
            e.not_reached.accounts, e.not_reached.events, e.difference, e.low, e.high]


def study_with_progress(state: AppContext, day: date, *, horizon_days: int = 90,
                        onboarding_days: int = 30, min_source_accounts: int = 30
                        ) -> DriverStudy:
    """Run the drivers study as of `day` behind a spinner."""
    wh = state.warehouse
    columns = (SpinnerColumn(), TextColumn("[bold]Drivers[/] {task.description}"),
               TimeElapsedColumn())
    with Progress(*columns, console=state.console, transient=True) as bar:
        task = bar.add_task("usage rollups")
        for spec in CANONICAL_TABLES:  # a source never loaded is an empty table
            wh.ensure(spec)
        ensure_rollups(wh)
        return study_drivers(inputs(wh), state.settings.metrics, as_of=day,
                             horizon_days=horizon_days, onboarding_days=onboarding_days,
                             min_source_accounts=min_source_accounts,
                             progress=lambda step: bar.update(task, description=step))


def _default_day(state: AppContext) -> date:
    """The latest scored day (what the report shows), else yesterday."""
    days = snapshot_days(state.warehouse, ACCOUNT_METRICS)
    return max(days) if days else parse_day(None)


def drivers(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        help="Judge outcomes up to this day (YYYY-MM-DD); default the latest scored day.")]
        = None,
    horizon: Annotated[int, typer.Option(
        help="Days over which churn and expansion are observed.")] = 90,
    onboarding_days: Annotated[int, typer.Option(
        help="Length of the onboarding window, in days from the first subscription start.")]
        = 30,
    limit: Annotated[int, typer.Option(help="Milestones to list.")] = 12,
    detail: Annotated[int, typer.Option(
        help="Metrics whose deciles are printed in full.")] = 3,
    min_source_accounts: Annotated[int, typer.Option(
        help="Smallest channel or affiliate (onboarded accounts) shown by source.")] = 30,
    csv_dir: Annotated[Path | None, typer.Option(
        "--csv", help="Also write driver_deciles.csv, driver_milestones.csv and "
                      "driver_sources.csv into this folder.")] = None,
) -> None:
    """What successful customers have in common: behaviours and onboarding milestones."""
    state: AppContext = ctx.obj
    if horizon < 1 or onboarding_days < 1:
        raise ConfigError("--horizon and --onboarding-days must be at least 1 day",
                          hint="e.g. --horizon 90 --onboarding-days 30")
    day = parse_day(as_of) if as_of else _default_day(state)
    study = study_with_progress(state, day, horizon_days=horizon,
                                onboarding_days=onboarding_days,
                                min_source_accounts=min_source_accounts)
    if study.churn.accounts == 0:
        raise ConfigError(f"no customers on {study.origin} to study",
                          hint="Load more history, or pass a later --as-of or a shorter "
                               "--horizon.")
    print_behaviour(state.console, study, detail=detail)
    print_milestones(state.console, study, limit=limit)
    if csv_dir is not None:
        for path in write_csvs(csv_dir, study):
            state.console.print(f"Wrote {path}")
