"""`successlink serve`: the ASGI service (tracked redirects, Stripe webhooks) on uvicorn."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.config import Settings
from successlink.errors import ConfigError
from successlink.program.books import load_plans
from successlink.program.terms_store import load_terms
from successlink.store.connect import open_store
from successlink.store.migrate import current_revision, head_revision
from successlink.web.app import ServiceConfig, create_app


def service_config(settings: Settings, engine: Engine) -> ServiceConfig:
    """The service's settings: the program's terms (the program row in the app store when
    there is one, else the [program] section of the workspace settings)."""
    if current_revision(engine) != head_revision():
        raise ConfigError("the app store is not at the newest schema",
                          hint="Run `successlink db upgrade` first.")
    program = settings.program
    with Session(engine) as s:
        terms = load_terms(s, program)
        plans = load_plans(s)
    if not terms.fallback_url:
        raise ConfigError("no fallback URL for unknown links",
                          hint="Set it with `successlink program set fallback_url URL` (your "
                               "home page), or fallback_url in the program section of "
                               "successlink.toml.")
    return ServiceConfig(
        engine=engine, plans=plans, fallback_url=terms.fallback_url,
        allowed_domains=terms.domains, cookie_days=terms.cookie_days,
        webhook_secrets=program.stripe_webhook_secrets,
        webhook_tolerance_seconds=program.webhook_tolerance_seconds or None,
        settle_delay=timedelta(minutes=program.settle_delay_minutes),
        default_plan=terms.default_plan,
        affiliate_key=settings.ingest.affiliate_metadata_key)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the service: /r/CODE redirects and POST /webhooks/stripe."""
    import uvicorn

    state: AppContext = ctx.obj
    engine = open_store(state.settings.app_store_url)
    config = service_config(state.settings, engine)
    if not config.webhook_secrets:
        state.err.print("warning: no Stripe webhook secret is set, so webhooks are refused; "
                        "set SUCCESSLINK_PROGRAM__STRIPE_WEBHOOK_SECRETS.")
    state.console.print(f"Serving on http://{host}:{port} (app store "
                        f"{engine.url.render_as_string(hide_password=True)})")
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")
