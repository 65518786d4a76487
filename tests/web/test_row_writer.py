"""The click-writer process: a request resumes only once its row is committed; a bad row
fails alone; a writer that dies fails what it held and is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, Table, func, select, text
from sqlalchemy.orm import Session

from successlink.store.tracking import Click
from successlink.web.clicks import CLICKS, ClickIds
from successlink.web.group_commit import CommitError
from successlink.web.row_writer import RowWriterProcess
from tests.web.service import seed

T = TypeVar("T")
new_id = ClickIds()


def _row(click_id: str | None = None, **changes: Any) -> dict[str, Any]:
    return {"id": click_id or new_id(), "link_id": None, "affiliate_id": "aff_1",
            "clicked_at": datetime(2026, 2, 1, 12, 0, tzinfo=UTC), "ip_anon": "198.51.100.0",
            "user_agent": "Mozilla/5.0", "referer": None, "is_bot": False, **changes}


def _stored(store: Engine) -> set[str]:
    with Session(store) as s:
        return set(s.scalars(select(Click.id)))


def _with_writer(store: Engine, work: Callable[[RowWriterProcess], Awaitable[T]]) -> T:
    writer = RowWriterProcess(store.url.render_as_string(hide_password=False))

    async def run() -> T:
        writer.start()
        try:
            return await work(writer)
        finally:
            writer.stop()

    return asyncio.run(run())


def test_every_insert_returns_after_its_row_is_committed(store: Engine) -> None:
    seed(store)
    ids = [new_id() for _ in range(300)]
    seen_at_return: list[bool] = []

    async def one(writer: RowWriterProcess, click_id: str) -> None:
        await writer.insert(CLICKS, _row(click_id))
        # Another connection (another process's view) must already see it.
        with store.connect() as c:
            seen_at_return.append(c.execute(
                text("SELECT count(*) FROM clicks WHERE id = :i"), {"i": click_id}).scalar() == 1)

    async def work(writer: RowWriterProcess) -> None:
        await asyncio.gather(*(one(writer, i) for i in ids))

    _with_writer(store, work)
    assert all(seen_at_return) and len(seen_at_return) == 300
    assert _stored(store) == set(ids)
    with Session(store) as s:
        click = s.get(Click, ids[0])
        assert click is not None and click.clicked_at == datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def test_a_bad_row_fails_alone_and_the_others_commit(store: Engine) -> None:
    seed(store)
    taken = new_id()

    async def work(writer: RowWriterProcess) -> list[BaseException | None]:
        await writer.insert(CLICKS, _row(taken))
        results = await asyncio.gather(
            writer.insert(CLICKS, _row()), writer.insert(CLICKS, _row(taken)),  # duplicate
            writer.insert(CLICKS, _row(affiliate_id="nobody")),  # no such affiliate
            writer.insert(CLICKS, _row()), return_exceptions=True)
        return list(results)

    results = _with_writer(store, work)
    assert results[0] is None and results[3] is None
    assert isinstance(results[1], CommitError) and isinstance(results[2], CommitError)
    assert "could not be stored" in str(results[1])
    assert len(_stored(store)) == 3  # the first, and the two good rows of the batch


def test_an_unknown_table_is_refused_with_its_name(store: Engine) -> None:
    seed(store)
    from sqlalchemy import Column, Integer, MetaData

    stray = Table("no_such_table", MetaData(), Column("id", Integer, primary_key=True))

    async def work(writer: RowWriterProcess) -> None:
        with pytest.raises(CommitError, match="no_such_table"):
            await writer.insert(stray, {"id": 1})
        await writer.insert(CLICKS, _row())  # the writer carries on

    _with_writer(store, work)
    assert len(_stored(store)) == 1


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_killed_writer_fails_what_it_held_and_the_next_request_gets_a_new_one(
        store: Engine) -> None:
    seed(store)
    held, later = new_id(), new_id()

    async def work(writer: RowWriterProcess) -> tuple[int | None, int | None]:
        first_pid = writer.pid
        assert first_pid is not None
        # Another connection holds SQLite's write lock: the writer waits on it with our row.
        blocker = store.raw_connection()
        cursor = blocker.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        pending = asyncio.ensure_future(writer.insert(CLICKS, _row(held)))
        await asyncio.sleep(0.3)
        assert not pending.done()
        os.kill(first_pid, signal.SIGKILL)
        with pytest.raises(CommitError, match="retry"):
            await asyncio.wait_for(pending, 10)
        blocker.rollback()
        blocker.close()
        await writer.insert(CLICKS, _row(later))
        return first_pid, writer.pid

    first_pid, second_pid = _with_writer(store, work)
    assert second_pid is not None and second_pid != first_pid
    assert _stored(store) == {later}


def test_stop_commits_what_was_handed_over(store: Engine) -> None:
    seed(store)
    writer = RowWriterProcess(store.url.render_as_string(hide_password=False))

    async def run() -> list[asyncio.Future[None]]:
        writer.start()
        pending = [asyncio.ensure_future(writer.insert(CLICKS, _row())) for _ in range(20)]
        await asyncio.sleep(0)  # the requests queue their rows
        await asyncio.sleep(0)  # the turn's rows go to the writer
        writer.stop()
        await asyncio.sleep(0)
        return pending

    pending = asyncio.run(run())
    assert all(p.done() and p.exception() is None for p in pending)
    with Session(store) as s:
        assert s.scalar(select(func.count()).select_from(Click)) == 20
    assert writer.pid is None



@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_new_event_loop_gets_a_new_writer_and_the_old_one_is_stopped(store: Engine) -> None:
    seed(store)
    writer = RowWriterProcess(store.url.render_as_string(hide_password=False))

    async def one() -> int | None:
        await writer.insert(CLICKS, _row())
        return writer.pid

    first = asyncio.run(one())  # this loop closes with the writer still bound to it
    second = asyncio.run(one())
    assert first is not None and second is not None and first != second
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # stopped and reaped, not left behind
    asyncio.run(_stop(writer))
    assert len(_stored(store)) == 2


async def _stop(writer: RowWriterProcess) -> None:
    writer.stop()
