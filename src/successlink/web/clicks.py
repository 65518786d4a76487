"""`ClickRecorder`: a visit through a link becomes a durable click row, without the ORM.

The redirect and the tracking API share it: the link comes from the in-memory LinkCache and
the click is a Core row handed to the GroupCommitter, so the caller resumes only once the
row is committed (on disk) in a batch with other requests' clicks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Table

from successlink.store.tracking import Click
from successlink.web.group_commit import GroupCommitter
from successlink.web.link_cache import LinkCache, LinkTarget
from successlink.web.redirects import anonymise_ip, looks_like_bot

CLICKS: Table = Click.__table__  # type: ignore[assignment]  # a mapped class's Table
# Parsing an address or scanning a user agent costs microseconds; the same visitors and
# browsers come back again and again, so remember the answers (pure functions).
_anonymise = lru_cache(maxsize=4096)(anonymise_ip)
_is_bot = lru_cache(maxsize=4096)(looks_like_bot)


class ClickRecorder:
    """Look up a code, store its click, say where to send the visitor."""

    def __init__(self, links: LinkCache, committer: GroupCommitter,
                 clock: Callable[[], datetime]) -> None:
        self.links = links
        self.committer = committer
        self.clock = clock

    async def record(self, code: str, ip: str | None, user_agent: str | None,
                     referer: str | None) -> tuple[str, LinkTarget] | None:
        """(click id, target) once the click is committed; None when the code must not
        redirect (unknown, disabled, affiliate not active, destination not allowed).
        Raises what the group commit raised when the click could not be stored."""
        target = await self.links.get(code)
        if target is None:
            return None
        click_id = str(uuid.uuid4())
        await self.committer.insert(CLICKS, {
            "id": click_id, "link_id": target.link_id, "affiliate_id": target.affiliate_id,
            "clicked_at": self.clock(), "ip_anon": _anonymise(ip),
            "user_agent": (user_agent or "")[:512] or None,
            "referer": (referer or "")[:2048] or None,
            "is_bot": _is_bot(user_agent)})
        return click_id, target
