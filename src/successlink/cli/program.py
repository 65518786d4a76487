"""`successlink program show|set|apply`: the program's settings in the app store."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.program.terms import ProgramTerms, described, with_setting, with_settings
from successlink.program.terms_store import load_terms, save_terms, stored_terms
from successlink.store.connect import open_store
from successlink.timeline import utc_now

app = typer.Typer(help="Program settings: cookie window, attribution, hold, payout minimum, "
                  "destinations, fraud thresholds.", no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Every program setting in force, and where it comes from."""
    state: AppContext = ctx.obj
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s:
            stored = stored_terms(s)
            terms = stored or load_terms(s, state.settings.program)
    finally:
        engine.dispose()
    source = ("the app store (program_settings)" if stored is not None else
              "successlink.toml [program] and defaults: no setting stored yet")
    grid = Table("setting", "value", "meaning", title=escape(f"Program settings, from {source}"),
                 title_justify="left")
    for key, value, meaning in described(terms):
        grid.add_row(key, value, meaning)
    state.console.print(grid)


def _write(state: AppContext, change: Callable[[ProgramTerms], ProgramTerms]) -> ProgramTerms:
    """Apply `change` to the terms in force and store the result (all or nothing)."""
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s, s.begin():
            terms = change(load_terms(s, state.settings.program))
            save_terms(s, terms, utc_now())
            return terms
    finally:
        engine.dispose()


@app.command("set")
def set_command(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Setting (see `program show`), e.g. hold_days "
                                       "or fraud.flood_clicks.")],
    value: Annotated[str, typer.Argument(help="New value; lists are comma-separated.")],
) -> None:
    """Change one program setting (the first change stores every setting in force)."""
    state: AppContext = ctx.obj
    terms = _write(state, lambda t: with_setting(t, key, value))
    shown = dict((k, v) for k, v, _ in described(terms))
    name = key.strip().lower().replace("-", "_")
    state.console.print(f"program {name} = {shown[name] or '(empty)'}", highlight=False)


@app.command("apply")
def apply(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A program.toml: top-level settings and an "
                                         "optional [fraud] table (docs/program.md).")],
) -> None:
    """Set every setting a program.toml names; the others keep their values."""
    state: AppContext = ctx.obj
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}",
                          hint="Write TOML, e.g. hold_days = 30.") from exc
    try:
        _write(state, lambda t: with_settings(t, values))
    except ConfigError as exc:  # nothing was stored: the transaction rolled back
        raise ConfigError(exc.message, where=str(path), hint=exc.hint) from exc
    state.console.print(f"Applied {path}. See `successlink program show`.")
