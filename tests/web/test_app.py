"""The routes, through Starlette's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from successlink.store.tracking import Click
from successlink.store.webhooks import WebhookEvent
from successlink.web.app import create_app
from tests.program.stripe_data import ruby_mock_bodies, sign, with_id
from tests.web.service import FALLBACK, T0, Client, Clock, config, seed


@pytest.fixture
def client(store: Engine) -> Client:
    seed(store)
    return Client(create_app(config(store, Clock(T0))))


def _clicks(store: Engine) -> list[Click]:
    with Session(store) as s:
        return list(s.scalars(select(Click)))


def test_a_link_redirects_with_a_click_id_and_cookie_stored_first(
        client: Client, store: Engine) -> None:
    response = client.get("/r/ada", headers={"user-agent": "Mozilla/5.0 Safari",
                                             "referer": "https://blog.test/post"})
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (location.netloc, location.path) == ("www.acme.test", "/pricing")
    query = parse_qs(location.query)
    assert query["utm_source"] == ["ada"]
    (click,) = _clicks(store)
    assert query["sl_click"] == [click.id] and response.cookies["sl_click"] == click.id
    assert "Max-Age=2592000" in response.headers["set-cookie"]
    assert (click.affiliate_id, click.clicked_at, click.is_bot) == ("aff_1", T0, False)
    assert click.ip_anon == "127.0.0.0"  # httpx's ASGI transport calls from 127.0.0.1
    assert click.referer == "https://blog.test/post"


@pytest.mark.parametrize("code", ["nope", "off", "away", "sus"])
def test_unknown_disabled_foreign_or_suspended_links_go_to_the_fallback(
        client: Client, store: Engine, code: str) -> None:
    response = client.get(f"/r/{code}")
    assert response.status_code == 302 and response.headers["location"] == FALLBACK
    assert "set-cookie" not in response.headers
    assert _clicks(store) == []


def test_a_bot_click_is_kept_and_flagged(client: Client, store: Engine) -> None:
    client.get("/r/ada", headers={"user-agent": "Slackbot-LinkExpanding 1.0"})
    assert [c.is_bot for c in _clicks(store)] == [True]


def test_a_signed_webhook_is_acknowledged_once(client: Client, store: Engine) -> None:
    body = with_id(ruby_mock_bodies()["customer.created"], "evt_1")
    headers = {"stripe-signature": sign(body)}
    first = client.post("/webhooks/stripe", content=body, headers=headers)
    again = client.post("/webhooks/stripe", content=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert (first.json()["outcome"], again.json()["outcome"]) == ("processed", "duplicate")


@pytest.mark.parametrize("header", [None, "t=1,v1=00", "garbage"])
def test_a_bad_signature_is_400_and_stores_nothing(client: Client, store: Engine,
                                                   header: str | None) -> None:
    body = with_id(ruby_mock_bodies()["invoice.paid"], "evt_2")
    headers = {"stripe-signature": header} if header else {}
    response = client.post("/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 400 and "signature" in response.json()["error"].lower()
    with Session(store) as s:
        assert s.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_a_signed_body_that_is_not_an_event_is_400(client: Client) -> None:
    body = b'{"object": "customer"}'
    response = client.post("/webhooks/stripe", content=body,
                           headers={"stripe-signature": sign(body)})
    assert response.status_code == 400 and "not a Stripe event" in response.json()["error"]


def test_concurrent_deliveries_each_get_their_own_outcome(store: Engine) -> None:
    seed(store)
    app = create_app(config(store, Clock(T0)))
    bodies = ruby_mock_bodies()
    same = with_id(bodies["customer.created"], "evt_same")
    other = with_id(bodies["invoice.paid"], "evt_other")

    async def together() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return list(await asyncio.gather(*(
                c.post("/webhooks/stripe", content=b, headers={"stripe-signature": sign(b)})
                for b in (same, other, same))))

    responses = asyncio.run(together())
    assert [r.status_code for r in responses] == [200, 200, 200]
    outcomes = [r.json()["outcome"] for r in responses]
    assert sorted([outcomes[0], outcomes[2]]) == ["duplicate", "processed"]
    assert outcomes[1] in ("processed", "ignored")
    with Session(store) as s:
        assert set(s.scalars(select(WebhookEvent.event_id))) == {"evt_same", "evt_other"}


def test_a_delivery_that_hits_the_unique_key_is_rolled_back_and_run_again(
        store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process committed the same event id first (PostgreSQL, several workers): the
    insert fails on the key, the delivery's savepoint undoes its writes, and it runs again
    (then finding the event stored, it answers "duplicate")."""
    from successlink.web import app as app_module

    seed(store)
    real = app_module.process_batch
    attempts: list[str] = []

    def losing_once(session: Session, events: Any, settings: Any, received_at: Any) -> Any:
        results = real(session, events, settings, received_at)  # writes the event row
        attempts.extend(r.outcome for r in results)
        if len(attempts) == 1:
            raise IntegrityError("INSERT INTO webhook_events", {}, Exception("unique key"))
        return results

    monkeypatch.setattr(app_module, "process_batch", losing_once)
    client = Client(create_app(config(store, Clock(T0))))
    body = with_id(ruby_mock_bodies()["customer.created"], "evt_race")
    response = client.post("/webhooks/stripe", content=body,
                           headers={"stripe-signature": sign(body)})
    assert attempts == ["processed", "processed"]  # the first attempt's row was undone
    assert response.status_code == 200 and response.json()["outcome"] == "processed"
    with Session(store) as s:
        assert s.scalar(select(func.count()).select_from(WebhookEvent)) == 1
