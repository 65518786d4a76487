"""`RsgiService`: the service as granian's RSGI application. `successlink serve` runs this.

The redirect is the one route hit at an ad campaign's volume, so it is answered right here
on RSGI: no ASGI scope dict, no send/receive round trips, one `response_empty` call. The
same `Redirector` as the ASGI front decides the answer (the click is committed first), so
both servers send the same 302. Everything else goes to the Starlette app through the
bridge (web/asgi_bridge.py), and the app's lifespan runs at worker start and stop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from successlink.web.asgi_bridge import Lifespan, RsgiProtocol, RsgiScope, call_asgi
from successlink.web.redirect_front import PREFIX, RedirectFront


def redirect_code(scope: RsgiScope) -> str | None:
    """The link code when this request is the redirect route's (as RedirectFront decides)."""
    if scope.proto != "http" or scope.method not in ("GET", "HEAD"):
        return None
    path = scope.path
    if not path.startswith(PREFIX):
        return None
    code = path[len(PREFIX):]
    return code if code and "/" not in code else None


def client_ip(address: str) -> str | None:
    host, sep, _port = address.rpartition(":")
    return host.strip("[]") or None if sep else None


class RsgiService:
    """The RSGI application around the ASGI app that `create_app` builds."""

    def __init__(self, front: RedirectFront) -> None:
        self.app = front.app
        self.redirector = front.redirector
        self.lifespan = Lifespan(front.app)

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.lifespan.startup())

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.lifespan.shutdown())

    async def __rsgi__(self, scope: RsgiScope, protocol: Any) -> None:
        code = redirect_code(scope)
        if code is None:
            if scope.proto != "http":  # no websockets here
                protocol.close(1003)
                return
            await call_asgi(self.app, scope, protocol, self.lifespan.state)
            return
        headers = scope.headers
        answer = await self.redirector.answer(
            code, client_ip(scope.client), headers.get("user-agent"), headers.get("referer"),
            secure=scope.scheme == "https")
        rsgi: RsgiProtocol = protocol
        rsgi.response_empty(302, answer)
