"""The bare ASGI redirect in front of Starlette: which requests it takes, what it sends."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from successlink.store.tracking import Click
from successlink.web.app import create_app
from successlink.web.clicks import ClickIds
from successlink.web.redirect_front import redirect_code
from tests.web.service import FALLBACK, T0, Client, Clock, config, seed


def _scope(path: str, method: str = "GET", root_path: str = "",
           kind: str = "http") -> dict[str, Any]:
    return {"type": kind, "method": method, "path": path, "root_path": root_path}


@pytest.mark.parametrize(("scope", "code"), [
    (_scope("/r/ada"), "ada"),
    (_scope("/r/ada", "HEAD"), "ada"),
    (_scope("/shop/r/ada", root_path="/shop"), "ada"),
    (_scope("/r/a b"), "a b"),
    (_scope("/r/ada", "POST"), None),      # Starlette answers 405
    (_scope("/r/"), None),
    (_scope("/r/ada/"), None),
    (_scope("/r/a/b"), None),
    (_scope("/rr/ada"), None),
    (_scope("/api/v1/track/click", "POST"), None),
])
def test_only_the_redirect_route_is_taken(scope: dict[str, Any], code: str | None) -> None:
    assert redirect_code(scope) == code


def test_lifespan_and_websockets_pass_through() -> None:
    assert redirect_code({"type": "lifespan"}) is None
    assert redirect_code(_scope("/r/ada", kind="websocket")) is None


@pytest.fixture
def client(store: Engine) -> Client:
    seed(store)
    return Client(create_app(config(store, Clock(T0))))


def _count(store: Engine) -> int:
    with Session(store) as s:
        return int(s.scalar(select(func.count()).select_from(Click)) or 0)


def test_head_records_the_click_and_sends_no_body(client: Client, store: Engine) -> None:
    response = client.request("HEAD", "/r/ada")
    assert response.status_code == 302 and response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert _count(store) == 1


def test_other_methods_and_paths_reach_starlette(client: Client) -> None:
    assert client.post("/r/ada").status_code == 405
    assert client.get("/r/a/b").status_code == 404
    assert client.get("/healthz").text == "ok"


def test_the_cookie_is_secure_over_https(store: Engine) -> None:
    seed(store)
    app = create_app(config(store, Clock(T0)))
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {**_scope("/r/ada"), "scheme": "https", "headers": [], "client": ("203.0.113.9", 1)}
    asyncio.run(app(scope, receive, send))
    headers = dict(sent[0]["headers"])
    assert headers[b"set-cookie"].endswith(b"; SameSite=lax; Secure")
    with Session(store) as s:
        assert s.scalars(select(Click.ip_anon)).one() == "203.0.113.0"


def test_an_unstored_click_sends_the_visitor_on_without_a_click_id(
        client: Client, store: Engine) -> None:
    def refuse(_connection: Any) -> None:
        raise RuntimeError("disk full")

    event.listen(store, "commit", refuse)
    try:
        response = client.get("/r/ada")
    finally:
        event.remove(store, "commit", refuse)
    assert response.status_code == 302
    assert response.headers["location"] == "https://www.acme.test/pricing?utm_source=ada"
    assert "set-cookie" not in response.headers and _count(store) == 0
    assert client.get("/r/nope").headers["location"] == FALLBACK


def test_click_ids_are_random_uuid7_in_time_order() -> None:
    new_id = ClickIds()
    first = [new_id() for _ in range(2_000)]
    time.sleep(0.002)
    later = new_id()
    parsed = [uuid.UUID(i) for i in first]
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert len(set(first)) == len(first)
    assert all(i < later for i in first)  # a later millisecond sorts after
    assert abs((parsed[0].int >> 80) - time.time() * 1000) < 5_000


def test_a_running_service_follows_program_set(store: Engine) -> None:
    """`successlink program set` while serving: the cookie window, the fallback and the
    allowed domains change within a link-cache check (here: on the next request)."""
    import dataclasses
    from datetime import timedelta

    from successlink.config import ProgramSettings
    from successlink.program.terms_store import load_terms, save_terms

    seed(store)
    section = ProgramSettings(fallback_url=FALLBACK, allowed_domains=["acme.test"])
    client = Client(create_app(dataclasses.replace(
        config(store, Clock(T0)), program_section=section, link_check_seconds=0.0)))
    before = client.get("/r/ada")
    assert "Max-Age=2592000;" in before.headers["set-cookie"]
    assert client.get("/r/nope").headers["location"] == FALLBACK
    assert client.get("/r/away").headers["location"] == FALLBACK  # evil.test: not allowed

    with Session(store) as s, s.begin():
        terms = load_terms(s, section)
        save_terms(s, dataclasses.replace(
            terms, cookie_days=60, fallback_url="https://www.acme.test/home",
            allowed_domains=("acme.test", "evil.test")), T0 + timedelta(days=1))
    client.get("/r/ada")  # answered from memory; starts the check that sees the change

    after = client.get("/r/ada")
    assert "Max-Age=5184000;" in after.headers["set-cookie"]
    assert client.get("/r/nope").headers["location"] == "https://www.acme.test/home"
    away = client.get("/r/away").headers["location"]
    assert away.startswith("https://evil.test/?sl_click=")


def test_without_the_program_section_the_terms_stay_as_started(store: Engine) -> None:
    import dataclasses
    from datetime import timedelta

    from successlink.config import ProgramSettings
    from successlink.program.terms_store import load_terms, save_terms

    seed(store)
    client = Client(create_app(dataclasses.replace(config(store, Clock(T0)),
                                                   link_check_seconds=0.0)))
    with Session(store) as s, s.begin():
        terms = load_terms(s, ProgramSettings(fallback_url=FALLBACK))
        save_terms(s, dataclasses.replace(terms, cookie_days=60), T0 + timedelta(days=1))
    client.get("/r/ada")
    assert "Max-Age=2592000;" in client.get("/r/ada").headers["set-cookie"]
