"""The RSGI-to-ASGI bridge: what the ASGI app sees of a request, and how its answers go out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from successlink.web.asgi_bridge import Lifespan, LifespanError, call_asgi, host_port
from tests.web.rsgi_fakes import Protocol, Scope


def _app(log: list[str] | None = None) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({
            "method": request.method, "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query, "params": request.query_params.getlist("x"),
            "headers": request.headers.getlist("x-tag"), "ua": request.headers.get("user-agent"),
            "client": list(request.client or ()), "server": list(request.scope["server"]),
            "scheme": request.url.scheme, "body": body.decode(),
            "state": getattr(request.state, "started", None)})

    async def stream(_request: Request) -> Response:
        async def parts() -> AsyncIterator[bytes]:
            for part in (b"one,", b"two,", b"three"):
                yield part
        return StreamingResponse(parts(), media_type="text/csv")

    async def boom(_request: Request) -> Response:
        raise RuntimeError("boom")

    async def cookies(_request: Request) -> Response:
        response = PlainTextResponse("ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if log is not None:
            log.append("startup")
        yield {"started": "yes"}
        if log is not None:
            log.append("shutdown")

    return Starlette(lifespan=lifespan, routes=[
        Route("/echo/{rest:path}", echo, methods=["GET", "POST", "HEAD"]),
        Route("/stream", stream), Route("/boom", boom), Route("/cookies", cookies)])


def _call(app: Any, scope: Scope, protocol: Protocol, state: dict[str, Any] | None = None
          ) -> None:
    asyncio.run(call_asgi(app, scope, protocol, state or {}))


def test_the_app_sees_the_request_as_an_asgi_server_would_pass_it() -> None:
    scope = Scope("/echo/a b/é", "POST", "x=%20y&x=2",
                  [("host", "svc.test"), ("user-agent", "Mozilla/5.0"), ("x-tag", "A"),
                   ("x-tag", "B"), ("content-type", "application/json")],
                  client="[2001:db8::1]:4444", scheme="https")
    protocol = Protocol(b'{"hello": 1}')
    _call(_app(), scope, protocol, {"started": "yes"})
    kind, status, headers, body = protocol.only
    assert (kind, status) == ("bytes", 200)
    assert "content-length" not in headers  # granian writes it for a bytes response
    assert headers["content-type"] == ["application/json"]
    seen = orjson.loads(body or b"")
    assert seen == {"method": "POST", "path": "/echo/a b/é",
                    "raw_path": "/echo/a%20b/%C3%A9", "query": "x=%20y&x=2",
                    "params": [" y", "2"], "headers": ["A", "B"], "ua": "Mozilla/5.0",
                    "client": ["2001:db8::1", 4444], "server": ["127.0.0.1", 8000],
                    "scheme": "https", "body": '{"hello": 1}', "state": "yes"}


def test_repeated_response_headers_are_all_sent() -> None:
    protocol = Protocol()
    _call(_app(), Scope("/cookies"), protocol)
    _kind, status, headers, body = protocol.only
    assert status == 200 and body == b"ok"
    assert [c.split(";")[0] for c in headers["set-cookie"]] == ["a=1", "b=2"]


def test_a_body_in_parts_is_streamed_in_order() -> None:
    protocol = Protocol()
    _call(_app(), Scope("/stream"), protocol)
    kind, status, headers, _body = protocol.only
    assert (kind, status) == ("stream", 200)
    assert headers["content-type"][0].startswith("text/csv")
    assert protocol.stream is not None
    assert b"".join(protocol.stream.chunks) == b"one,two,three"


def test_routing_answers_pass_through() -> None:
    missing, wrong_method = Protocol(), Protocol()
    _call(_app(), Scope("/nowhere"), missing)
    _call(_app(), Scope("/stream", "POST"), wrong_method)
    assert missing.only[1] == 404
    assert wrong_method.only[1] == 405


def test_an_app_error_is_a_500_not_a_hung_request(caplog: pytest.LogCaptureFixture) -> None:
    protocol = Protocol()
    _call(_app(), Scope("/boom"), protocol)
    assert protocol.only[1] == 500
    assert "unhandled error in GET /boom" in caplog.text


def test_an_app_that_never_answers_gets_a_500() -> None:
    async def silent(_scope: Any, _receive: Any, _send: Any) -> None:
        return None

    protocol = Protocol()
    _call(silent, Scope("/x"), protocol)
    assert protocol.only[1] == 500


def test_receive_after_the_body_waits_for_the_client_to_go() -> None:
    seen: list[dict[str, Any]] = []

    async def app(_scope: Any, receive: Any, send: Any) -> None:
        seen.append(await receive())
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def run() -> Protocol:
        protocol = Protocol(b"payload")
        task = asyncio.create_task(call_asgi(app, Scope("/x", "POST"), protocol, {}))
        await asyncio.sleep(0.01)
        assert len(seen) == 1 and not task.done()  # still waiting: the client is there
        protocol.disconnected.set()
        await task
        return protocol

    protocol = asyncio.run(run())
    assert seen == [{"type": "http.request", "body": b"payload", "more_body": False},
                    {"type": "http.disconnect"}]
    assert protocol.only[1] == 204


def test_the_lifespan_runs_startup_then_shutdown_and_shares_its_state() -> None:
    log: list[str] = []
    app = _app(log)
    lifespan = Lifespan(app)

    async def run() -> Protocol:
        await lifespan.startup()
        assert log == ["startup"]
        protocol = Protocol()
        await call_asgi(app, Scope("/echo/x"), protocol, lifespan.state)
        await lifespan.shutdown()
        return protocol

    protocol = asyncio.run(run())
    assert log == ["startup", "shutdown"]
    assert orjson.loads(protocol.only[3] or b"")["state"] == "yes"


def test_a_failing_startup_stops_the_worker_with_the_reason() -> None:
    @contextlib.asynccontextmanager
    async def broken(_app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("no store")
        yield  # pragma: no cover

    lifespan = Lifespan(Starlette(lifespan=broken))
    with pytest.raises(LifespanError, match=r"(?s)startup failed.*no store"):
        asyncio.run(lifespan.startup())


@pytest.mark.parametrize(("address", "parsed"), [
    ("127.0.0.1:8000", ("127.0.0.1", 8000)),
    ("[::1]:51000", ("::1", 51000)),
    ("", None),
    ("unix-socket", None),
])
def test_host_port(address: str, parsed: tuple[str, int] | None) -> None:
    assert host_port(address) == parsed
