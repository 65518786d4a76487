"""`successlink plans apply`: validate commission plans and store new versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.program.books import load_plans, save_plan
from successlink.program.plans import load_plan
from successlink.store.connect import open_store
from successlink.timeline import utc_now

app = typer.Typer(help="Commission plans: validate and store versions.", no_args_is_help=True)


@app.command("apply")
def apply(
    ctx: typer.Context,
    files: Annotated[list[Path] | None, typer.Argument(
        help="Plan TOML files (docs/program.md). Default: every *.toml in [program] "
             "plans_dir.")] = None,
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
