"""`create_app`: the Starlette application. Database work runs in a thread (SQLAlchemy is
synchronous); every response that acknowledges something is sent after its commit."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from successlink.config import ProgramSettings
from successlink.program.plans import Plan
from successlink.program.program_state import CHECK_SECONDS as PROGRAM_CHECK_SECONDS
from successlink.program.program_state import ProgramState
from successlink.program.signatures import SignatureError, verify_signature
from successlink.program.stripe_events import EventError, StripeEvent, read_event
from successlink.program.terms_store import load_terms
from successlink.program.webhooks import (
    WebhookResult,
    WebhookSettings,
    process_batch,
    record_changes,
    unstorable,
)
from successlink.timeline import utc_now
from successlink.web.api import api_routes
from successlink.web.clicks import ClickRecorder
from successlink.web.group_commit import MAX_BATCH, CommitError, GroupCommitter, StoppedError
from successlink.web.link_cache import (
    CHECK_SECONDS,
    RELOAD_SECONDS,
    LinkCache,
    RedirectTerms,
    TermsLoader,
)
from successlink.web.redirect_front import RedirectFront, Redirector
from successlink.web.redirects import allowed
from successlink.web.row_writer import RowWriterProcess
from successlink.web.security import authenticate
from successlink.web.snippet import tracking_snippet
from successlink.web.tracking import LeadError, record_lead, sale_changes
from successlink.web.webhook_inbox import InboxWriter


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
    attribution: str = "first_click"  # or last_click (program terms)
    clock: Callable[[], datetime] = field(default=utc_now)
    # The link cache's staleness (docs/program.md) and the group commit's batch cap.
    link_check_seconds: float = CHECK_SECONDS
    link_reload_seconds: float = RELOAD_SECONDS
    max_batch: int = MAX_BATCH
    # How often the plans and program terms are checked for changes (program/program_state.py).
    program_check_seconds: float = PROGRAM_CHECK_SECONDS
    # Who commits clicks: "thread" (the group-commit writer thread, shared with webhooks) or
    # "process" (a writer process of their own: what `successlink serve` uses; see
    # web/row_writer.py for why).
    click_writer: str = "thread"
    # The workspace's [program] section: when given, the redirect terms (fallback, domains,
    # cookie window) follow `program set` while serving, as the plans do.
    program_section: ProgramSettings | None = None
    # Acknowledge a webhook once it is in the inbox, for the inbox processor (`serve`), or
    # process it before answering (docs/program.md, "The webhook inbox").
    webhook_inbox: bool = False


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> dict[str, Any] | None:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def create_app(config: ServiceConfig) -> RedirectFront:
    """The service: redirects, the tracking snippet and API, Stripe webhooks, a health check.
    Clicks and webhook deliveries are written by one group-commit writer (one transaction
    per batch of requests, each answered after the commit); /r/{code} is answered in front
    of Starlette (web/redirect_front.py)."""
    webhook_settings = WebhookSettings(
        secrets=config.webhook_secrets, plans=config.plans, default_plan=config.default_plan,
        tolerance_seconds=config.webhook_tolerance_seconds, settle_delay=config.settle_delay,
        affiliate_key=config.affiliate_key, attribution=config.attribution)

    program = ProgramState(webhook_settings, check_seconds=config.program_check_seconds)
    committer = GroupCommitter(config.engine, max_batch=config.max_batch)
    links = LinkCache(config.engine, config.allowed_domains,
                      check_seconds=config.link_check_seconds,
                      reload_seconds=config.link_reload_seconds,
                      fallback_url=config.fallback_url, cookie_days=config.cookie_days,
                      terms_loader=_terms_loader(config))
    click_rows: GroupCommitter | RowWriterProcess = committer
    if config.click_writer == "process":
        click_rows = RowWriterProcess(config.engine.url.render_as_string(hide_password=False),
                                      max_rows=config.max_batch)
    clicks = ClickRecorder(links, click_rows, config.clock)
    redirector = Redirector(clicks)

    async def snippet(request: Request) -> Response:
        endpoint = str(request.url_for("track_click"))
        return Response(tracking_snippet(endpoint, links.terms.cookie_days),
                        media_type="text/javascript",
                        headers={"cache-control": "public, max-age=3600"})

    async def track_click(request: Request) -> Response:
        cors = _cors(request, links.domains)
        body = await _json(request)
        if body is None or not isinstance(body.get("code"), str):
            return _error(422, 'send a JSON object with "code" (the ?via= value)')
        referer = body.get("referer") if isinstance(body.get("referer"), str) else None
        try:
            found = await clicks.record(body["code"], request.client.host if request.client
                                        else None, request.headers.get("user-agent"),
                                        referer if referer is not None
                                        else request.headers.get("referer"))
        except (CommitError, StoppedError) as exc:
            return _error(503, str(exc))
        return JSONResponse({"click_id": found[0] if found else None}, headers=cors)

    def admin_route(what: str, record: Callable[[Session, dict[str, Any]], Response]
                    ) -> Callable[[Request], Awaitable[Response]]:
        """A server-to-server POST: a JSON object, an admin key, then `record` in one
        transaction (a bad body is a 422 naming what is wrong)."""
        def run(authorization: str | None, body: dict[str, Any]) -> Response:
            with Session(config.engine) as s, s.begin():
                caller = authenticate(s, authorization)
                if caller is None:
                    return _error(401, "send an admin API key: Authorization: Bearer "
                                       "sl_admin_...")
                if caller.scope != "admin":
                    return _error(403, f"only an admin key may record {what}")
                return record(s, body)

        async def endpoint(request: Request) -> Response:
            body = await _json(request)
            if body is None:
                return _error(422, "send a JSON object")
            try:
                return await run_in_threadpool(run, request.headers.get("authorization"), body)
            except LeadError as exc:
                return _error(422, str(exc))

        return endpoint

    def lead(s: Session, body: dict[str, Any]) -> Response:
        found, new = record_lead(s, click_id=str(body.get("click_id") or ""),
                                 external_id=_text(body, "customer_external_id"),
                                 email=_text(body, "email"), at=config.clock(),
                                 attribution=program.settings(s).attribution)
        return JSONResponse({"lead_id": found.id, "affiliate_id": found.affiliate_id},
                            status_code=201 if new else 200)

    def sale(s: Session, body: dict[str, Any]) -> Response:
        changes = sale_changes(body, config.clock())
        record_changes(s, changes, program.settings(s), config.clock())
        return JSONResponse({"sale_id": body["sale_id"], "recorded": True}, status_code=201)

    track_lead = admin_route("leads", lead)
    track_sale = admin_route("sales", sale)

    deliveries = _deliveries(program)
    inbox = InboxWriter(committer, config.clock)

    async def stripe_webhook(request: Request) -> Response:
        body = await request.body()
        try:
            # Checked here, before queueing: a forged or malformed delivery never reaches
            # the writer (400, nothing stored).
            verify_signature(body, request.headers.get("stripe-signature"),
                             webhook_settings.secrets,
                             tolerance_seconds=webhook_settings.tolerance_seconds)
            event = read_event(body, affiliate_key=webhook_settings.affiliate_key)
        except (SignatureError, EventError) as exc:
            return _error(400, str(exc))
        if config.webhook_inbox:
            return await queue_webhook(event, body)
        try:
            result = await committer.run_batched(deliveries, (event, config.clock()))
        except (CommitError, StoppedError) as exc:
            return _error(503, str(exc))
        if result.outcome == "rejected":
            return _error(400, f"event {result.event_id} cannot be stored: {result.reason}")
        return JSONResponse({"received": True, "event": result.event_id,
                             "outcome": result.outcome})

    async def queue_webhook(event: StripeEvent, body: bytes) -> Response:
        """Store the delivery in the inbox and acknowledge it; what would be rejected when
        processed is refused now (400), since a sender told "queued" never sends it again."""
        problem = unstorable(event)
        if problem is not None:
            return _error(400, f"event {event.event_id[:255]} cannot be stored: {problem}")
        try:
            # read_event accepted it, so it is UTF-8 JSON without NUL characters.
            await inbox.store(event, body.decode())
        except (CommitError, StoppedError) as exc:
            return _error(503, str(exc))
        return JSONResponse({"received": True, "event": event.event_id, "outcome": "queued"})

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        committer.start()
        if isinstance(click_rows, RowWriterProcess):
            click_rows.start()
        await run_in_threadpool(links.refresh)
        try:
            yield
        finally:
            if isinstance(click_rows, RowWriterProcess):
                click_rows.stop()
            await run_in_threadpool(committer.stop)

    app = Starlette(lifespan=lifespan, routes=[
        *api_routes(lambda: Session(config.engine)),
        Route("/r/{code:str}", redirector, methods=["GET", "HEAD"]),
        Route("/t.js", snippet, methods=["GET"]),
        Route("/api/v1/track/click", track_click, methods=["POST"], name="track_click"),
        Route("/api/v1/track/lead", track_lead, methods=["POST"]),
        Route("/api/v1/track/sale", track_sale, methods=["POST"]),
        Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ])
    return RedirectFront(app, redirector)


def _terms_loader(config: ServiceConfig) -> TermsLoader | None:
    """How the link cache re-reads the redirect terms (`program set` while serving): the
    program row, else the workspace's [program] section. A fallback URL is never taken
    away from a running service (without one an unknown link has nowhere to go)."""
    section = config.program_section
    if section is None:
        return None

    def load(session: Session) -> RedirectTerms:
        terms = load_terms(session, section)
        return RedirectTerms(terms.fallback_url or config.fallback_url, tuple(terms.domains),
                             terms.cookie_days)

    return load


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _cors(request: Request, domains: list[str]) -> dict[str, str]:
    """Let the merchant's own pages read the click id (and nobody else's)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).hostname and allowed(origin + "/", domains):
        return {"access-control-allow-origin": origin, "vary": "Origin"}
    return {}


def _deliveries(program: ProgramState
                ) -> Callable[[Session, list[tuple[StripeEvent, datetime]]], list[WebhookResult]]:
    """Webhook deliveries as batched work for the group commit: every delivery queued for a
    batch is processed together (`process_batch`: each customer settled once), as of the
    latest time one of them was received. The signatures were verified and the bodies read
    in the requests. If the batch fails (another process committed one of its event ids
    first, so its insert hits the unique key), the group commit runs the deliveries one by
    one, and such an event is then seen as the duplicate it is."""
    def work(s: Session, queued: list[tuple[StripeEvent, datetime]]) -> list[WebhookResult]:
        received_at = max(at for _, at in queued)
        settings = program.settings(s)  # the plans and terms in force now
        try:
            with s.begin_nested():
                return process_batch(s, [event for event, _ in queued], settings, received_at)
        except IntegrityError:
            if len(queued) > 1:
                raise
            with s.begin_nested():  # one delivery: retry, it is a duplicate now
                return process_batch(s, [queued[0][0]], settings, received_at)
    return work
