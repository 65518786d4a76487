"""Run an ASGI application (the Starlette app) under granian's RSGI interface.

`successlink serve` speaks RSGI, granian's native protocol, because it costs about half of
what ASGI costs per request (no message dicts, no send/receive awaits for a plain response:
measured in docs/benchmarks.md). Only the redirect is written against RSGI directly
(web/rsgi_service.py); every other route stays a Starlette route and reaches it through
`call_asgi`, which turns the RSGI scope and protocol into an ASGI scope, `receive` and
`send`. `Lifespan` runs the app's ASGI lifespan (the group-commit writer, the link cache) at
worker start and stop, which RSGI itself does not have.

What the bridge gives the app, as an ASGI server would: `path` percent-decoded (RSGI
decodes it), `raw_path` re-encoded from it (an escaped `/` in a path comes back as `/`, as
granian's own ASGI does), `query_string` as sent, every header in order with repeats, the
client and server addresses, and the lifespan state. Responses with a single body are sent
with `response_bytes` (granian writes Content-Length itself); a body in several parts is
streamed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol
from urllib.parse import quote

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]],
                    Callable[[Message], Awaitable[None]]], Awaitable[None]]

ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}
PATH_SAFE = "/:@!$&'()*+,;=-._~"


class RsgiHeaders(Protocol):
    def items(self) -> list[tuple[str, str]]: ...
    def get(self, key: str, default: Any = None) -> Any: ...


class RsgiScope(Protocol):
    """The part of granian's RSGI scope the service reads."""

    proto: str
    http_version: str
    server: str
    client: str
    scheme: str
    method: str
    path: str
    query_string: str

    @property
    def headers(self) -> RsgiHeaders: ...


class RsgiStream(Protocol):
    async def send_bytes(self, data: bytes) -> None: ...


class RsgiProtocol(Protocol):
    """The part of granian's RSGI HTTP protocol object the service uses."""

    def __call__(self) -> Awaitable[bytes]: ...
    def client_disconnect(self) -> Awaitable[None]: ...
    def response_empty(self, status: int, headers: list[tuple[str, str]]) -> None: ...
    def response_bytes(self, status: int, headers: list[tuple[str, str]],
                       body: bytes) -> None: ...
    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> RsgiStream: ...


def host_port(address: str) -> tuple[str, int] | None:
    """RSGI's "host:port" (IPv6 as "[::1]:port") as ASGI's (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def asgi_scope(scope: RsgiScope, state: dict[str, Any]) -> Scope:
    return {
        "type": "http", "asgi": ASGI_VERSION, "http_version": scope.http_version,
        "method": scope.method, "scheme": scope.scheme, "path": scope.path,
        "raw_path": quote(scope.path, safe=PATH_SAFE).encode("ascii"),
        "query_string": scope.query_string.encode("latin-1"), "root_path": "",
        "headers": [(name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in scope.headers.items()],
        "client": host_port(scope.client), "server": host_port(scope.server),
        "state": dict(state),
    }


async def call_asgi(app: ASGIApp, scope: RsgiScope, protocol: RsgiProtocol,
                    state: dict[str, Any]) -> None:
    """Answer one RSGI request with the ASGI `app`."""
    body_read = False

    async def receive() -> Message:
        nonlocal body_read
        if not body_read:
            body_read = True
            return {"type": "http.request", "body": await protocol(), "more_body": False}
        await protocol.client_disconnect()
        return {"type": "http.disconnect"}

    status = 500
    headers: list[tuple[str, str]] = []
    stream: RsgiStream | None = None
    started = finished = False

    async def send(message: Message) -> None:
        nonlocal status, headers, stream, started, finished
        kind = message["type"]
        if kind == "http.response.start":
            if started:
                raise RuntimeError("the app started its response twice")
            started = True
            status = message["status"]
            headers = [(name.decode("latin-1").lower(), value.decode("latin-1"))
                       for name, value in message.get("headers", ())]
        elif kind == "http.response.body":
            if not started or finished:
                raise RuntimeError("the app sent a body outside a response")
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if stream is None and not more:
                protocol.response_bytes(status, [h for h in headers
                                                 if h[0] != "content-length"], body)
                finished = True
                return
            if stream is None:
                stream = protocol.response_stream(status, headers)
            if body:
                await stream.send_bytes(body)
            finished = not more

    try:
        await app(asgi_scope(scope, state), receive, send)
    except Exception:
        log.exception("unhandled error in %s %s", scope.method, scope.path)
        if not started:
            protocol.response_bytes(500, [("content-type", "text/plain; charset=utf-8")],
                                    b"Internal Server Error")
        return
    if not started:  # the app returned without answering
        protocol.response_bytes(500, [("content-type", "text/plain; charset=utf-8")],
                                b"Internal Server Error")


class LifespanError(RuntimeError):
    """The app's lifespan startup or shutdown failed."""


class Lifespan:
    """The ASGI lifespan protocol, driven by the RSGI worker's start and stop hooks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._inbox: asyncio.Queue[Message] | None = None
        self._events: dict[str, asyncio.Future[Message]] = {}
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        loop = asyncio.get_running_loop()
        self._inbox = asyncio.Queue()
        self._events = {"startup": loop.create_future(), "shutdown": loop.create_future()}
        self._task = loop.create_task(self._run())
        await self._step("startup")

    async def shutdown(self) -> None:
        if self._task is None:
            return
        await self._step("shutdown")
        await self._task

    async def _step(self, phase: str) -> None:
        assert self._inbox is not None
        await self._inbox.put({"type": f"lifespan.{phase}"})
        reply = await self._events[phase]
        if reply["type"].endswith(".failed"):
            raise LifespanError(f"the service's {phase} failed: {reply.get('message', '')}")

    async def _run(self) -> None:
        assert self._inbox is not None
        inbox = self._inbox

        async def receive() -> Message:
            return await inbox.get()

        async def send(message: Message) -> None:
            phase = message["type"].split(".")[1]  # lifespan.<phase>.complete|failed
            future = self._events[phase]
            if not future.done():
                future.set_result(message)

        try:
            await self.app({"type": "lifespan", "asgi": ASGI_VERSION, "state": self.state},
                           receive, send)
        except BaseException as exc:
            for future in self._events.values():
                if not future.done():
                    future.set_result({"type": "lifespan.failed", "message": repr(exc)})
            if not isinstance(exc, Exception):
                raise
