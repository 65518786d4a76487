"""`RowWriterProcess`: clicks (and other plain rows) committed in batches by a separate writer
process, each request answered only after the commit that holds its row.

Why a process and not the group-commit thread (web/group_commit.py): under load the event
loop thread holds the GIL almost all the time, and a writer thread must win it back after
every call into the database (SQLite releases the GIL for each step and for the fsync). At
64 connections that waiting made a batch of ~30 clicks take about 4 ms instead of about
1.2 ms, and with every request waiting for its commit the commit cycle caps the throughput
(docs/benchmarks.md). A process has its own interpreter: the main process only pickles each
turn's rows into a pipe and reads back which turns are committed (both from the event loop,
no thread hand-offs), and the writer commits on the other core.

Protocol: the main process sends `(turn, [(table name, row), ...])` for every turn of the
event loop that produced rows; the writer takes everything waiting (up to `max_rows`),
inserts it in ONE transaction (a multi-row INSERT per table, the same `RowInsert` as the
group commit), commits, and replies `[(turn, failures), ...]`, where failures maps a row's
position in its turn to the reason it could not be stored (such a row is rolled back alone;
the others commit). If the commit fails, every turn in it is answered with the error and
nothing of it is stored. If the writer dies, every waiting request hears so (CommitError)
and the next request starts a new writer.

The writer exits when its pipe closes: when the service stops, or when the service process
is killed (it then commits nothing more, and nothing unacknowledged is lost, since no
request was answered for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import pickle
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Dialect, Table

from successlink.store.connect import begin_immediate
from successlink.web.group_commit import CommitError, RowInsert, StoppedError, in_savepoint

log = logging.getLogger(__name__)

MAX_ROWS = 1_000
_STARTUP_SECONDS = 60.0


class RowWriterProcess:
    """`insert(table, row)` like GroupCommitter's, committed by a child process. Used from
    one event loop at a time (the worker's); `start()` and `stop()` from that loop's thread."""

    def __init__(self, url: str, *, max_rows: int = MAX_ROWS,
                 name: str = "successlink-row-writer") -> None:
        self.url = url
        self.max_rows = max_rows
        self.name = name
        self._process: multiprocessing.process.BaseProcess | None = None
        self._send: multiprocessing.connection.Connection | None = None
        self._recv: multiprocessing.connection.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._turn = 0
        self._pending: list[tuple[str, Mapping[str, Any]]] = []
        self._pending_futures: list[asyncio.Future[None]] = []
        self._waiting: dict[int, list[asyncio.Future[None]]] = {}
        self._stopping = False
        self.restarts = 0

    # -- requests' side -------------------------------------------------------------------

    async def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        """Insert `row` into `table`; returns once the writer has committed it. Raises
        CommitError when it was not stored, StoppedError while the service stops."""
        if self._stopping:
            raise StoppedError("the service is shutting down; retry in a moment")
        loop = asyncio.get_running_loop()
        if self._send is None or self._loop is not loop:
            self._start(loop)
        future: asyncio.Future[None] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((table.name, row))
        self._pending_futures.append(future)
        await future

    def _flush(self) -> None:
        """One message per turn of the event loop: every row queued in it."""
        rows, futures = self._pending, self._pending_futures
        self._pending, self._pending_futures = [], []
        if not rows:
            return
        self._turn += 1
        self._waiting[self._turn] = futures
        try:
            if self._send is None:
                raise OSError("no writer")
            self._send.send_bytes(pickle.dumps((self._turn, rows), pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError) as exc:
            self._writer_gone(f"the click writer is not running ({exc})")

    def _on_reply(self) -> None:
        receive = self._recv
        if receive is None:
            return
        try:
            while receive.poll():
                for turn, failures in pickle.loads(receive.recv_bytes()):
                    self._settle(turn, failures)
        except (EOFError, OSError):
            self._writer_gone("the click writer stopped")

    def _settle(self, turn: int, failures: dict[int, str] | str) -> None:
        for n, future in enumerate(self._waiting.pop(turn, [])):
            if future.done():
                continue  # the client went away; its row is stored all the same
            if isinstance(failures, str):
                future.set_exception(CommitError(
                    f"the database did not commit this request's write ({failures}); "
                    "nothing of it was stored, retry it"))
            elif n in failures:
                future.set_exception(CommitError(f"this row could not be stored: {failures[n]}"))
            else:
                future.set_result(None)

    def _writer_gone(self, why: str) -> None:
        """Tell every waiting request; the next insert starts a new writer."""
        waiting, self._waiting = self._waiting, {}
        if waiting:
            log.error("%s with %d batches uncommitted; their requests are told to retry",
                      why, len(waiting))
        self._close_pipes()
        for futures in waiting.values():
            for future in futures:
                if not future.done():
                    future.set_exception(CommitError(f"{why} before committing this "
                                                     "request's write; retry it"))

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer now (the lifespan does; otherwise the first insert does)."""
        self._stopping = False
        loop = asyncio.get_running_loop()
        if self._send is None or self._loop is not loop:
            self._start(loop)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._send is not None:  # bound to another (finished) event loop: start afresh
            # The old loop's requests are gone with it: forget them, then stop the old
            # writer (it commits what it was sent and is joined) before starting anew.
            if self._loop is not None and not self._loop.is_closed():
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(self._recv.fileno())  # type: ignore[union-attr]
            self._loop = None
            self._waiting = {}
            self._stop_process(timeout=10.0)
        # spawn, not fork: the service process runs threads (the HTTP server's, the link
        # cache's), and forking a threaded process can copy a held lock.
        context = multiprocessing.get_context("spawn")
        from_parent, to_child = context.Pipe(duplex=False)
        from_child, to_parent = context.Pipe(duplex=False)
        ready = context.Event()
        process = context.Process(target=_writer_main, name=self.name, daemon=True,
                                  args=(self.url, from_parent, to_parent, self.max_rows, ready))
        process.start()
        from_parent.close()
        to_parent.close()
        if not ready.wait(_STARTUP_SECONDS) or not process.is_alive():
            process.kill()
            to_child.close()
            from_child.close()
            raise CommitError("the click writer process did not start; see the service log")
        if self._process is not None or self.restarts or self._turn:
            self.restarts += 1
        self._process, self._send, self._recv, self._loop = process, to_child, from_child, loop
        loop.add_reader(from_child.fileno(), self._on_reply)

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new rows, let the writer commit what it has been sent, and wait for it to
        exit. Call from the event loop's thread; the requests whose rows were committed
        resume when the loop next runs."""
        self._stopping = True
        try:
            if self._pending:
                self._flush()
            self._stop_process(timeout)
        finally:
            self._stopping = False

    def _stop_process(self, timeout: float) -> None:
        process = self._process
        if self._send is not None:
            with contextlib.suppress(OSError):
                self._send.send_bytes(pickle.dumps(None))
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                log.error("the click writer did not stop within %.0f s", timeout)
                process.kill()
                process.join(5)
        if self._recv is not None:
            self._on_reply()  # the last replies; a closed pipe fails what is left
        self._writer_gone("the click writer stopped")

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def _close_pipes(self) -> None:
        if self._recv is not None and self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._recv.fileno())
        for pipe in (self._send, self._recv):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        self._send = self._recv = None
        self._process = None


def _writer_main(url: str, receive: multiprocessing.connection.Connection,
                 reply: multiprocessing.connection.Connection, max_rows: int,
                 ready: Any) -> None:
    """The writer process: commit what arrives, batch by batch, until the pipe closes."""
    import signal

    # A Ctrl-C reaches the whole process group; the service stops the writer itself (through
    # the pipe), after the last request is answered.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from successlink.store.connect import open_store
    from successlink.store.tables import Base

    engine = open_store(url)
    tables = Base.metadata.tables
    statements: dict[str, RowInsert] = {}
    connection = engine.raw_connection()
    immediate = engine.dialect.name == "sqlite"
    ready.set()
    done = False
    try:
        while not done:
            try:
                message = pickle.loads(receive.recv_bytes())
            except EOFError:
                break
            if message is None:
                break
            batch = [message]
            count = len(message[1])
            while count < max_rows and receive.poll():
                try:
                    message = pickle.loads(receive.recv_bytes())
                except EOFError:
                    message = None
                if message is None:
                    done = True
                    break
                batch.append(message)
                count += len(message[1])
            answers = _commit(connection, immediate, batch, tables, statements, engine.dialect)
            try:
                reply.send_bytes(pickle.dumps(answers, pickle.HIGHEST_PROTOCOL))
            except OSError:
                break
    finally:
        connection.close()
        engine.dispose()


def _commit(connection: Any, immediate: bool, batch: list[tuple[int, list[Any]]],
            tables: Mapping[str, Table], statements: dict[str, RowInsert],
            dialect: Dialect) -> list[tuple[int, dict[int, str] | str]]:
    """One transaction for the batch; per turn, the rows that failed (or the error that
    failed the whole batch)."""
    failures: dict[int, dict[int, str]] = {turn: {} for turn, _ in batch}
    by_table: dict[str, list[tuple[int, int, Mapping[str, Any]]]] = {}
    for turn, rows in batch:
        for n, (name, row) in enumerate(rows):
            by_table.setdefault(name, []).append((turn, n, row))
    cursor = connection.cursor()
    try:
        if immediate:
            # SQLite's write lock up front (waiting up to busy_timeout for another writer),
            # and the savepoints below nest in one real transaction.
            begin_immediate(cursor.execute)
        for name, entries in by_table.items():
            table = tables.get(name)
            if table is None:
                for turn, n, _row in entries:
                    failures[turn][n] = f"no table {name!r} in the app store"
                continue
            statement = statements.get(name)
            if statement is None:
                statement = statements[name] = RowInsert(table, dialect)
            _insert_all(cursor, statement, entries, failures)
        connection.commit()
    except Exception as exc:  # nothing of the batch is stored: say so to every turn
        log.exception("a batch of %d rows could not be committed", len(batch))
        with contextlib.suppress(Exception):
            connection.rollback()
        return [(turn, str(exc)) for turn, _ in batch]
    finally:
        cursor.close()
    return list(failures.items())


def _insert_all(cursor: Any, statement: RowInsert,
                entries: list[tuple[int, int, Mapping[str, Any]]],
                failures: dict[int, dict[int, str]]) -> None:
    """All rows in one statement; if that fails, row by row, each alone in a savepoint."""
    try:
        in_savepoint(cursor, statement.execute, [row for _, _, row in entries])
    except Exception:
        for turn, n, row in entries:
            try:
                in_savepoint(cursor, statement.execute, [row])
            except Exception as exc:  # this row's own error
                failures[turn][n] = str(exc)
