"""`create_app`: the Starlette application. Database work runs in a thread (SQLAlchemy is
synchronous); every response that acknowledges something is sent after its commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from successlink.program.plans import Plan
from successlink.program.signatures import SignatureError
from successlink.program.stripe_events import EventError
from successlink.program.webhooks import WebhookResult, WebhookSettings, handle_stripe_webhook
from successlink.store.affiliates import Affiliate
from successlink.store.tracking import Click, Link
from successlink.timeline import utc_now
from successlink.web.redirects import COOKIE_NAME, allowed, anonymise_ip, looks_like_bot, with_click


@dataclass(frozen=True)
class ServiceConfig:
    """What the service needs, resolved once at start-up."""

    engine: Engine
    plans: Sequence[Plan]
    fallback_url: str
    allowed_domains: list[str]
    cookie_days: int = 30
    webhook_secrets: Sequence[str] = ()
    webhook_tolerance_seconds: int | None = 300
    settle_delay: timedelta = timedelta(hours=1)
    default_plan: str | None = None
    affiliate_key: str = "affiliate"
    clock: Callable[[], datetime] = field(default=utc_now)


def create_app(config: ServiceConfig) -> Starlette:
    """The service: `GET /r/{code}`, `POST /webhooks/stripe`, `GET /healthz`."""
    webhook_settings = WebhookSettings(
        secrets=config.webhook_secrets, plans=config.plans, default_plan=config.default_plan,
        tolerance_seconds=config.webhook_tolerance_seconds, settle_delay=config.settle_delay,
        affiliate_key=config.affiliate_key)

    async def redirect(request: Request) -> Response:
        code = request.path_params["code"]
        visit = _Visit(code=code, ip=request.client.host if request.client else None,
                       user_agent=request.headers.get("user-agent"),
                       referer=request.headers.get("referer"))
        target, click_id = await run_in_threadpool(_record_click, config, visit)
        response = RedirectResponse(target, status_code=302)
        response.headers["cache-control"] = "no-store"
        response.headers["referrer-policy"] = "no-referrer-when-downgrade"
        if click_id is not None:
            response.set_cookie(COOKIE_NAME, click_id, max_age=config.cookie_days * 86_400,
                                samesite="lax", secure=request.url.scheme == "https")
        return response

    async def stripe_webhook(request: Request) -> Response:
        body = await request.body()
        signature = request.headers.get("stripe-signature")
        try:
            result = await run_in_threadpool(_webhook, config, webhook_settings, body,
                                             signature)
        except (SignatureError, EventError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"received": True, "event": result.event_id,
                             "outcome": result.outcome})

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[
        Route("/r/{code:str}", redirect, methods=["GET", "HEAD"]),
        Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ])


@dataclass(frozen=True)
class _Visit:
    code: str
    ip: str | None
    user_agent: str | None
    referer: str | None


def _record_click(config: ServiceConfig, visit: _Visit) -> tuple[str, str | None]:
    """(where to send the visitor, the click id or None when it was not a tracked click).
    The click is committed before the redirect is answered."""
    with Session(config.engine) as s, s.begin():
        row = s.execute(select(Link, Affiliate.status)
                        .join(Affiliate, Affiliate.id == Link.affiliate_id)
                        .where(Link.code == visit.code)).first()
        if row is None:
            return config.fallback_url, None
        link, status = row
        if link.disabled or status != "active" or not allowed(link.destination,
                                                              config.allowed_domains):
            return config.fallback_url, None
        click_id, destination = str(uuid.uuid4()), link.destination
        s.add(Click(id=click_id, link_id=link.id, affiliate_id=link.affiliate_id,
                    clicked_at=config.clock(), ip_anon=anonymise_ip(visit.ip),
                    user_agent=(visit.user_agent or "")[:512] or None,
                    referer=(visit.referer or "")[:2048] or None,
                    is_bot=looks_like_bot(visit.user_agent)))
    return with_click(destination, click_id), click_id


def _webhook(config: ServiceConfig, settings: WebhookSettings, body: bytes,
             signature: str | None) -> WebhookResult:
    try:
        with Session(config.engine) as s, s.begin():
            return handle_stripe_webhook(s, body, signature, settings, config.clock())
    except IntegrityError:
        # A concurrent delivery of the same event committed first: this one is a duplicate.
        with Session(config.engine) as s, s.begin():
            return handle_stripe_webhook(s, body, signature, settings, config.clock())
