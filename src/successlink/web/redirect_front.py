"""`RedirectFront`: `GET|HEAD /r/{code}` answered by a bare ASGI callable in front of the
Starlette app; every other request (and the lifespan) goes through to the app untouched.

Starlette's routing, request and response objects cost more per request than the redirect
itself; the redirect is the one route hit at the volume of an ad campaign, so it is written
against the ASGI interface directly. It matches exactly what the Starlette route would
(`/r/` and one non-empty path segment, after the root path), and sends what
RedirectResponse would: 302, Location quoted the same way, the sl_click cookie, no-store.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from successlink.web.clicks import ClickRecorder
from successlink.web.link_cache import LOCATION_SAFE, RedirectTerms
from successlink.web.redirects import COOKIE_NAME

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/r/"


def redirect_code(scope: Scope) -> str | None:
    """The link code when this request is the redirect route's, else None."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    if not path.startswith(PREFIX):
        return None
    code = path[len(PREFIX):]
    return code if code and "/" not in code else None


class RedirectFront:
    """The ASGI app to serve: the redirect route itself, everything else to `app`."""

    def __init__(self, app: ASGIApp, redirector: Redirector) -> None:
        self.app = app
        self.redirector = redirector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        code = redirect_code(scope)
        if code is None:
            await self.app(scope, receive, send)
            return
        await self.redirector.redirect(scope, code, send)


class Redirector:
    """The redirect's answer; also an ASGI endpoint for the Starlette route (reached only
    when the app is served without the front)."""

    def __init__(self, clicks: ClickRecorder) -> None:
        self.clicks = clicks
        self._terms: RedirectTerms | None = None
        self._fallback = self._cookie_tail = ""

    def _answers(self) -> tuple[str, str]:
        """(fallback Location, cookie attributes) for the terms in force: the link cache
        replaces its terms when the program's change (`program set`), so they are worked
        out again only then."""
        terms = self.clicks.links.terms
        if terms is not self._terms:
            self._fallback = quote(terms.fallback_url, safe=LOCATION_SAFE)
            self._cookie_tail = f"; Max-Age={terms.cookie_days * 86_400}; Path=/; SameSite=lax"
            self._terms = terms
        return self._fallback, self._cookie_tail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.redirect(scope, scope["path_params"]["code"], send)

    async def redirect(self, scope: Scope, code: str, send: Send) -> None:
        """302 to the link's destination with the click id, once the click is stored."""
        user_agent = referer = None
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif name == b"referer":
                referer = value.decode("latin-1")
        client = scope.get("client")
        answer = await self.answer(code, client[0] if client else None, user_agent, referer,
                                   secure=scope.get("scheme") == "https")
        headers = [(b"content-length", b"0")]
        headers += [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer]
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def answer(self, code: str, ip: str | None, user_agent: str | None,
                     referer: str | None, *, secure: bool) -> list[tuple[str, str]]:
        """The 302's headers (besides its length): Location, the cookie, no-store. Shared by
        the ASGI front and the RSGI service (web/rsgi_service.py)."""
        headers = [("cache-control", "no-store")]
        fallback, cookie_tail = self._answers()
        try:
            found = await self.clicks.record(code, ip, user_agent, referer)
        except Exception:  # send the visitor on, untracked, and say so in the log
            log.exception("could not store a click on %r; redirecting without a click id", code)
            target = await self.clicks.links.get(code)
            headers.append(("location", target.plain if target else fallback))
        else:
            if found is None:
                headers.append(("location", fallback))
            else:
                click_id, target = found
                cookie = COOKIE_NAME + "=" + click_id + cookie_tail
                if secure:
                    cookie += "; Secure"
                headers.append(("location", target.location(click_id)))
                headers.append(("set-cookie", cookie))
        return headers
