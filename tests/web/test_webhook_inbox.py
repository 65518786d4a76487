"""POST /webhooks/stripe with the inbox (how `serve` runs): a verified delivery is stored as
received and answered "queued"; everything that would be refused is refused before the
answer, with nothing stored; the processor then settles it as the inline path would."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from successlink.program.inbox_loop import drain
from successlink.program.webhooks import WebhookSettings
from successlink.store.inbox import WebhookInbox
from successlink.store.sales import Sale
from successlink.store.webhooks import WebhookEvent
from successlink.web.app import create_app
from tests.program.stripe_data import paying_customer, ruby_mock_bodies, sign, with_id
from tests.web.service import T0, Client, Clock, config, seed


@pytest.fixture
def client(store: Engine) -> Client:
    seed(store)
    return Client(create_app(replace(config(store, Clock(T0)), webhook_inbox=True)))


def _settings(store: Engine) -> WebhookSettings:
    c = config(store, Clock(T0))
    return WebhookSettings(secrets=c.webhook_secrets, plans=c.plans,
                           tolerance_seconds=None, settle_delay=c.settle_delay)


def _inbox(store: Engine) -> list[WebhookInbox]:
    with Session(store) as s:
        return list(s.scalars(select(WebhookInbox).order_by(WebhookInbox.id)))


def _count(store: Engine, table: type) -> int:
    with Session(store) as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def _post(client: Client, body: bytes) -> httpx.Response:
    return client.post("/webhooks/stripe", content=body,
                       headers={"stripe-signature": sign(body)})


def test_a_delivery_is_queued_as_received_and_processed_by_the_drain(
        client: Client, store: Engine) -> None:
    created, paid = paying_customer(1, 1_769_947_200)  # 2026-02-01 12:00, T0
    responses = [_post(client, body) for body in (created, paid, paid)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json() for r in responses] == [
        {"received": True, "event": "evt_c1", "outcome": "queued"},
        {"received": True, "event": "evt_i1", "outcome": "queued"},
        {"received": True, "event": "evt_i1", "outcome": "queued"}]  # Stripe's retry: a row
    rows = _inbox(store)
    assert [(r.event_id, r.event_type, r.source, r.received_at) for r in rows] == [
        ("evt_c1", "customer.created", "stripe", T0), ("evt_i1", "invoice.paid", "stripe", T0),
        ("evt_i1", "invoice.paid", "stripe", T0)]
    assert [r.body.encode() for r in rows] == [created, paid, paid]  # byte for byte
    assert _count(store, WebhookEvent) == 0  # acknowledged, not processed yet

    counts = drain(store, lambda _s: _settings(store))
    assert (counts.processed, counts.duplicate, counts.failed) == (2, 1, 0)
    with Session(store) as s:
        assert s.scalars(select(Sale.id)).all() == ["in_1"]
        assert set(s.scalars(select(WebhookEvent.event_id))) == {"evt_c1", "evt_i1"}


@pytest.mark.parametrize("header", [None, "t=1,v1=00"])
def test_a_bad_signature_is_400_and_nothing_is_queued(client: Client, store: Engine,
                                                      header: str | None) -> None:
    body = with_id(ruby_mock_bodies()["invoice.paid"], "evt_2")
    response = client.post("/webhooks/stripe", content=body,
                           headers={"stripe-signature": header} if header else {})
    assert response.status_code == 400 and "signature" in response.json()["error"].lower()
    assert _inbox(store) == []


def test_a_body_that_is_not_an_event_or_cannot_be_stored_is_400_before_queueing(
        client: Client, store: Engine) -> None:
    not_event = b'{"object": "customer"}'
    assert _post(client, not_event).status_code == 400
    too_long = with_id(ruby_mock_bodies()["customer.created"], "evt_" + "x" * 300)
    response = _post(client, too_long)
    assert response.status_code == 400
    assert "cannot be stored" in response.json()["error"]
    assert "255" in response.json()["error"]   # the limit it broke
    assert _inbox(store) == []


def test_concurrent_deliveries_share_a_commit_and_all_land_in_the_inbox(
        store: Engine) -> None:
    seed(store)
    app = create_app(replace(config(store, Clock(T0)), webhook_inbox=True))
    bodies = [b for n in range(20) for b in paying_customer(n, 1_769_947_200 + n)]

    async def together() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return list(await asyncio.gather(*(
                c.post("/webhooks/stripe", content=b, headers={"stripe-signature": sign(b)})
                for b in bodies)))

    responses = asyncio.run(together())
    assert {r.status_code for r in responses} == {200}
    rows = _inbox(store)
    assert sorted(r.body.encode() for r in rows) == sorted(bodies)
    assert [r.id for r in rows] == sorted({r.id for r in rows})  # the database numbered them
