"""`InboxWriter`: a verified Stripe delivery becomes a durable `webhook_inbox` row, written
by the group commit as a plain row (one multi-row INSERT and one flush per batch, shared
with the clicks), and the sender is answered once it is committed. The inbox processor
(program/inbox.py) does the slow part, recording facts and settling the ledger, later and
in another process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Column, MetaData, Table

from successlink.program.stripe_events import StripeEvent
from successlink.store.inbox import WebhookInbox
from successlink.web.group_commit import GroupCommitter

_TABLE: Table = WebhookInbox.__table__  # type: ignore[assignment]  # a mapped class's Table
# The inbox as its INSERT sees it: without the id, which the database numbers (the group
# commit writes every column a table has, and an explicit NULL id is refused by
# PostgreSQL's identity column).
INBOX_ROWS = Table(_TABLE.name, MetaData(),
                   *(Column(c.name, c.type, key=c.key) for c in _TABLE.c if not c.primary_key))


class InboxWriter:
    """Store verified deliveries for the processor."""

    def __init__(self, committer: GroupCommitter, clock: Callable[[], datetime]) -> None:
        self.committer = committer
        self.clock = clock

    async def store(self, event: StripeEvent, body: str) -> None:
        """Return once the delivery is committed; raises what the group commit raised when
        it could not be stored (the sender must not be told it was received)."""
        await self.committer.insert(INBOX_ROWS, {
            "source": "stripe", "event_id": event.event_id, "event_type": event.event_type,
            "api_version": event.api_version, "body": body, "received_at": self.clock()})
