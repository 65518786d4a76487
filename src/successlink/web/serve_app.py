"""The served app, built from the workspace settings: `app_from_env` is the factory the
servers import in each worker process (granian and uvicorn need an importable target, and
each worker builds its own engine, link cache and group-commit writer).

    granian --interface rsgi --factory successlink.web.serve_app:rsgi_app_from_env
    granian --interface asgi --factory successlink.web.serve_app:app_from_env

The workspace is $SUCCESSLINK_WORKSPACE (or the current folder); every SUCCESSLINK_*
variable overrides its settings as usual (docs/configuration.md).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from successlink.config import Settings, load_settings
from successlink.errors import ConfigError
from successlink.program.program_state import starting_settings
from successlink.store.connect import open_store
from successlink.store.migrate import current_revision, head_revision
from successlink.web.app import ServiceConfig, create_app
from successlink.web.redirect_front import RedirectFront
from successlink.web.rsgi_service import RsgiService

TARGET = "successlink.web.serve_app:app_from_env"
RSGI_TARGET = "successlink.web.serve_app:rsgi_app_from_env"


def service_config(settings: Settings, engine: Engine) -> ServiceConfig:
    """The service's settings: the program's terms (the program row in the app store when
    there is one, else the [program] section of the workspace settings). Webhooks go
    through the inbox unless `[program] webhook_inbox` is off."""
    if current_revision(engine) != head_revision():
        raise ConfigError("the app store is not at the newest schema",
                          hint="Run `successlink db upgrade` first.")
    with Session(engine) as s:
        webhooks, terms = starting_settings(settings, s)
    if not terms.fallback_url:
        raise ConfigError("no fallback URL for unknown links",
                          hint="Set it with `successlink program set fallback_url URL` (your "
                               "home page), or fallback_url in the program section of "
                               "successlink.toml.")
    return ServiceConfig(
        engine=engine, plans=webhooks.plans, fallback_url=terms.fallback_url,
        allowed_domains=terms.domains, cookie_days=terms.cookie_days,
        webhook_secrets=webhooks.secrets, webhook_tolerance_seconds=webhooks.tolerance_seconds,
        settle_delay=webhooks.settle_delay, default_plan=webhooks.default_plan,
        attribution=webhooks.attribution, affiliate_key=webhooks.affiliate_key,
        webhook_inbox=settings.program.webhook_inbox, program_section=settings.program,
        click_writer=settings.service.click_writer)


def app_from_env() -> RedirectFront:
    """The service for the workspace in the environment (one per worker process)."""
    settings = load_settings()
    engine = open_store(settings.app_store_url)
    return create_app(service_config(settings, engine))


def rsgi_app_from_env() -> RsgiService:
    """The same service for granian's RSGI interface (what `successlink serve` runs)."""
    return RsgiService(app_from_env())
