"""`LinkCache`: every link's redirect decision in memory, so a click costs no database read.

The redirect must answer in microseconds, so it never reads the store on the hot path. The
cache holds, for every link code, either where to send the visitor (the destination with the
click parameter's place worked out once) or None (disabled link, affiliate not active,
destination outside the program's domains).

How stale it can be (the guarantee docs/program.md states):
- A code the cache has never seen is looked up in the store on the spot (and remembered,
  found or not, until the next reload), so a link created a moment ago works at once.
- Every `check_seconds` (default 1 s) a request sends a cheap fingerprint query to the store
  (counts and sums over `links` and `affiliates`, computed by the database); when it differs
  the whole cache is reloaded. Creating, disabling or re-enabling a link and suspending or
  reactivating an affiliate always change it, so they take effect within about
  `check_seconds` plus the reload time (tens of milliseconds for 10,000 links).
- Edits the fingerprint cannot see (a destination rewritten to one of the same length, or
  two changes that cancel out) are picked up by the unconditional reload every
  `reload_seconds` (default 30 s): that is the hard bound.
- The program's redirect terms (fallback URL, allowed domains, cookie window) are reloaded
  with the links: the fingerprint includes when the program row was last written, so
  `successlink program set` reaches a running service the same way (when the cache was
  given a `terms_loader`; otherwise the terms it was built with stay).
Checks and reloads run in a worker thread; requests never wait for them (except the very
first request, which waits for the first load).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine, case, func, select, true
from sqlalchemy.orm import Session

from successlink.store.affiliates import Affiliate
from successlink.store.program import Program
from successlink.store.tracking import Link
from successlink.web.redirects import CLICK_PARAM, allowed

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
RELOAD_SECONDS = 30.0
MAX_CODE_LENGTH = 64
MAX_REMEMBERED_MISSES = 10_000
# The characters Starlette's RedirectResponse leaves unquoted in a Location header.
LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;"


@dataclass(frozen=True, slots=True)
class RedirectTerms:
    """The program terms a redirect obeys: where an unknown or refused link goes, which
    domains a link may send visitors to, and how long the click cookie lives."""

    fallback_url: str
    domains: tuple[str, ...]
    cookie_days: int


# Reads the terms in force (the program row, else the workspace's settings).
TermsLoader = Callable[[Session], RedirectTerms]


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """Where one link sends a visitor: `before + click_id + after` is the Location;
    `plain` is the destination without a click id (when the click could not be stored)."""

    link_id: int
    affiliate_id: str
    before: str
    after: str
    plain: str

    def location(self, click_id: str) -> str:
        return self.before + click_id + self.after


def click_location_parts(destination: str) -> tuple[str, str]:
    """The Location header around the click id, quoted as RedirectResponse quotes it:
    `redirects.with_click(destination, id)` with the id cut out (any stale click parameter
    dropped, other parameters and the fragment kept)."""
    parts = urlsplit(destination)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k != CLICK_PARAM]
    query = urlencode(kept)
    base = urlunsplit(parts._replace(query="", fragment=""))
    before = f"{base}?{query + '&' if query else ''}{CLICK_PARAM}="
    after = f"#{parts.fragment}" if parts.fragment else ""
    return quote(before, safe=LOCATION_SAFE), quote(after, safe=LOCATION_SAFE)


def _fingerprint_query() -> Any:
    links = select(func.count(), func.coalesce(func.max(Link.id), 0),
                   func.coalesce(func.sum(case((Link.disabled, Link.id), else_=0)), 0),
                   func.coalesce(func.sum(func.length(Link.destination)), 0),
                   func.coalesce(func.sum(func.length(Link.code)), 0)).subquery()
    active = select(func.count(), func.coalesce(func.sum(func.length(Affiliate.id)), 0)) \
        .where(Affiliate.status == "active").subquery()
    terms = select(Program.updated_at).where(Program.id == 1).scalar_subquery()
    return select(*links.c, *active.c, terms).select_from(links.join(active, true()))


class LinkCache:
    """Code -> LinkTarget (or None: known but must not redirect). See the module docstring
    for the staleness bound."""

    def __init__(self, engine: Engine, domains: list[str], *,
                 check_seconds: float = CHECK_SECONDS, reload_seconds: float = RELOAD_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic, fallback_url: str = "",
                 cookie_days: int = 30, terms_loader: TermsLoader | None = None) -> None:
        self.engine = engine
        self.domains = domains
        # Replaced whole on reload, so a request reads one consistent set.
        self.terms = RedirectTerms(fallback_url, tuple(domains), cookie_days)
        self.terms_loader = terms_loader
        self.check_seconds = check_seconds
        self.reload_seconds = reload_seconds
        self._monotonic = monotonic
        self._links: dict[str, LinkTarget | None] | None = None
        self._misses: dict[str, LinkTarget | None] = {}
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked_at = 0.0
        self._loaded_at = 0.0
        self._busy = threading.Lock()  # one check or reload at a time

    async def get(self, code: str) -> LinkTarget | None:
        """Where `code` sends a visitor now, or None (unknown, disabled, not allowed)."""
        if "\x00" in code or len(code) > MAX_CODE_LENGTH:
            return None  # no link has such a code (and PostgreSQL refuses NUL in text)
        links = self._links
        if links is None:
            await asyncio.get_running_loop().run_in_executor(None, self.refresh)
            links = self._links or {}
        elif self._monotonic() - self._checked_at >= self.check_seconds:
            self._refresh_in_background()
        if code in links:
            return links[code]
        if code in self._misses:
            return self._misses[code]
        found = await asyncio.get_running_loop().run_in_executor(None, self._lookup, code)
        if len(self._misses) >= MAX_REMEMBERED_MISSES:
            self._misses = {}
        self._misses[code] = found
        return found

    def _refresh_in_background(self) -> None:
        if self._busy.locked():
            return
        self._checked_at = self._monotonic()  # no second check while this one runs
        asyncio.get_running_loop().run_in_executor(None, self._refresh_quietly)

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception:  # keep serving the last good copy; retried next check
            log.exception("could not refresh the link cache; serving the previous copy")

    def refresh(self, force: bool = False) -> bool:
        """Reload when forced, when the fingerprint changed, or when the last full load is
        older than `reload_seconds`. True when it reloaded."""
        with self._busy:
            now = self._monotonic()
            with Session(self.engine) as s:
                fingerprint = tuple(s.execute(_fingerprint_query()).one())
                stale = force or self._links is None or fingerprint != self._fingerprint \
                    or now - self._loaded_at >= self.reload_seconds
                if stale and self.terms_loader is not None:
                    terms = self.terms_loader(s)
                    if terms != self.terms:
                        self.domains = list(terms.domains)
                        self.terms = terms
                links = self._load(s) if stale else None
            self._checked_at = now
            if links is None:
                return False
            self._links, self._misses = links, {}
            self._fingerprint, self._loaded_at = fingerprint, now
            return True

    def _load(self, session: Session) -> dict[str, LinkTarget | None]:
        rows = session.execute(select(Link.code, Link.id, Link.affiliate_id, Link.destination,
                                      Link.disabled, Affiliate.status)
                               .join(Affiliate, Affiliate.id == Link.affiliate_id))
        return {code: self._target(link_id, affiliate_id, destination, disabled, status)
                for code, link_id, affiliate_id, destination, disabled, status in rows}

    def _lookup(self, code: str) -> LinkTarget | None:
        with Session(self.engine) as s:
            row = s.execute(select(Link.id, Link.affiliate_id, Link.destination, Link.disabled,
                                   Affiliate.status)
                            .join(Affiliate, Affiliate.id == Link.affiliate_id)
                            .where(Link.code == code)).first()
        return None if row is None else self._target(*row)

    def _target(self, link_id: int, affiliate_id: str, destination: str, disabled: bool,
                status: str) -> LinkTarget | None:
        if disabled or status != "active" or not allowed(destination, self.domains):
            return None
        before, after = click_location_parts(destination)
        return LinkTarget(link_id=link_id, affiliate_id=affiliate_id, before=before,
                          after=after, plain=quote(destination, safe=LOCATION_SAFE))
