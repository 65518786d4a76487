"""The inbox processor's loops: `drain` (everything pending now, then return) and `run`
(until told to stop: process while rows are pending, poll cheaply when none are).

Polling, not notifications: `pending_estimate` is two index lookups, so a look every 50 ms
costs nothing noticeable and works the same on SQLite and PostgreSQL. A batch starts when a
full one is waiting or when the first waiting row has waited `linger_seconds`: a batch's
fixed cost (two dozen queries and a commit) is shared by more deliveries, which matters
when deliveries arrive about as fast as they are processed; otherwise the processor would
keep up with tiny batches at several times the cost per delivery, holding SQLite's write
lock far more often. Failed rows are retried when due, looked for at most once a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from successlink.program.inbox import (
    BATCH,
    InboxCounts,
    SettingsFor,
    has_due_failures,
    pending_estimate,
    process_next,
    retry_failures,
)
from successlink.timeline import utc_now

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
LINGER_SECONDS = 0.2
RETRY_CHECK_SECONDS = 1.0
ERROR_PAUSE_SECONDS = (0.5, 30.0)  # after a failed transaction: first pause, longest


def drain(engine: Engine, settings_for: SettingsFor, *, batch: int = BATCH,
          retry_all_failed: bool = False) -> InboxCounts:
    """Process every row pending now (and rows that arrive meanwhile), then retry the
    failed rows that are due (`retry_all_failed`: every failed row, due or not, once)."""
    started = utc_now()
    counts = InboxCounts()
    while True:
        done = process_next(engine, settings_for, utc_now(), limit=batch)
        if not done.batches:
            break
        counts.add(done)
    while True:
        retried = retry_failures(engine, settings_for, utc_now(),
                                 failed_before=started if retry_all_failed else None)
        if not retried.batches:
            break
        counts.add(retried)
    return counts


def run(engine: Engine, settings_for: SettingsFor, stop: threading.Event, *,
        batch: int = BATCH, poll_seconds: float = POLL_SECONDS,
        linger_seconds: float = LINGER_SECONDS,
        on_batch: Callable[[InboxCounts], None] | None = None) -> InboxCounts:
    """Process the inbox until `stop` is set; a failed transaction (the database away, a
    lock timeout) is logged and tried again after a pause that doubles up to 30 s. Returns
    the totals."""
    totals = InboxCounts()
    pause = ERROR_PAUSE_SECONDS[0]
    next_retry_check = 0.0
    waiting_since: float | None = None  # when rows were first seen waiting
    while not stop.is_set():
        try:
            worked = False
            pending = pending_estimate(engine)
            now = time.monotonic()
            if pending and waiting_since is None:
                waiting_since = now
            if pending >= batch or (pending and now - (waiting_since or now) >= linger_seconds):
                done = process_next(engine, settings_for, utc_now(), limit=batch)
                worked = done.batches > 0
                waiting_since = None
                totals.add(done)
                if on_batch is not None and worked:
                    on_batch(done)
            if not pending and time.monotonic() >= next_retry_check:
                next_retry_check = time.monotonic() + RETRY_CHECK_SECONDS
                if has_due_failures(engine, utc_now()):
                    totals.add(retry_failures(engine, settings_for, utc_now()))
            pause = ERROR_PAUSE_SECONDS[0]
        except Exception:
            log.exception("the webhook inbox processor failed; trying again in %.1f s", pause)
            stop.wait(pause)
            pause = min(pause * 2, ERROR_PAUSE_SECONDS[1])
            continue
        if not worked:
            stop.wait(poll_seconds)
    return totals
