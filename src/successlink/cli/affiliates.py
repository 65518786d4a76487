"""`successlink affiliates add|list|suspend` and `successlink links create`."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.program.terms_store import load_terms
from successlink.store.affiliates import AFFILIATE_STATUSES, PAYOUT_METHODS, Affiliate
from successlink.store.connect import open_store
from successlink.store.tracking import Link
from successlink.timeline import utc_now
from successlink.web.redirects import allowed

affiliates_app = typer.Typer(help="Affiliates: add, list, suspend.", no_args_is_help=True)
links_app = typer.Typer(help="Tracked links.", no_args_is_help=True)
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@contextmanager
def _session(state: AppContext) -> Iterator[Session]:
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


@affiliates_app.command("add")
def add(
    ctx: typer.Context,
    affiliate_id: Annotated[str, typer.Argument(help="Id (letters, digits, _ . -); the same "
                                                "id as Stripe metadata `affiliate`.")],
    email: Annotated[str, typer.Option(help="The affiliate's e-mail.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the id).")] = None,
    plan: Annotated[str | None, typer.Option(help="Commission plan id.")] = None,
    payout_method: Annotated[str, typer.Option(help="paypal, wise or manual.")] = "paypal",
    account: Annotated[str | None, typer.Option(
        help="The customer account this affiliate is (customer-advocates).")] = None,
    status: Annotated[str, typer.Option(help="invited, pending or active.")] = "active",
) -> None:
    """Add an affiliate."""
    state: AppContext = ctx.obj
    if not _ID.match(affiliate_id):
        raise ConfigError(f"affiliate id {affiliate_id!r} is not valid",
                          hint="Use 1-64 letters, digits, _ . or -.")
    if payout_method not in PAYOUT_METHODS or status not in AFFILIATE_STATUSES[:3]:
        raise ConfigError(f"choose a payout method of {', '.join(PAYOUT_METHODS)} and a status "
                          "of invited, pending or active")
    if "@" not in email:
        raise ConfigError(f"{email!r} is not an e-mail address")
    try:
        with _session(state) as s:
            s.add(Affiliate(id=affiliate_id, name=name or affiliate_id,
                            email=email.strip().lower(), status=status, group_name=None,
                            quality_tier=None, quality_tier_as_of=None, plan_id=plan,
                            payout_method=payout_method,
                            payout_details={"email": email.strip().lower()},
                            account_id=account, created_at=utc_now()))
    except IntegrityError as exc:
        raise ConfigError(f"an affiliate with id {affiliate_id!r} or e-mail {email!r} "
                          "already exists", hint="See `successlink affiliates list`.") from exc
    state.console.print(f"Added affiliate {affiliate_id} ({status}).")


@affiliates_app.command("list")
def list_affiliates(ctx: typer.Context) -> None:
    """Every affiliate with status, tier, plan and payout method."""
    state: AppContext = ctx.obj
    with _session(state) as s:
        rows = [(a.id, a.name, a.email, a.status, a.quality_tier or "", a.plan_id or "",
                 a.payout_method) for a in s.scalars(select(Affiliate).order_by(Affiliate.id))]
    grid = Table("id", "name", "e-mail", "status", "tier", "plan", "payout")
    for row in rows:
        grid.add_row(*row)
    state.console.print(grid)


@affiliates_app.command("suspend")
def suspend(
    ctx: typer.Context,
    affiliate_id: Annotated[str, typer.Argument(help="Affiliate id.")],
    ban: Annotated[bool, typer.Option("--ban", help="Ban instead of suspending.")] = False,
) -> None:
    """Stop an affiliate's links (visitors go to the fallback) and hold its payouts."""
    state: AppContext = ctx.obj
    with _session(state) as s:
        affiliate = s.get(Affiliate, affiliate_id)
        if affiliate is None:
            raise ConfigError(f"there is no affiliate {affiliate_id!r}")
        affiliate.status = "banned" if ban else "suspended"
        status = affiliate.status
    state.console.print(f"Affiliate {affiliate_id} is {status}: its links go to the fallback "
                        "URL and its payouts are held.")


@links_app.command("create")
def create_link(
    ctx: typer.Context,
    affiliate_id: Annotated[str, typer.Argument(help="Affiliate id.")],
    destination: Annotated[str, typer.Argument(help="Where the link goes (an allowed domain).")],
    code: Annotated[str | None, typer.Option(help="Short code (default: random).")] = None,
    utm_source: Annotated[str | None, typer.Option()] = None,
    utm_medium: Annotated[str | None, typer.Option()] = None,
    utm_campaign: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a tracked link: /r/CODE redirects to DESTINATION and records the click."""
    state: AppContext = ctx.obj
    with _session(state) as s:
        domains = load_terms(s, state.settings.program).domains
    if not allowed(destination, domains):
        listed = ", ".join(domains) or "none set"
        raise ConfigError(f"{destination!r} is not on an allowed domain ({listed})",
                          hint="Add its domain with `successlink program set allowed_domains "
                               "a.com,b.com` (or allowed_domains in the program section of "
                               "successlink.toml); links never redirect elsewhere.")
    code = code or secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
    if not _CODE.match(code):
        raise ConfigError(f"code {code!r} is not valid", hint="Use 1-64 letters, digits, _ or -.")
    try:
        with _session(state) as s:
            if s.get(Affiliate, affiliate_id) is None:
                raise ConfigError(f"there is no affiliate {affiliate_id!r}")
            s.add(Link(code=code, affiliate_id=affiliate_id, destination=destination,
                       utm_source=utm_source, utm_medium=utm_medium, utm_campaign=utm_campaign,
                       disabled=False, created_at=utc_now()))
    except IntegrityError as exc:
        raise ConfigError(f"the code {code!r} is taken", hint="Pick another --code.") from exc
    state.console.print(f"Link /r/{code} -> {destination} for {affiliate_id}")
