"""`successlink keys create|list|revoke`: API keys (stored hashed; shown once)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.store.affiliates import Affiliate, ApiKey
from successlink.store.connect import open_store
from successlink.timeline import utc_now
from successlink.web.security import issue_key

app = typer.Typer(help="API keys for the service: admin, or one affiliate's.",
                  no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    affiliate: Annotated[str | None, typer.Option(
        help="Scope the key to this affiliate (it then sees only its own data).")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="An admin key.")] = False,
    label: Annotated[str | None, typer.Option(help="A note to tell keys apart.")] = None,
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    state: AppContext = ctx.obj
    if admin == (affiliate is not None):
        raise ConfigError("choose one of --admin or --affiliate ID")
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s, s.begin():
            if affiliate is not None and s.get(Affiliate, affiliate) is None:
                raise ConfigError(f"there is no affiliate {affiliate!r}")
            key = issue_key(s, scope="admin" if admin else "affiliate", affiliate_id=affiliate,
                            label=label, now=utc_now())
    finally:
        engine.dispose()
    state.console.print(key, highlight=False)
    state.err.print("Keep it now: it is stored only as a hash and cannot be shown again.")


@app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """Keys by prefix, scope and state (never the keys themselves)."""
    state: AppContext = ctx.obj
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s:
            rows = s.scalars(select(ApiKey).order_by(ApiKey.id)).all()
    finally:
        engine.dispose()
    grid = Table("id", "prefix", "scope", "affiliate", "label", "created", "revoked")
    for k in rows:
        grid.add_row(str(k.id), k.prefix + "…", k.scope, k.affiliate_id or "", k.label or "",
                     f"{k.created_at:%Y-%m-%d}",
                     f"{k.revoked_at:%Y-%m-%d}" if k.revoked_at else "")
    state.console.print(grid)


@app.command("revoke")
def revoke(ctx: typer.Context,
           key_id: Annotated[int, typer.Argument(help="Key id (see `keys list`).")]) -> None:
    """Stop a key working."""
    state: AppContext = ctx.obj
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s, s.begin():
            row = s.get(ApiKey, key_id)
            if row is None:
                raise ConfigError(f"there is no key {key_id}", hint="See `successlink keys "
                                  "list`.")
            row.revoked_at = row.revoked_at or utc_now()
    finally:
        engine.dispose()
    state.console.print(f"key {key_id} revoked.")
