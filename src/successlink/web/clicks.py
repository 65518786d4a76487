"""`ClickRecorder`: a visit through a link becomes a durable click row, without the ORM.

The redirect and the tracking API share it: the link comes from the in-memory LinkCache and
the click is a Core row handed to the GroupCommitter, so the caller resumes only once the
row is committed (on disk) in a batch with other requests' clicks.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Table

from successlink.store.tracking import Click
from successlink.web.link_cache import LinkCache, LinkTarget
from successlink.web.redirects import anonymise_ip, looks_like_bot

CLICKS: Table = Click.__table__  # type: ignore[assignment]  # a mapped class's Table
# Parsing an address or scanning a user agent costs microseconds; the same visitors and
# browsers come back again and again, so remember the answers (pure functions).
_anonymise = lru_cache(maxsize=4096)(anonymise_ip)
_is_bot = lru_cache(maxsize=4096)(looks_like_bot)


class ClickIds:
    """UUIDv7 click ids (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Time-ordered ids land next to each other in the clicks primary-key index, so a batch of
    clicks dirties one or two index pages instead of one page per click (random UUIDv4 keys
    made every group commit write and fsync ~4 KiB per click). The random part still makes
    an id impossible to guess. Random bytes are read from the OS 4 KiB at a time rather than
    per id: one system call per 400 clicks."""

    _POOL = 4_000

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._at + 10 > len(self._pool):
                self._pool, self._at = os.urandom(self._POOL), 0
            rand = self._pool[self._at:self._at + 10]
            self._at += 10
        value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(rand, "big")
        value = value & ~(0xF << 76) | 0x7 << 76        # version 7
        value = value & ~(0x3 << 62) | 0x2 << 62        # RFC 9562 variant
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class RowWriter(Protocol):
    """Where clicks are committed: the group-commit thread or the writer process."""

    async def insert(self, table: Table, row: Mapping[str, Any]) -> None: ...


class ClickRecorder:
    """Look up a code, store its click, say where to send the visitor."""

    def __init__(self, links: LinkCache, committer: RowWriter,
                 clock: Callable[[], datetime]) -> None:
        self.links = links
        self.committer = committer
        self.clock = clock
        self.new_id = ClickIds()

    async def record(self, code: str, ip: str | None, user_agent: str | None,
                     referer: str | None) -> tuple[str, LinkTarget] | None:
        """(click id, target) once the click is committed; None when the code must not
        redirect (unknown, disabled, affiliate not active, destination not allowed).
        Raises what the group commit raised when the click could not be stored."""
        target = await self.links.get(code)
        if target is None:
            return None
        click_id = self.new_id()
        await self.committer.insert(CLICKS, {
            "id": click_id, "link_id": target.link_id, "affiliate_id": target.affiliate_id,
            "clicked_at": self.clock(), "ip_anon": _anonymise(ip),
            "user_agent": (user_agent or "")[:512] or None,
            "referer": (referer or "")[:2048] or None,
            "is_bot": _is_bot(user_agent)})
        return click_id, target
