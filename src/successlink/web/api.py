"""The read API (`/api/v1/...`): affiliates, links, clicks, referrals, commissions, payouts
and stats. An admin key sees everything; an affiliate's key sees only its own rows, and
another affiliate's id looks exactly like one that does not exist (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from successlink.program.books import paid_minor, payable_now, stored_balances
from successlink.program.terms import ProgramTerms
from successlink.program.terms_store import stored_terms
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.ledger import LedgerEntry
from successlink.store.payouts import Payout
from successlink.store.tracking import Click, Link
from successlink.timeline import utc_now
from successlink.web.openapi import openapi_spec
from successlink.web.security import Caller, authenticate

MAX_LIMIT = 500


class ApiError(Exception):
    """An answer other than 200, with the sentence to send."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(422, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise ApiError(422, f"{name} must be between {low} and {high}")
    return value


def _scope(request: Request, caller: Caller) -> str | None:
    """The affiliate the request is limited to (None: every affiliate, admin only)."""
    wanted = request.path_params.get("affiliate_id") or request.query_params.get("affiliate_id")
    if wanted is not None and ("\x00" in wanted or len(wanted) > 255):
        # Not an id any affiliate can have (and PostgreSQL refuses NUL in text).
        raise ApiError(404, "there is no affiliate with that id")
    if caller.scope == "affiliate":
        if wanted is not None and wanted != caller.affiliate_id:
            raise ApiError(404, f"there is no affiliate {wanted!r}")
        return caller.affiliate_id
    return wanted


def _page(session: Session, request: Request, query: Select[Any]) -> list[Any]:
    limit = _int_param(request, "limit", 100, 1, MAX_LIMIT)
    offset = _int_param(request, "offset", 0, 0, 10**9)
    return list(session.scalars(query.limit(limit).offset(offset)))


def _affiliate(a: Affiliate) -> dict[str, Any]:
    return {"id": a.id, "name": a.name, "status": a.status, "group": a.group_name,
            "quality_tier": a.quality_tier, "plan_id": a.plan_id,
            "payout_method": a.payout_method, "created_at": a.created_at.isoformat()}


def affiliates(s: Session, request: Request, caller: Caller) -> Any:
    only = _scope(request, caller)
    query = select(Affiliate).order_by(Affiliate.id)
    if only is not None:
        query = query.where(Affiliate.id == only)
    rows = _page(s, request, query)
    if "affiliate_id" in request.path_params:
        if not rows:
            raise ApiError(404, f"there is no affiliate {only!r}")
        return _affiliate(rows[0])
    return {"data": [_affiliate(a) for a in rows]}


def links(s: Session, request: Request, caller: Caller) -> Any:
    only = _scope(request, caller)
    query = select(Link).order_by(Link.id)
    if only is not None:
        query = query.where(Link.affiliate_id == only)
    return {"data": [{"id": k.id, "code": k.code, "affiliate_id": k.affiliate_id,
                      "destination": k.destination, "disabled": k.disabled,
                      "created_at": k.created_at.isoformat()}
                     for k in _page(s, request, query)]}


def clicks(s: Session, request: Request, caller: Caller) -> Any:
    only = _scope(request, caller)
    query = select(Click).order_by(Click.clicked_at.desc(), Click.id)
    if only is not None:
        query = query.where(Click.affiliate_id == only)
    return {"data": [{"id": c.id, "affiliate_id": c.affiliate_id, "link_id": c.link_id,
                      "clicked_at": c.clicked_at.isoformat(), "is_bot": c.is_bot,
                      "referer": c.referer} for c in _page(s, request, query)]}


def referrals(s: Session, request: Request, caller: Caller) -> Any:
    only = _scope(request, caller)
    query = select(Customer).where(Customer.affiliate_id.is_not(None)).order_by(Customer.id)
    if only is not None:
        query = query.where(Customer.affiliate_id == only)
    # No e-mail or billing id: an affiliate sees that a referral exists, not who it is.
    return {"data": [{"id": c.id, "affiliate_id": c.affiliate_id, "click_id": c.click_id,
                      "referred_at": c.referred_at.isoformat() if c.referred_at else None}
                     for c in _page(s, request, query)]}


def commissions(s: Session, request: Request, caller: Caller) -> Any:
    only = _scope(request, caller)
    query = select(LedgerEntry).order_by(LedgerEntry.effective_at.desc(), LedgerEntry.id)
    if only is not None:
        query = query.where(LedgerEntry.affiliate_id == only)
    return {"data": [{"key": e.entry_key, "kind": e.kind, "affiliate_id": e.affiliate_id,
                      "currency": e.currency, "unvested_minor": e.unvested_minor,
                      "vested_minor": e.vested_minor, "lapsed_minor": e.lapsed_minor,
                      "reversed_minor": e.reversed_minor, "plan_id": e.plan_id,
                      "plan_version": e.plan_version, "effective_at": e.effective_at.isoformat(),
                      "explanation": e.explanation} for e in _page(s, request, query)]}


def payouts(s: Session, request: Request, caller: Caller) -> Any:
    only = _scope(request, caller)
    query = select(Payout).order_by(Payout.id)
    if only is not None:
        query = query.where(Payout.affiliate_id == only)
    return {"data": [{"id": p.id, "affiliate_id": p.affiliate_id, "currency": p.currency,
                      "amount_minor": p.amount_minor, "method": p.method, "status": p.status,
                      "created_at": p.created_at.isoformat(),
                      "paid_at": p.paid_at.isoformat() if p.paid_at else None,
                      "cancel_reason": p.cancel_reason,
                      "cancelled_at": p.cancelled_at.isoformat() if p.cancelled_at else None}
                     for p in _page(s, request, query)]}


def stats(s: Session, request: Request, caller: Caller) -> Any:
    only = _scope(request, caller)
    paid = paid_minor(s)
    # What the next payout run pays (the hold, fraud holds and the affiliate's status
    # applied), as `ledger show` says; the rest of the unpaid vested money is waiting.
    due = payable_now(s, utc_now(), (stored_terms(s) or ProgramTerms()).hold)
    out = []
    for (affiliate, currency), b in sorted(stored_balances(s).items()):
        if only is None or affiliate == only:
            out.append({"affiliate_id": affiliate, "currency": currency,
                        "unvested_minor": b.unvested, "vested_minor": b.vested,
                        "paid_minor": paid.get((affiliate, currency), 0),
                        "payable_minor": due.get((affiliate, currency), 0),
                        "waiting_minor": b.vested - paid.get((affiliate, currency), 0)
                        - due.get((affiliate, currency), 0),
                        "lapsed_minor": b.lapsed, "reversed_minor": b.reversed})
    count = select(func.count()).select_from(Click)
    referred = select(func.count()).select_from(Customer).where(
        Customer.affiliate_id.is_not(None))
    if only is not None:
        count = count.where(Click.affiliate_id == only)
        referred = referred.where(Customer.affiliate_id == only)
    return {"clicks": int(s.scalar(count) or 0), "referrals": int(s.scalar(referred) or 0),
            "balances": out}


Handler = Callable[[Session, Request, Caller], Any]


def api_routes(engine_session: Callable[[], Session]) -> list[Route]:
    """The API's routes; `engine_session` opens a read session."""

    def endpoint(handler: Handler) -> Callable[[Request], Any]:
        def run(request: Request) -> Response:
            with engine_session() as s:
                caller = authenticate(s, request.headers.get("authorization"))
                if caller is None:
                    return JSONResponse({"error": "send an API key: Authorization: Bearer "
                                                  "sl_..."}, status_code=401)
                try:
                    return JSONResponse(handler(s, request, caller))
                except ApiError as exc:
                    return JSONResponse({"error": exc.message}, status_code=exc.status)

        async def view(request: Request) -> Response:
            return await run_in_threadpool(run, request)

        return view

    async def spec(_request: Request) -> Response:
        return JSONResponse(openapi_spec())

    table: list[tuple[str, Handler]] = [
        ("/api/v1/affiliates", affiliates), ("/api/v1/affiliates/{affiliate_id}", affiliates),
        ("/api/v1/links", links), ("/api/v1/clicks", clicks),
        ("/api/v1/referrals", referrals), ("/api/v1/commissions", commissions),
        ("/api/v1/payouts", payouts), ("/api/v1/stats", stats)]
    return [Route("/api/v1/openapi.json", spec, methods=["GET"]),
            *(Route(path, endpoint(handler), methods=["GET"]) for path, handler in table)]
