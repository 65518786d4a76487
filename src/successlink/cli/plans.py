"""`successlink plans apply`: validate commission plans and store new versions."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.money import Money
from successlink.program.books import load_plans, referral_facts, save_plan
from successlink.program.plans import load_plan
from successlink.program.simulate import Change, Outcome, changes, simulate
from successlink.store.connect import open_store
from successlink.timeline import utc_now

app = typer.Typer(help="Commission plans: validate and store versions.", no_args_is_help=True)


@app.command("apply")
def apply(
    ctx: typer.Context,
    files: Annotated[list[Path] | None, typer.Argument(
        help="Plan TOML files (docs/program.md). Default: every *.toml in "
             "program.plans_dir.")] = None,
) -> None:
    """Validate plans and store each new version (a stored version never changes)."""
    state: AppContext = ctx.obj
    if not files:
        folder = state.settings.workspace / state.settings.program.plans_dir
        files = sorted(folder.glob("*.toml"))
        if not files:
            raise ConfigError(f"no plan files in {folder}",
                              hint="Write one (docs/program.md has a full example) or pass "
                                   "the files to apply.")
    plans = [(path, load_plan(path)) for path in files]  # all valid before any is stored
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s, s.begin():
            for path, plan in plans:
                added = save_plan(s, plan, path.read_text(encoding="utf-8"), utc_now())
                verb = "stored" if added else "already stored"
                state.console.print(f"{plan.id} v{plan.version} ({plan.name}): {verb}")
    finally:
        engine.dispose()


@app.command("list")
def list_plans(ctx: typer.Context) -> None:
    """Every stored plan version and when it takes effect."""
    state: AppContext = ctx.obj
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s:
            plans = load_plans(s)
    finally:
        engine.dispose()
    grid = Table("plan", "version", "name", "effective from", "rules")
    for plan in plans:
        grid.add_row(plan.id, str(plan.version), plan.name,
                     f"{plan.effective_from:%Y-%m-%d %H:%M} UTC", str(len(plan.rules)))
    state.console.print(grid)


@app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Candidate plan TOML files.")],
    since: Annotated[str | None, typer.Option(
        help="Only sales paid on or after this day (YYYY-MM-DD).")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Also write every row "
                                                  "to this CSV file.")] = None,
) -> None:
    """Replay the referred accounts through candidate plans: cost, net value and ROI per
    affiliate, and who wins and loses against the plans in force."""
    state: AppContext = ctx.obj
    candidates = [load_plan(path) for path in files]
    start = None
    if since is not None:
        try:
            start = datetime.combine(date.fromisoformat(since), time(), tzinfo=UTC)
        except ValueError as exc:
            raise ConfigError(f"--since {since!r} is not a date (YYYY-MM-DD)") from exc
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s:
            accounts = referral_facts(s, state.settings.program.default_plan, start)
            current = load_plans(s)
    finally:
        engine.dispose()
    outcomes = simulate(accounts, current, candidates, utc_now())
    _print_outcomes(state, outcomes)
    _print_changes(state, changes(outcomes))
    if csv_path is not None:
        _write_csv(csv_path, outcomes)
        state.console.print(f"Wrote {csv_path}")


def _money(minor: int, currency: str) -> str:
    return Money(minor, currency).format()


def _print_outcomes(state: AppContext, outcomes: list[Outcome]) -> None:
    grid = Table("plan", "affiliate", "accounts", "revenue", "commission", "net value", "ROI",
                 title="Program cost and value per affiliate", title_justify="left")
    for o in outcomes:
        grid.add_row(o.plan, o.affiliate_id, str(o.accounts),
                     _money(o.revenue_minor, o.currency), _money(o.cost_minor, o.currency),
                     _money(o.net_minor, o.currency),
                     "" if o.roi is None else f"{o.roi:.1f}×")
    state.console.print(grid)


def _print_changes(state: AppContext, rows: list[Change]) -> None:
    grid = Table("plan", "affiliate", "current", "candidate", "change",
                 title="Who wins and who loses against the plans in force",
                 title_justify="left")
    for c in rows:
        share = "" if c.share is None else f" ({float(c.share):+.0%})"
        grid.add_row(c.plan, c.affiliate_id, _money(c.current_minor, c.currency),
                     _money(c.candidate_minor, c.currency),
                     _money(c.delta_minor, c.currency) + share)
    state.console.print(grid)


def _write_csv(path: Path, outcomes: list[Outcome]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["plan", "affiliate_id", "currency", "accounts", "revenue_minor",
                         "commission_minor", "net_minor", "roi"])
        for o in outcomes:
            writer.writerow([o.plan, o.affiliate_id, o.currency, o.accounts, o.revenue_minor,
                             o.cost_minor, o.net_minor,
                             "" if o.roi is None else f"{o.roi:.4f}"])
