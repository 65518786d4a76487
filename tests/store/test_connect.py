"""`begin_immediate`: a writer takes SQLite's write lock as soon as it is free, not after
SQLite's own busy-handler sleeps, and gives up after the timeout with SQLite's error."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from successlink.store.connect import begin_immediate, open_store


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def test_the_lock_is_taken_within_a_few_ms_of_its_release(tmp_path: Path) -> None:
    holder, waiter = _connect(tmp_path / "a.db"), _connect(tmp_path / "a.db")
    waiter.execute("PRAGMA busy_timeout = 5000")
    holder.execute("BEGIN IMMEDIATE")
    released = 0.0

    def release() -> None:
        nonlocal released
        time.sleep(0.135)  # SQLite's own handler sleeps from 128 ms to 178 ms
        released = time.monotonic()
        holder.execute("COMMIT")

    thread = threading.Thread(target=release)
    thread.start()
    begin_immediate(waiter.execute)
    taken = time.monotonic()
    thread.join()
    assert waiter.in_transaction
    assert released and taken - released < 0.01
    # The connection's own busy timeout is back for the statements that follow.
    assert waiter.execute("PRAGMA busy_timeout").fetchone() == (5000,)
    waiter.execute("COMMIT")


def test_gives_up_after_the_timeout_with_sqlites_error(tmp_path: Path) -> None:
    holder, waiter = _connect(tmp_path / "b.db"), _connect(tmp_path / "b.db")
    holder.execute("BEGIN IMMEDIATE")
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        begin_immediate(waiter.execute, timeout_ms=150)
    assert 0.14 < time.monotonic() - start < 2.0
    assert not waiter.in_transaction
    holder.execute("ROLLBACK")


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    waiter = _connect(tmp_path / "c.db")
    waiter.execute("BEGIN")  # already in a transaction: not a lock, an error at once
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        begin_immediate(waiter.execute)
    assert time.monotonic() - start < 0.5


def test_works_through_a_session(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'd.db'}")
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        begin_immediate(lambda sql: s.execute(text(sql)))
        s.execute(text("CREATE TABLE t (x INTEGER)"))
        s.commit()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM t")).scalar() == 0
