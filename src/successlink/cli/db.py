"""`successlink db upgrade|status`: create or migrate the app store."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.store.connect import open_store
from successlink.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="The app store (affiliates, clicks, ledger, payouts): migrations.",
                  no_args_is_help=True)


def _redacted(url: str) -> str:
    """The URL without its password, for printing."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.partition(":")[0]
    return f"{scheme}://{user}@{tail}"


@app.command("upgrade")
def upgrade_command(
    ctx: typer.Context,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create the app store or bring it to the newest schema (safe to run again)."""
    state: AppContext = ctx.obj
    url = state.settings.app_store_url
    if url.startswith("sqlite:///"):
        state.settings.workspace.mkdir(parents=True, exist_ok=True)
    engine = open_store(url)
    try:
        before = current_revision(engine)
        after = upgrade(engine, revision)
    except OperationalError as exc:
        raise ConfigError(f"cannot migrate the app store at {_redacted(url)}: {exc.orig}",
                          hint="Check that the database exists and the user may create "
                               "tables.") from exc
    finally:
        engine.dispose()
    if before == after:
        state.console.print(f"App store {_redacted(url)} is up to date (revision {after}).")
    else:
        state.console.print(f"App store {_redacted(url)} upgraded from {before or 'empty'} "
                            f"to revision {after}.")


@app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Show the app store's URL and schema revision."""
    state: AppContext = ctx.obj
    url = state.settings.app_store_url
    engine = open_store(url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state.console.print(f"App store {_redacted(url)}: revision {current or 'none'} "
                        f"(newest {head}).")
    if current != head:
        state.console.print("Run [bold]successlink db upgrade[/] to migrate it.")
