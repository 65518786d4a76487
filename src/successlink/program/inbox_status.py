"""How the webhook inbox stands: what is waiting, since when, and what failed (for
`successlink webhooks status` and for watching a running service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from successlink.store.inbox import CURSOR_ID, InboxCursor, InboxFailure, WebhookInbox


@dataclass(frozen=True)
class FailedDelivery:
    inbox_id: int
    event_id: str
    attempts: int
    error: str
    first_failed_at: datetime
    next_attempt_at: datetime


@dataclass(frozen=True)
class InboxStatus:
    """`newest_id`: the last row received (ids count deliveries); `pending`: rows past the
    cursor; `oldest_pending_at`: the receipt time of the first of them (how far behind
    processing is); `failed`: rows whose processing raised and that no retry has got
    through yet."""

    newest_id: int
    processed_through: int
    pending: int
    oldest_pending_at: datetime | None
    settled_as_of: datetime | None
    last_batch_at: datetime | None
    failed: list[FailedDelivery]


def inbox_status(engine: Engine, *, failures: int = 20) -> InboxStatus:
    """The inbox now, with up to `failures` unresolved failures (oldest first)."""
    with Session(engine) as s:
        cursor = s.get(InboxCursor, CURSOR_ID)
        last = cursor.last_id if cursor else 0
        newest = s.scalar(select(func.max(WebhookInbox.id))) or 0
        pending, oldest = s.execute(select(func.count(), func.min(WebhookInbox.received_at))
                                    .where(WebhookInbox.id > last)).one()
        rows = s.scalars(select(InboxFailure).where(InboxFailure.resolved_at.is_(None))
                         .order_by(InboxFailure.inbox_id).limit(failures))
        failed = [FailedDelivery(f.inbox_id, f.event_id, f.attempts, f.error,
                                 f.first_failed_at, f.next_attempt_at) for f in rows]
        return InboxStatus(newest_id=int(newest), processed_through=last,
                           pending=int(pending or 0), oldest_pending_at=oldest,
                           settled_as_of=cursor.as_of if cursor else None,
                           last_batch_at=cursor.updated_at if cursor else None, failed=failed)


def unresolved_failures(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(InboxFailure)
                            .where(InboxFailure.resolved_at.is_(None))) or 0)
