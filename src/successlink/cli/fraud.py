"""`successlink fraud list|review`: held referrals and the decisions on them."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.program.reviews import review_flag
from successlink.store.connect import open_store
from successlink.store.fraud import FraudFlag
from successlink.timeline import utc_now

app = typer.Typer(help="Fraud flags: referrals held for review.", no_args_is_help=True)


@app.command("list")
def list_flags(
    ctx: typer.Context,
    all_flags: Annotated[bool, typer.Option("--all", help="Reviewed flags too.")] = False,
) -> None:
    """Open flags (their referrals' commissions are held out of payouts)."""
    state: AppContext = ctx.obj
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s:
            query = select(FraudFlag).order_by(FraudFlag.id)
            if not all_flags:
                query = query.where(FraudFlag.status == "open")
            rows = s.scalars(query).all()
    finally:
        engine.dispose()
    grid = Table("id", "affiliate", "kind", "referral", "why", "status", "raised")
    for f in rows:
        grid.add_row(str(f.id), f.affiliate_id, f.kind, f.subject,
                     str(f.details.get("sentence", "")), f.status, f"{f.created_at:%Y-%m-%d}")
    state.console.print(grid)


@app.command("review")
def review(
    ctx: typer.Context,
    flag: Annotated[int, typer.Argument(help="Flag id (see `fraud list`).")],
    reason: Annotated[str, typer.Option(help="Why; the affiliate is shown it.")],
    approve: Annotated[bool, typer.Option("--approve", help="Lift the hold.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reverse the referral's "
                                         "commissions.")] = False,
    reviewer: Annotated[str | None, typer.Option(help="Who decided (default: you).")] = None,
) -> None:
    """Approve or reject a flagged referral, with a reason the affiliate can see."""
    state: AppContext = ctx.obj
    if approve == reject:
        raise ConfigError("choose one of --approve or --reject")
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s, s.begin():
            row = review_flag(s, flag, approve=approve, reason=reason,
                              reviewer=reviewer or getpass.getuser(), now=utc_now())
            status = row.status
    finally:
        engine.dispose()
    after = "its hold is lifted" if approve else ("its commissions are reversed at the next "
                                                  "`successlink ledger settle`")
    state.console.print(f"flag {flag} {status}: {after}.")
