"""`successlink train`: fit, backtest and save the churn-risk model."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from successlink.cli.context import AppContext
from successlink.cli.score import parse_day
from successlink.models.churn import registry, training
from successlink.models.churn.backtest import Backtest
from successlink.models.churn.dataset import metrics_at, status_at
from successlink.models.churn.evaluation import Scores
from successlink.models.churn.labels import first_subscription_day
from successlink.models.churn.training import Trained, training_plan
from successlink.scores.rollups import ensure_rollups
from successlink.scores.run import inputs
from successlink.warehouse.tables import CANONICAL_TABLES


def _f(value: float, digits: int = 3) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def _cells(s: Scores | None) -> list[str]:
    if s is None:
        return ["–"] * 5
    return [_f(s.auc), _f(s.pr_auc), _f(s.brier, 4), _f(s.lift_top_decile, 2), _f(s.ece)]


def backtest_table(backtest: Backtest, horizon_days: int) -> Table:
    """Origin by origin: the calibrated booster against the logistic baseline."""
    table = Table(title=f"Backtest: churn within {horizon_days} days, each origin scored by "
                        "a model trained only on earlier, closed windows", title_justify="left")
    for name, justify in (("origin", "left"), ("accounts", "right"), ("churned", "right"),
                          ("model", "left"), ("AUC", "right"), ("PR-AUC", "right"),
                          ("Brier", "right"), ("lift@10%", "right"), ("ECE", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for fold in backtest.folds:
        if fold.skipped or fold.booster is None:
            table.add_row(fold.origin.isoformat(), "", "", "skipped", fold.skipped or "")
            continue
        head = [fold.origin.isoformat(), f"{fold.booster.rows:,}",
                f"{fold.booster.positives:,}"]
        table.add_row(*head, "booster", *_cells(fold.booster))
        table.add_row("", "", "", "baseline", *_cells(fold.baseline), end_section=True)
    if backtest.pooled is not None:
        pooled = backtest.pooled
        table.add_row("all", f"{pooled.rows:,}", f"{pooled.positives:,}", "booster",
                      *_cells(pooled))
        table.add_row("", "", "", "baseline", *_cells(backtest.pooled_baseline))
    return table


def calibration_table(scores: Scores) -> Table:
    table = Table(title="Calibration of the booster over every backtest origin "
                        "(equal-frequency bins)", title_justify="left")
    for name in ("bin", "accounts", "predicted", "observed"):
        table.add_column(name, justify="right")
    for i, b in enumerate(scores.curve, start=1):
        table.add_row(str(i), f"{b.rows:,}", f"{b.mean_predicted:.1%}", f"{b.observed:.1%}")
    return table


def train_with_progress(state: AppContext, data_end: date) -> Trained:
    """Build the origins, backtest and fit, with one progress bar for the whole run."""
    wh, settings = state.warehouse, state.settings
    for spec in CANONICAL_TABLES:
        wh.ensure(spec)
    ensure_rollups(wh)
    inp = inputs(wh)
    churn = settings.churn
    first = first_subscription_day(inp["subscriptions"])
    the_plan = training_plan(first, data_end, churn)
    assert first is not None  # training_plan refused otherwise
    total = len(the_plan.needed) + len(the_plan.evaluation) + 1
    columns = (TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("{task.fields[step]}"), TimeElapsedColumn())
    with Progress(*columns, console=state.console, transient=True) as bar:
        task = bar.add_task(f"Training the churn model on data to {data_end}", total=total,
                            step="")
        labels = {"origin": "account metrics as of", "backtest": "backtest origin",
                  "final": "final model, data to"}

        def advance(step: str, day: date) -> None:
            bar.update(task, advance=1, step=f"{labels[step]} {day}")

        trained = training.train(the_plan, metrics_at(inp, settings.metrics), status_at(inp),
                        first_day=first, data_end=data_end, settings=churn, progress=advance)
    return trained


def train(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Last day of data to learn from (YYYY-MM-DD, UTC); default "
                        "yesterday.")] = None,
) -> None:
    """Train the churn-risk model: a rolling-origin backtest (booster vs logistic baseline),
    then a calibrated model on the newest origins, saved as a new version that `score` uses.
    """
    state: AppContext = ctx.obj
    data_end = parse_day(as_of)
    trained = train_with_progress(state, data_end)
    state.console.print(backtest_table(trained.backtest, state.settings.churn.horizon_days))
    if trained.backtest.pooled is not None:
        state.console.print(calibration_table(trained.backtest.pooled))
    version = registry.save(state.settings.workspace, trained.model, trained.meta)
    meta = trained.meta
    state.console.print(
        f"Saved churn model [bold]{version}[/] to "
        f"{registry.root(state.settings.workspace) / version}: {meta['rows']:,} account-origins "
        f"({meta['churners']:,} churned) from {meta['origins'][0]} to {meta['origins'][-1]}, "
        f"calibrated on {meta['calibration_origin']}. `successlink score` uses it for days "
        f"from {data_end} on.")

