"""A service over a migrated store, with one active affiliate and its links."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from successlink.program.plans import load_plan
from successlink.store.affiliates import Affiliate
from successlink.store.tracking import Link
from successlink.web.app import ServiceConfig
from tests.program.plans import QUALITY_PLAN

SECRET = "whsec_test_secret"
FALLBACK = "https://acme.test/"
T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


class Client:
    """Requests to an ASGI app through httpx's in-process transport (no redirects followed)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                         follow_redirects=False) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(send())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


class Clock:
    """A settable clock: the service reads "now" from it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seed(store: Engine) -> None:
    with Session(store) as s, s.begin():
        for aff, status in (("aff_1", "active"), ("aff_2", "suspended")):
            s.add(Affiliate(id=aff, name=aff, email=f"{aff}@example.com", status=status,
                            group_name=None, quality_tier=None, quality_tier_as_of=None,
                            plan_id="quality", payout_method="paypal",
                            payout_details={"email": f"{aff}@example.com"}, account_id=None,
                            created_at=T0))
        s.flush()
        for code, aff, destination, disabled in (
                ("ada", "aff_1", "https://www.acme.test/pricing?utm_source=ada", False),
                ("off", "aff_1", "https://acme.test/", True),
                ("away", "aff_1", "https://evil.test/", False),
                ("sus", "aff_2", "https://acme.test/", False)):
            s.add(Link(code=code, affiliate_id=aff, destination=destination, utm_source=None,
                       utm_medium=None, utm_campaign=None, disabled=disabled, created_at=T0))


def config(store: Engine, clock: Clock) -> ServiceConfig:
    return ServiceConfig(engine=store, plans=[load_plan(QUALITY_PLAN)], fallback_url=FALLBACK,
                         allowed_domains=["acme.test"], cookie_days=30,
                         webhook_secrets=[SECRET], webhook_tolerance_seconds=None,
                         settle_delay=timedelta(0), clock=clock)
