"""The service on RSGI: the redirect answered natively, the same 302 as the ASGI front, and
every other request through the bridge to the Starlette app."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from successlink.store.tracking import Click
from successlink.web import redirect_front
from successlink.web.app import create_app
from successlink.web.rsgi_service import RsgiService, client_ip, redirect_code
from tests.web.rsgi_fakes import Protocol, Scope
from tests.web.service import FALLBACK, T0, Client, Clock, config, seed

T = TypeVar("T")


@pytest.mark.parametrize(("path", "method"), [
    ("/r/ada", "GET"), ("/r/ada", "HEAD"), ("/r/a b", "GET"), ("/r/ada", "POST"),
    ("/r/", "GET"), ("/r/ada/", "GET"), ("/r/a/b", "GET"), ("/rr/ada", "GET"),
    ("/api/v1/track/click", "POST"),
])
def test_takes_exactly_the_requests_the_asgi_front_takes(path: str, method: str) -> None:
    asgi = redirect_front.redirect_code({"type": "http", "method": method, "path": path})
    assert redirect_code(Scope(path, method)) == asgi


def test_websockets_are_not_redirects() -> None:
    assert redirect_code(Scope("/r/ada", proto="ws")) is None


@pytest.mark.parametrize(("address", "ip"), [
    ("203.0.113.9:5000", "203.0.113.9"), ("[2001:db8::7]:443", "2001:db8::7"), ("", None)])
def test_client_ip(address: str, ip: str | None) -> None:
    assert client_ip(address) == ip


def _serve(store: Engine, work: Callable[[RsgiService], Awaitable[T]],
           **overrides: Any) -> T:
    """Run `work` against the RSGI service between its lifespan's startup and shutdown."""
    service = RsgiService(create_app(dataclasses.replace(config(store, Clock(T0)),
                                                         **overrides)))

    async def run() -> T:
        await service.lifespan.startup()
        try:
            return await work(service)
        finally:
            await service.lifespan.shutdown()

    return asyncio.run(run())


def _request(scope: Scope, body: bytes = b"") -> Callable[[RsgiService], Awaitable[Protocol]]:
    async def work(service: RsgiService) -> Protocol:
        protocol = Protocol(body)
        await service.__rsgi__(scope, protocol)
        return protocol
    return work


def _clicks(store: Engine) -> list[Click]:
    with Session(store) as s:
        return list(s.scalars(select(Click)))


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_the_redirect_stores_the_click_then_sends_the_same_302_as_asgi(
        store: Engine, writer: str) -> None:
    seed(store)
    headers = [("user-agent", "Mozilla/5.0"), ("referer", "https://blog.test/post")]
    protocol = _serve(store, _request(Scope("/r/ada", pairs=headers)), click_writer=writer)
    kind, status, got, _body = protocol.only
    assert (kind, status) == ("empty", 302)
    (click,) = _clicks(store)
    assert (click.ip_anon, click.user_agent, click.referer, click.is_bot) == (
        "203.0.113.0", "Mozilla/5.0", "https://blog.test/post", False)
    assert got["location"] == [f"https://www.acme.test/pricing?utm_source=ada&sl_click={click.id}"]
    assert got["set-cookie"] == [f"sl_click={click.id}; Max-Age=2592000; Path=/; SameSite=lax"]
    assert got["cache-control"] == ["no-store"]

    asgi = Client(create_app(config(store, Clock(T0)))).get("/r/ada", headers=dict(headers))
    newest = max(_clicks(store), key=lambda c: c.id)
    assert asgi.status_code == 302
    assert asgi.headers["location"] == got["location"][0].replace(click.id, newest.id)
    assert asgi.headers["set-cookie"] == got["set-cookie"][0].replace(click.id, newest.id)
    assert asgi.headers["cache-control"] == "no-store"


def test_over_https_the_cookie_is_secure(store: Engine) -> None:
    seed(store)
    protocol = _serve(store, _request(Scope("/r/ada", scheme="https")))
    assert protocol.only[2]["set-cookie"][0].endswith("; Secure")


@pytest.mark.parametrize("code", ["nope", "off", "away", "sus"])
def test_codes_that_must_not_redirect_go_to_the_fallback_untracked(
        store: Engine, code: str) -> None:
    seed(store)
    protocol = _serve(store, _request(Scope(f"/r/{code}")))
    _kind, status, got, _body = protocol.only
    assert status == 302 and got["location"] == [FALLBACK] and "set-cookie" not in got
    assert _clicks(store) == []


def test_other_routes_reach_the_starlette_app(store: Engine) -> None:
    seed(store)

    async def work(service: RsgiService) -> list[Protocol]:
        answers = []
        for scope in (Scope("/healthz"), Scope("/r/ada", "POST"), Scope("/t.js"),
                      Scope("/api/v1/affiliates")):
            protocol = Protocol()
            await service.__rsgi__(scope, protocol)
            answers.append(protocol)
        return answers

    health, post, snippet, api = _serve(store, work)
    assert health.only[1] == 200 and health.only[3] == b"ok"
    assert post.only[1] == 405
    assert snippet.only[1] == 200 and b"sl_click" in (snippet.only[3] or b"")
    assert api.only[1] == 401  # no key: the API's own answer
    assert _clicks(store) == []


def test_a_websocket_is_refused(store: Engine) -> None:
    seed(store)
    protocol = _serve(store, _request(Scope("/anything", proto="ws")))
    assert protocol.closed == 1003 and protocol.answers == []
