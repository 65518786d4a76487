"""The webhook inbox processor: deliveries stored first and processed after end in exactly
the rows and ledger of processing them as they arrive, whatever the batching, duplication
and order; a crash mid-batch loses and repeats nothing; a failing delivery is set aside,
retried, and gets through once fixed; concurrent processors take turns."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from successlink.program.inbox import (
    RETRY_FIRST,
    has_due_failures,
    has_pending,
    process_next,
    retry_failures,
)
from successlink.program.inbox_loop import drain, run
from successlink.program.inbox_status import inbox_status
from successlink.program.stripe_events import StripeEvent, read_event
from successlink.program.webhooks import WebhookResult, WebhookSettings, process_batch
from successlink.store.inbox import InboxCursor, InboxFailure, WebhookInbox
from successlink.store.sales import Refund
from successlink.store.webhooks import WebhookEvent
from tests.program.stripe_data import paying_customer, ruby_mock_bodies, with_id
from tests.program.test_webhooks import (
    LAGGING,
    _batched,
    _deliver,
    _events,
    _ledger,
    _memory_store,
    _rows,
)

RECEIVED = datetime(2020, 9, 14, tzinfo=UTC)  # every event is in before settlement reaches it
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)  # before the real clock: drain() reads that


def _lagging(_s: Session) -> WebhookSettings:
    return LAGGING


def _receive(store: Engine, bodies: Sequence[bytes], at: datetime = RECEIVED) -> None:
    """What the service stores for each verified delivery before it answers."""
    with Session(store) as s, s.begin():
        for body in bodies:
            event = read_event(body)
            s.add(WebhookInbox(source="stripe", event_id=event.event_id,
                               event_type=event.event_type, api_version=event.api_version,
                               body=body.decode(), received_at=at))


def _inline(batches: list[list[bytes]]) -> tuple[Engine, Counter[str]]:
    """The deliveries processed as they arrive, one by one (the service without an inbox)."""
    store = next(_memory_store())
    outcomes = Counter(_deliver(store, body, RECEIVED, LAGGING)
                       for batch in batches for body in batch)
    return store, outcomes


def _cursor(store: Engine) -> int:
    with Session(store) as s:
        return int(s.scalar(select(InboxCursor.last_id)) or 0)


def _count(store: Engine, table: type) -> int:
    with Session(store) as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


@settings(max_examples=10, deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # shrinking a DB run is slow
@given(_batched(_events()), st.lists(st.integers(1, 6), min_size=1, max_size=6))
def test_inbox_then_processor_stores_what_inline_processing_stores(
        batches: list[list[bytes]], limits: list[int]) -> None:
    # Deliveries arrive in `batches` (any order, with repeats); between arrivals the
    # processor takes batches of any size, then the rest is drained.
    inline, outcomes = _inline(batches)
    inboxed = next(_memory_store())
    counts = Counter[str]()
    for n, batch in enumerate(batches):
        _receive(inboxed, batch)
        done = process_next(inboxed, _lagging, NOW, limit=limits[n % len(limits)])
        counts.update(processed=done.processed, ignored=done.ignored, duplicate=done.duplicate)
    rest = drain(inboxed, _lagging, batch=limits[0])
    counts.update(processed=rest.processed, ignored=rest.ignored, duplicate=rest.duplicate)
    assert +counts == outcomes
    assert outcomes["processed"] == len(_events())
    assert _rows(inboxed) == _rows(inline)
    assert _cursor(inboxed) == sum(len(b) for b in batches) and not has_pending(inboxed)
    assert _ledger(inboxed) == _ledger(inline)


class Crash(BaseException):
    """The process dying: not an error the processor may catch and set aside."""


@settings(max_examples=10, deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(_batched(_events()), st.integers(1, 5), st.integers(0, 4), st.booleans())
def test_a_crash_mid_batch_loses_and_repeats_nothing(
        batches: list[list[bytes]], limit: int, crash_at: int, after_effects: bool) -> None:
    inline, outcomes = _inline(batches)
    inboxed = next(_memory_store())
    _receive(inboxed, [body for batch in batches for body in batch])
    calls = 0

    def dying(s: Session, events: Sequence[StripeEvent], config: WebhookSettings,
              at: datetime) -> list[WebhookResult]:
        nonlocal calls
        calls += 1
        if calls - 1 == crash_at and not after_effects:
            raise Crash
        results = process_batch(s, events, config, at)
        if calls - 1 == crash_at:
            raise Crash  # the facts, events and ledger are written, the commit never comes
        return results

    crashed = False
    done = Counter[str]()
    while has_pending(inboxed):
        try:
            counts = process_next(inboxed, _lagging, NOW, limit=limit, process=dying)
        except Crash:
            crashed = True
            continue
        done.update(processed=counts.processed, ignored=counts.ignored,
                    duplicate=counts.duplicate, failed=counts.failed)
    assert crashed == (crash_at < calls)
    assert +done == outcomes  # nothing processed twice, nothing set aside
    assert _count(inboxed, InboxFailure) == 0
    assert _rows(inboxed) == _rows(inline)
    assert _ledger(inboxed) == _ledger(inline)


def test_a_failing_delivery_is_set_aside_retried_and_gets_through_once_fixed() -> None:
    batches = [_events()]
    inline, _ = _inline(batches)
    inboxed = next(_memory_store())
    _receive(inboxed, batches[0])
    broken = True

    def poisoned(s: Session, events: Sequence[StripeEvent], config: WebhookSettings,
                 at: datetime) -> list[WebhookResult]:
        if broken and any(e.event_id == "evt_r1" for e in events):
            raise ValueError("cannot settle evt_r1")
        return process_batch(s, events, config, at)

    counts = process_next(inboxed, _lagging, NOW, limit=100, process=poisoned)
    assert (counts.processed, counts.failed) == (len(batches[0]) - 1, 1)
    assert _cursor(inboxed) == len(batches[0])  # the others were not held up
    with Session(inboxed) as s:
        assert s.scalars(select(WebhookEvent.event_id).where(
            WebhookEvent.event_id == "evt_r1")).all() == []   # rolled back alone
    status = inbox_status(inboxed)
    assert status.pending == 0 and [(f.event_id, f.attempts) for f in status.failed] == \
        [("evt_r1", 1)]
    assert "cannot settle evt_r1" in status.failed[0].error

    # Not due yet; when due and still broken, it waits twice as long.
    assert not has_due_failures(inboxed, NOW + RETRY_FIRST - timedelta(seconds=1))
    later = NOW + RETRY_FIRST
    again = retry_failures(inboxed, _lagging, later, process=poisoned)
    assert (again.recovered, again.still_failing) == (0, 1)
    with Session(inboxed) as s:
        failure = s.scalars(select(InboxFailure)).one()
        assert failure.attempts == 2 and failure.next_attempt_at == later + 2 * RETRY_FIRST

    broken = False
    assert retry_failures(inboxed, _lagging, later, process=poisoned).batches == 0  # not due
    fixed = drain(inboxed, _lagging, retry_all_failed=True)
    assert (fixed.rows, fixed.recovered, fixed.still_failing) == (0, 1, 0)
    assert inbox_status(inboxed).failed == []
    with Session(inboxed) as s:
        assert s.scalars(select(InboxFailure.outcome)).one() == "processed"
    assert _rows(inboxed) == _rows(inline)
    assert _ledger(inboxed) == _ledger(inline)


def test_a_redelivery_that_got_in_first_resolves_the_failure_as_a_duplicate() -> None:
    store = next(_memory_store())
    body = _events()[4]  # evt_r2, a refund

    def failing(s: Session, events: Sequence[StripeEvent], config: WebhookSettings,
                at: datetime) -> list[WebhookResult]:
        raise RuntimeError("down")

    _receive(store, [body])
    assert process_next(store, _lagging, NOW, process=failing).failed == 1
    _receive(store, [body])  # Stripe delivers it again (it was acknowledged, but may retry)
    assert process_next(store, _lagging, NOW).processed == 1
    assert retry_failures(store, _lagging, NOW + RETRY_FIRST).recovered == 1
    with Session(store) as s:
        assert s.scalars(select(InboxFailure.outcome)).one() == "duplicate"
    assert _count(store, Refund) == 1


def test_every_ruby_mock_event_through_the_inbox_once_and_the_zeroed_ids_as_duplicates(
        store: Engine) -> None:
    bodies = ruby_mock_bodies()
    _receive(store, [with_id(b, f"evt_{name}") for name, b in bodies.items()])
    _receive(store, list(bodies.values()))  # as they are: they share two zeroed ids
    zeroed = {read_event(b).event_id for b in bodies.values()}
    assert len(zeroed) == 2
    counts = drain(store, _lagging, batch=7)
    assert counts.failed == 0 and counts.processed + counts.ignored == len(bodies) + 2
    assert counts.duplicate == len(bodies) - 2
    assert _count(store, WebhookEvent) == len(bodies) + 2
    status = inbox_status(store)
    assert (status.pending, status.processed_through, status.newest_id) == \
        (0, 2 * len(bodies), 2 * len(bodies))
    assert status.settled_as_of == RECEIVED


def test_status_counts_what_waits_and_since_when(store: Engine) -> None:
    _receive(store, paying_customer(1, 1_700_000_000), at=NOW - timedelta(minutes=5))
    _receive(store, paying_customer(2, 1_700_000_100), at=NOW)
    status = inbox_status(store)
    assert (status.pending, status.oldest_pending_at) == (4, NOW - timedelta(minutes=5))
    assert has_pending(store)
    process_next(store, _lagging, NOW, limit=3)
    status = inbox_status(store)
    assert (status.pending, status.oldest_pending_at, status.processed_through) == (1, NOW, 3)
    assert status.last_batch_at == NOW


def test_concurrent_processors_take_turns_and_process_each_delivery_once(
        store: Engine) -> None:
    customers = 60
    bodies = [b for n in range(customers) for b in paying_customer(n, 1_700_000_000 + n)]
    stop = threading.Event()
    totals: list[int] = []
    errors: list[BaseException] = []

    def processor() -> None:
        done = 0
        try:
            while not stop.is_set() or has_pending(store):
                done += process_next(store, _lagging, NOW, limit=5).rows
        except BaseException as exc:  # reported below
            errors.append(exc)
        totals.append(done)

    threads = [threading.Thread(target=processor) for _ in range(3)]
    for t in threads:
        t.start()
    for start in range(0, len(bodies), 10):  # deliveries keep arriving while they work
        _receive(store, bodies[start:start + 10] + bodies[start:start + 1])  # one repeat each
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join(60)
    assert errors == []
    received = len(bodies) + len(bodies) // 10
    assert sum(totals) == received == _cursor(store)
    assert _count(store, WebhookEvent) == len(bodies)
    assert _count(store, InboxFailure) == 0


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_postgres_never_passes_a_delivery_still_being_committed(store: Engine) -> None:
    """Ids are handed out at insert and seen at commit: with id 1 still in flight and id 2
    committed, the processor must wait for 1 rather than move the cursor past it."""
    first, second = paying_customer(1, 1_700_000_000)
    slow = store.connect()
    slow.begin()
    event = read_event(first)
    slow.execute(text("INSERT INTO webhook_inbox (source, event_id, event_type, api_version, "
                      "body, received_at) VALUES ('stripe', :e, :t, NULL, :b, :r)"),
                 {"e": event.event_id, "t": event.event_type, "b": first.decode(),
                  "r": RECEIVED})
    _receive(store, [second])
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(
        drain(store, _lagging).rows))
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive() and _cursor(store) == 0  # waiting for the insert in flight
    slow.commit()
    slow.close()
    worker.join(30)
    assert result == [2] and _cursor(store) == 2
    assert _count(store, WebhookEvent) == 2


def test_the_running_processor_works_through_arrivals_then_stops_when_told(
        store: Engine) -> None:
    stop = threading.Event()
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(run(
        store, _lagging, stop, batch=4, poll_seconds=0.01, linger_seconds=0.05).rows))
    worker.start()
    try:
        _receive(store, _events()[:3])   # fewer than a batch: processed after the linger
        assert _wait_for(lambda: _cursor(store) == 3)
        _receive(store, _events()[3:])   # more than a batch
        assert _wait_for(lambda: _cursor(store) == len(_events()))
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive() and seen == [len(_events())]
    assert _count(store, WebhookEvent) == len(_events())


def _wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
