"""The group-commit writer on SQLite and PostgreSQL: batching, one bad unit of work failing
alone, a failed commit acknowledging nothing, clean start and stop."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from successlink.store.tracking import Click
from successlink.web.clicks import CLICKS
from successlink.web.group_commit import CommitError, GroupCommitter
from tests.web.service import seed

AT = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def _row(click_id: str, **over: Any) -> dict[str, Any]:
    return {"id": click_id, "link_id": 1, "affiliate_id": "aff_1", "clicked_at": AT,
            "ip_anon": "203.0.113.0", "user_agent": "Mozilla/5.0", "referer": None,
            "is_bot": False, **over}


def _ids(store: Engine) -> set[str]:
    with Session(store) as s:
        return set(s.scalars(select(Click.id)))


@pytest.fixture
def committer(store: Engine) -> Any:
    seed(store)
    writer = GroupCommitter(store)
    yield writer
    writer.stop()


def test_requests_of_one_loop_turn_share_one_transaction(committer: GroupCommitter,
                                                         store: Engine) -> None:
    async def many() -> None:
        await asyncio.gather(*(committer.insert(CLICKS, _row(f"c{i:03d}")) for i in range(200)))

    asyncio.run(many())
    assert _ids(store) == {f"c{i:03d}" for i in range(200)}
    assert (committer.stats.batches, committer.stats.items) == (1, 200)


def test_rows_are_stored_as_core_would_store_them(committer: GroupCommitter,
                                                  store: Engine) -> None:
    asyncio.run(committer.insert(CLICKS, _row("c1", is_bot=True, referer="https://x.test/")))
    with Session(store) as s:
        click = s.get_one(Click, "c1")
    assert (click.clicked_at, click.is_bot, click.referer, click.user_agent) == \
        (AT, True, "https://x.test/", "Mozilla/5.0")


def test_a_bad_row_fails_alone(committer: GroupCommitter, store: Engine) -> None:
    asyncio.run(committer.insert(CLICKS, _row("taken")))

    async def mixed() -> list[Any]:
        return await asyncio.gather(
            committer.insert(CLICKS, _row("a")), committer.insert(CLICKS, _row("taken")),
            committer.insert(CLICKS, _row("b", link_id=999_999)),  # no such link (FK)
            committer.insert(CLICKS, _row("c")), return_exceptions=True)

    results = asyncio.run(mixed())
    assert results[0] is None and results[3] is None
    assert all(isinstance(r, IntegrityError | Exception) and r is not None
               for r in results[1:3])
    assert _ids(store) == {"taken", "a", "c"}
    assert committer.stats.batches == 2


def test_a_failing_unit_of_work_rolls_back_alone(committer: GroupCommitter,
                                                 store: Engine) -> None:
    def good(s: Session) -> str:
        s.add(Click(**_row("good")))
        s.flush()
        return "done"

    def bad(s: Session) -> str:
        s.add(Click(**_row("bad")))
        s.flush()
        raise ValueError("this event cannot be processed")

    async def both() -> list[Any]:
        return await asyncio.gather(committer.run(bad), committer.insert(CLICKS, _row("row")),
                                    committer.run(good), return_exceptions=True)

    failed, inserted, done = asyncio.run(both())
    assert isinstance(failed, ValueError) and "cannot be processed" in str(failed)
    assert (inserted, done) == (None, "done")
    assert _ids(store) == {"good", "row"}
    assert committer.stats.batches == 1


def test_a_failed_commit_acknowledges_nothing(committer: GroupCommitter,
                                              store: Engine) -> None:
    def refuse(_connection: Any) -> None:
        raise RuntimeError("disk full")

    event.listen(store, "commit", refuse)
    try:
        async def two() -> list[Any]:
            return await asyncio.gather(committer.insert(CLICKS, _row("x")),
                                        committer.run(lambda s: 1), return_exceptions=True)

        results = asyncio.run(two())
    finally:
        event.remove(store, "commit", refuse)
    assert all(isinstance(r, CommitError) and "disk full" in str(r) for r in results)
    assert _ids(store) == set()
    asyncio.run(committer.insert(CLICKS, _row("y")))  # the writer carries on afterwards
    assert _ids(store) == {"y"}


def test_futures_of_different_event_loops_are_each_resolved(committer: GroupCommitter,
                                                            store: Engine) -> None:
    for i in range(3):  # the test client runs every request in a fresh loop
        asyncio.run(committer.insert(CLICKS, _row(f"loop{i}")))
    assert _ids(store) == {"loop0", "loop1", "loop2"}


def test_stop_commits_what_is_queued_and_leaves_no_thread(store: Engine) -> None:
    seed(store)
    writer = GroupCommitter(store)
    writer.start()
    assert writer.running
    thread = writer._thread
    assert isinstance(thread, threading.Thread) and thread in threading.enumerate()

    async def submit_then_stop() -> None:
        pending = [asyncio.ensure_future(writer.insert(CLICKS, _row(f"s{i}"))) for i in range(5)]
        await asyncio.sleep(0)  # the hand-over to the writer happens on the next turn
        await asyncio.sleep(0)
        await asyncio.get_running_loop().run_in_executor(None, writer.stop)
        await asyncio.gather(*pending)

    asyncio.run(submit_then_stop())
    assert not writer.running and not thread.is_alive()
    assert _ids(store) == {f"s{i}" for i in range(5)}


def test_an_idle_writer_exits_and_restarts_on_demand(store: Engine) -> None:
    seed(store)
    writer = GroupCommitter(store, idle_seconds=0.05)
    asyncio.run(writer.insert(CLICKS, _row("first")))
    deadline = time.monotonic() + 5
    while writer.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not writer.running
    asyncio.run(writer.insert(CLICKS, _row("second")))
    assert _ids(store) == {"first", "second"}
    writer.stop()


def test_batches_are_capped(store: Engine) -> None:
    seed(store)
    writer = GroupCommitter(store, max_batch=10)

    async def many() -> None:
        await asyncio.gather(*(writer.insert(CLICKS, _row(f"m{i:02d}")) for i in range(35)))

    asyncio.run(many())
    writer.stop()
    with Session(store) as s:
        assert s.scalar(select(func.count()).select_from(Click)) == 35
    assert (writer.stats.batches, writer.stats.largest) == (4, 10)


def test_slow_units_of_work_leave_the_rest_for_the_next_batch(store: Engine) -> None:
    seed(store)
    writer = GroupCommitter(store, work_budget_seconds=0.0)  # one unit per batch

    def unit(n: int) -> Any:
        def work(s: Session) -> int:
            s.add(Click(**_row(f"w{n}")))
            return n
        return work

    async def mixed() -> list[Any]:
        return await asyncio.gather(writer.run(unit(1)), writer.insert(CLICKS, _row("r1")),
                                    writer.run(unit(2)), writer.run(unit(3)))

    assert asyncio.run(mixed()) == [1, None, 2, 3]
    writer.stop()
    assert _ids(store) == {"w1", "w2", "w3", "r1"}
    assert (writer.stats.batches, writer.stats.items) == (3, 4)


def _store_clicks(calls: list[list[str]]) -> Any:
    """Batched work that stores a click per payload and records each call's payloads; the
    payload "boom" makes the whole call fail."""
    def work(s: Session, payloads: list[str]) -> list[str]:
        calls.append(list(payloads))
        for p in payloads:
            if p == "boom":
                raise ValueError("cannot store boom")
            s.add(Click(**_row(p)))
        s.flush()
        return [f"stored {p}" for p in payloads]
    return work


def test_batched_work_is_called_once_for_every_payload_of_the_batch(
        committer: GroupCommitter, store: Engine) -> None:
    calls: list[list[str]] = []
    work = _store_clicks(calls)

    async def many() -> list[Any]:
        return await asyncio.gather(*(committer.run_batched(work, f"w{i}") for i in range(5)),
                                    committer.insert(CLICKS, _row("row")))

    results = asyncio.run(many())
    assert results == [f"stored w{i}" for i in range(5)] + [None]
    assert calls == [[f"w{i}" for i in range(5)]]
    assert _ids(store) == {f"w{i}" for i in range(5)} | {"row"}
    assert committer.stats.batches == 1


def test_a_failing_batch_is_run_payload_by_payload(committer: GroupCommitter,
                                                   store: Engine) -> None:
    calls: list[list[str]] = []
    work = _store_clicks(calls)

    async def mixed() -> list[Any]:
        return await asyncio.gather(*(committer.run_batched(work, p)
                                      for p in ("a", "boom", "b")), return_exceptions=True)

    stored_a, failed, stored_b = asyncio.run(mixed())
    assert (stored_a, stored_b) == ("stored a", "stored b")
    assert isinstance(failed, ValueError) and "boom" in str(failed)
    assert calls == [["a", "boom", "b"], ["a"], ["boom"], ["b"]]
    assert _ids(store) == {"a", "b"}  # the failed group call left nothing behind


def test_batched_work_beyond_the_group_cap_waits_for_the_next_batch(store: Engine) -> None:
    seed(store)
    writer = GroupCommitter(store, max_group=2)
    calls: list[list[str]] = []
    work = _store_clicks(calls)
    try:
        async def five() -> list[Any]:
            return await asyncio.gather(*(writer.run_batched(work, f"g{i}") for i in range(5)))

        assert asyncio.run(five()) == [f"stored g{i}" for i in range(5)]
    finally:
        writer.stop()
    assert calls == [["g0", "g1"], ["g2", "g3"], ["g4"]]
    assert _ids(store) == {f"g{i}" for i in range(5)}
