"""Processing the webhook inbox: one transaction takes the next pending deliveries in id
order, records their facts and settles the ledger (`process_batch`), and moves the cursor
past them, all committed together.

Why a cursor in the same transaction: the effects and "these rows are done" commit as one,
so a crash at any point leaves each row either done with its effects or pending without
them; no delivery is processed twice (the event id in `webhook_events` guards that too)
and none is skipped. A delivery whose processing raises is rolled back alone (its own
SAVEPOINT), recorded in `webhook_inbox_failures` and passed, so one poisoned delivery cannot
hold up the rest; it is retried with a growing delay (`retry_failures`).

Only one processor works at a time: each transaction first takes the store's write lock
(SQLite: `BEGIN IMMEDIATE`) or the cursor row's lock (PostgreSQL: `SELECT ... FOR UPDATE`),
so concurrent processors take turns. On PostgreSQL inbox ids are handed out at insert
time but become visible at commit, possibly out of order: a processor could see id 101
committed while id 100 is still in flight, move the cursor past 100 and never process it.
So it first waits, under a brief SHARE lock on the inbox, for the inserts in flight to end
and takes the largest id then as its horizon; nothing at or below it can appear later.
SQLite has one writer at a time, so ids become visible in order and need no horizon.

Settlement time: a batch is settled as of the latest receipt time among its rows (what the
service settled a delivery by when it processed it inline), and never earlier than a batch
before it (`webhook_inbox_cursor.as_of`), so the ledger never goes back in time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from successlink.program.stripe_events import EventError, StripeEvent, read_event
from successlink.program.webhooks import WebhookResult, WebhookSettings, process_batch
from successlink.store.connect import begin_immediate
from successlink.store.inbox import CURSOR_ID, InboxCursor, InboxFailure, WebhookInbox

log = logging.getLogger(__name__)

# About 50 ms of settlement on one core. On SQLite the batch's transaction holds the write
# lock, and the service's acknowledgements (and clicks) wait behind it: every delivery in
# flight waits up to one batch, so at 64 connections 128-row batches capped acknowledgements
# near 690/s and 64-row batches reached about 840/s, with processing no slower (710-740/s);
# 32-row batches process markedly less per second (docs/benchmarks.md).
BATCH = 64
RETRY_BATCH = 16
RETRY_FIRST = timedelta(seconds=10)
RETRY_MOST = timedelta(hours=1)

Process = Callable[[Session, Sequence[StripeEvent], WebhookSettings, datetime],
                   list[WebhookResult]]
SettingsFor = Callable[[Session], WebhookSettings]


@dataclass
class InboxCounts:
    """What a run of the processor did: the rows it moved past by outcome (`failed`: their
    processing raised and was recorded for a retry), then the retries of earlier failures
    (`recovered`: got through at last, `still_failing`: failed again)."""

    processed: int = 0
    ignored: int = 0
    duplicate: int = 0
    failed: int = 0
    recovered: int = 0
    still_failing: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Inbox rows the cursor moved past."""
        return self.processed + self.ignored + self.duplicate + self.failed

    def add(self, other: InboxCounts) -> None:
        self.processed += other.processed
        self.ignored += other.ignored
        self.duplicate += other.duplicate
        self.failed += other.failed
        self.recovered += other.recovered
        self.still_failing += other.still_failing
        self.batches += other.batches
        self.errors += other.errors

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def pending_estimate(engine: Engine) -> int:
    """About how many inbox rows are past the cursor (the newest id minus the cursor: exact
    unless ids were skipped): two index lookups, cheap enough to poll."""
    newest = select(func.max(WebhookInbox.id)).scalar_subquery()
    done = select(InboxCursor.last_id).where(InboxCursor.id == CURSOR_ID).scalar_subquery()
    with engine.connect() as con:
        top, last = con.execute(select(newest, done)).one()
    return max(0, (top or 0) - (last or 0))


def has_pending(engine: Engine) -> bool:
    """Whether any inbox row is past the cursor."""
    return pending_estimate(engine) > 0


def process_next(engine: Engine, settings_for: SettingsFor, now: datetime, *,
                 limit: int = BATCH, process: Process = process_batch) -> InboxCounts:
    """Process up to `limit` pending rows in one transaction (see the module docstring);
    empty counts when nothing is pending. `settings_for(session)` gives the plans and terms
    in force; `process` is `process_batch` (the tests wrap it to inject failures)."""
    horizon = _visible_horizon(engine)
    counts = InboxCounts()
    with Session(engine) as s, s.begin():
        cursor = _lock_cursor(s)
        query = select(WebhookInbox).where(WebhookInbox.id > cursor.last_id)
        if horizon is not None:
            query = query.where(WebhookInbox.id <= horizon)
        rows = list(s.scalars(query.order_by(WebhookInbox.id).limit(limit)))
        if not rows:
            return counts
        settings = settings_for(s)
        as_of = max([r.received_at for r in rows] + ([cursor.as_of] if cursor.as_of else []))
        for row, outcome in zip(rows, _run(s, rows, settings, as_of, process), strict=True):
            if isinstance(outcome, str):
                counts.count(outcome)
            else:
                counts.failed += 1
                counts.errors.append(f"inbox row {row.id} ({row.event_id}): {outcome}")
                s.add(InboxFailure(inbox_id=row.id, event_id=row.event_id, attempts=1,
                                   error=str(outcome), first_failed_at=now,
                                   last_failed_at=now, next_attempt_at=now + RETRY_FIRST,
                                   resolved_at=None, outcome=None))
        cursor.last_id, cursor.as_of, cursor.updated_at = rows[-1].id, as_of, now
        counts.batches = 1
    return counts


def retry_failures(engine: Engine, settings_for: SettingsFor, now: datetime, *,
                   limit: int = RETRY_BATCH, failed_before: datetime | None = None,
                   process: Process = process_batch) -> InboxCounts:
    """Retry up to `limit` failed rows whose next attempt is due (with `failed_before`:
    every row that last failed before then, due or not), one by one, in one transaction. A
    row that goes through is marked resolved with its outcome (a `duplicate` when Stripe's
    redelivery got in first); one that fails again waits twice as long as before, at most
    an hour."""
    counts = InboxCounts()
    with Session(engine) as s, s.begin():
        cursor = _lock_cursor(s)
        query = select(InboxFailure, WebhookInbox).join(
            WebhookInbox, WebhookInbox.id == InboxFailure.inbox_id).where(
            InboxFailure.resolved_at.is_(None))
        query = query.where(InboxFailure.next_attempt_at <= now if failed_before is None
                            else InboxFailure.last_failed_at < failed_before)
        due = [(f, r) for f, r in s.execute(query.order_by(InboxFailure.inbox_id).limit(limit))]
        if not due:
            return counts
        settings = settings_for(s)
        for failure, row in due:
            as_of = max(row.received_at, cursor.as_of or row.received_at)
            (outcome,) = _run(s, [row], settings, as_of, process)
            if isinstance(outcome, str):
                failure.resolved_at, failure.outcome = now, outcome
                counts.recovered += 1
            else:
                failure.attempts += 1
                failure.error, failure.last_failed_at = str(outcome), now
                failure.next_attempt_at = now + min(RETRY_MOST,
                                                    RETRY_FIRST * 2 ** (failure.attempts - 1))
                counts.still_failing += 1
                counts.errors.append(f"inbox row {row.id} ({row.event_id}): {outcome}")
        counts.batches = 1
    return counts


def has_due_failures(engine: Engine, now: datetime) -> bool:
    with engine.connect() as con:
        return con.execute(select(InboxFailure.inbox_id).where(
            InboxFailure.resolved_at.is_(None), InboxFailure.next_attempt_at <= now
        ).limit(1)).first() is not None


def _run(s: Session, rows: Sequence[WebhookInbox], settings: WebhookSettings, as_of: datetime,
         process: Process) -> list[str | Exception]:
    """Each row's outcome (processed, ignored, duplicate) or the exception that stopped it:
    all rows in one call when that works, else row by row, each in its own savepoint."""
    events: list[StripeEvent | Exception] = [_read(row, settings) for row in rows]
    readable = [e for e in events if isinstance(e, StripeEvent)]
    if len(readable) == len(events):
        try:
            with s.begin_nested():
                results = process(s, readable, settings, as_of)
            # A rejected event left no trace and the others went on (process_batch).
            return [r.outcome if r.outcome != "rejected" else _rejected(r) for r in results]
        except (OperationalError, InterfaceError):
            raise  # the database, not a delivery: the whole transaction is retried later
        except Exception:
            if len(rows) == 1:
                pass  # run it alone below, which records why
            else:
                log.warning("a batch of %d inbox rows failed as a whole; processing them "
                            "one by one", len(rows), exc_info=True)
    return [_alone(s, event, settings, as_of, process) if isinstance(event, StripeEvent)
            else event for event in events]


def _alone(s: Session, event: StripeEvent, settings: WebhookSettings, as_of: datetime,
           process: Process) -> str | Exception:
    for attempt in range(2):
        try:
            with s.begin_nested():
                (result,) = process(s, [event], settings, as_of)
            return result.outcome if result.outcome != "rejected" else _rejected(result)
        except (OperationalError, InterfaceError):
            raise
        except IntegrityError as exc:
            # Another writer stored this event id first (the service processing inline, or a
            # processor on another host): run once more, and it is the duplicate it is.
            if attempt:
                return exc
        except Exception as exc:
            log.warning("inbox delivery %s failed: %s", event.event_id, exc, exc_info=True)
            return exc
    raise AssertionError("unreachable")  # pragma: no cover


def _rejected(result: WebhookResult) -> Exception:
    return EventError(f"event {result.event_id} cannot be stored: {result.reason}")


def _read(row: WebhookInbox, settings: WebhookSettings) -> StripeEvent | Exception:
    """The stored body parsed again (it was read before it was stored, so this fails only if
    the reader changed since)."""
    try:
        return read_event(row.body.encode(), affiliate_key=settings.affiliate_key)
    except EventError as exc:
        return exc


def _lock_cursor(s: Session) -> InboxCursor:
    """The cursor row, locked for this transaction: processors take turns."""
    if s.get_bind().dialect.name == "sqlite":
        # The write lock up front: another processor waits here (busy timeout), not at its
        # first write after reading a cursor that is about to move.
        begin_immediate(lambda sql: s.execute(text(sql)))
    cursor = s.scalars(select(InboxCursor).where(InboxCursor.id == CURSOR_ID)
                       .with_for_update()).one_or_none()
    if cursor is None:  # a store built without the migrations (tests' create_all)
        cursor = InboxCursor(id=CURSOR_ID, last_id=0, as_of=None, updated_at=None)
        s.add(cursor)
        s.flush()
    return cursor


def _visible_horizon(engine: Engine) -> int | None:
    """PostgreSQL: the largest inbox id after every insert in flight has ended (see the
    module docstring); None on SQLite, where ids become visible in order."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.begin() as con:
        # SHARE waits for the transactions holding ROW EXCLUSIVE (the inserters) and keeps
        # new ones out for the moment it takes to read the maximum.
        con.execute(text("LOCK TABLE webhook_inbox IN SHARE MODE"))
        top = con.scalar(select(func.max(WebhookInbox.id)))
    return int(top or 0)
