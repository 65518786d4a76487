"""`GroupCommitter`: many requests' writes in one durable transaction, each request answered
only after that transaction has committed.

A commit costs one fsync (SQLite WAL with synchronous=FULL, or PostgreSQL's WAL flush), a few
milliseconds on ordinary disks; one transaction per click caps a server at a few hundred
clicks a second however fast the rest is. Here requests hand their unit of work to a queue
and wait on an asyncio future; one writer thread takes everything queued (up to `max_batch`),
runs it in ONE transaction, commits, and only then resolves the futures. While it commits,
the next batch gathers, so batches grow with the load and the fsync cost is shared.

Each unit of work runs in its own SAVEPOINT, so a failing one is rolled back alone and its
request gets its own exception; the others still commit. If the commit itself fails, no
request in the batch is told it succeeded.

The writer thread starts on first use (or from the app's lifespan) and exits after
`idle_seconds` without work, so an app run without a lifespan (the test client) leaves no
thread behind for long; `stop()` drains the queue and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Dialect, Engine, Table
from sqlalchemy.orm import Session

from successlink.store.connect import begin_immediate

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Session], Any]
# Work that is cheaper done for many requests at once (a batch of webhooks settles each
# customer once): called with every queued payload for it, returns one result per payload.
BatchWork = Callable[[Session, list[Any]], list[Any]]

MAX_BATCH = 1_000
MAX_GROUP = 64  # about 50 ms of webhook settlement: the clicks behind wait one slice
WORK_BUDGET_SECONDS = 0.05
IDLE_SECONDS = 30.0


class CommitError(RuntimeError):
    """The batch holding this request's work could not be committed: nothing of it is
    stored (the client should retry)."""


class StoppedError(RuntimeError):
    """Work handed in while the service is shutting down."""


@dataclass(eq=False)
class _Item:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    table: Table | None = None
    row: Mapping[str, Any] | None = None
    work: Work | None = None
    batch_work: BatchWork | None = None
    payload: Any = None
    outcome: tuple[bool, Any] = field(default=(True, None))


_STOP = object()


@dataclass
class CommitStats:
    """Counters for the docs and the benchmark: how big batches get under load."""

    batches: int = 0
    items: int = 0
    largest: int = 0
    failed_items: int = 0
    failed_batches: int = 0


class GroupCommitter:
    """One writer thread per process that commits queued work in batches (see the module
    docstring). Safe to call from any event loop; the futures are resolved on the loop
    that created them."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH,
                 idle_seconds: float = IDLE_SECONDS,
                 work_budget_seconds: float = WORK_BUDGET_SECONDS,
                 max_group: int = MAX_GROUP,
                 name: str = "successlink-group-commit") -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self.work_budget_seconds = work_budget_seconds
        self.max_group = max_group
        self.name = name
        self.stats = CommitStats()
        self._queue: queue.SimpleQueue[list[_Item] | object] = queue.SimpleQueue()
        self._pending: dict[asyncio.AbstractEventLoop, list[_Item]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._immediate = engine.dialect.name == "sqlite"
        self._statements: dict[Table, RowInsert] = {}

    # -- requests' side -------------------------------------------------------------------

    async def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        """Insert `row` into `table` (Core, batched into one executemany per table); returns
        once it is committed."""
        await self._submit(table=table, row=row)

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` inside the next batch's transaction (in its own savepoint) and
        return its result once the batch is committed; its exception if it raised."""
        result: T = await self._submit(work=work)
        return result

    async def run_batched(self, work: BatchWork, payload: Any) -> Any:
        """Hand `payload` to `work`, which the writer calls once with the payloads of every
        request queued for it in the batch (inside one savepoint); returns this payload's
        result once the batch is committed. If `work` raises for the group, each payload is
        run again on its own (`work(session, [payload])`, its own savepoint), so one bad
        payload fails alone."""
        return await self._submit(batch_work=work, payload=payload)

    def _submit(self, *, table: Table | None = None, row: Mapping[str, Any] | None = None,
                work: Work | None = None, batch_work: BatchWork | None = None,
                payload: Any = None) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        item = _Item(loop=loop, future=loop.create_future(), table=table, row=row, work=work,
                     batch_work=batch_work, payload=payload)
        if self._stopping:
            raise StoppedError("the service is shutting down; retry in a moment")
        # Requests handled in the same turn of the event loop go to the writer as one list:
        # one wake-up of the writer thread per turn, not one per request.
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = []
            loop.call_soon(self._hand_over, loop)
        pending.append(item)
        return item.future

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        items = self._pending.pop(loop, [])
        with self._lock:
            self._queue.put(items)
            if self._thread is None:
                self._start_thread()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer now (the lifespan does; otherwise the first request does)."""
        with self._lock:
            self._stopping = False
            if self._thread is None:
                self._start_thread()

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new work, commit what is queued, and wait for the writer to exit."""
        with self._lock:
            self._stopping = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("the group-commit writer did not stop within %.0f s", timeout)
        with self._lock:
            self._stopping = False

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._writer, name=self.name, daemon=True)
        self._thread = thread
        thread.start()

    # -- the writer thread ------------------------------------------------------------------

    def _writer(self) -> None:
        stop_seen = False
        carry: list[_Item] = []  # what did not fit in the last batch
        while True:
            batch, carry = carry, []
            if not batch:
                try:
                    first = self._queue.get(timeout=0.05 if stop_seen else self.idle_seconds)
                except queue.Empty:
                    with self._lock:
                        if self._queue.empty():
                            self._thread = None
                            return
                    continue
                stop_seen |= self._take(first, batch)
            while len(batch) < self.max_batch:
                try:
                    stop_seen |= self._take(self._queue.get_nowait(), batch)
                except queue.Empty:
                    break
            if len(batch) > self.max_batch:
                batch, carry = batch[:self.max_batch], batch[self.max_batch:]
            if batch:
                carry = self._commit(batch) + carry

    @staticmethod
    def _take(entry: list[_Item] | object, batch: list[_Item]) -> bool:
        """Add a hand-over to `batch`; True when it is the stop marker."""
        if isinstance(entry, list):
            batch.extend(entry)
        return entry is _STOP

    def _commit(self, batch: list[_Item]) -> list[_Item]:
        """Commit `batch`; return the units of work left for the next batch (the time
        budget ran out), which are not resolved yet."""
        later: list[_Item] = []
        connection = self.engine.connect()
        try:
            transaction = connection.begin()
            # The rows go through the driver's own cursor: a handful of statements per batch,
            # none of SQLAlchemy's per-statement work on the writer's clock.
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            if self._immediate:
                # Take SQLite's write lock up front (waiting up to busy_timeout for another
                # process's writer), and make the savepoints below nest in one real
                # transaction: pysqlite does not BEGIN before a SAVEPOINT itself.
                begin_immediate(cursor.execute)
            self._run_inserts(cursor, [i for i in batch if i.table is not None])
            calls = [i for i in batch if i.work is not None]
            grouped, held = _cap_groups([i for i in batch if i.batch_work is not None],
                                        self.max_group)
            later.extend(held)
            if grouped:
                with Session(bind=connection, expire_on_commit=False) as session:
                    self._run_grouped(session, grouped)
            if calls:
                # The ORM work joins this transaction; each unit in its own savepoint. Units
                # are slow next to rows (a webhook settles a ledger), so after
                # `work_budget_seconds` the rest wait for the next batch: the clicks queued
                # behind them are not held up for a whole burst of webhooks.
                deadline = time.monotonic() + self.work_budget_seconds
                with Session(bind=connection, expire_on_commit=False) as session:
                    for n, item in enumerate(calls):
                        if n and time.monotonic() > deadline:
                            later.extend(calls[n:])
                            break
                        assert item.work is not None
                        item.outcome = self._run_work(session, item.work)
            transaction.commit()
        except Exception as exc:  # every waiting request must hear of it
            log.exception("a group commit of %d items failed", len(batch))
            # Whatever state the failed commit left the connection in, it is not reused:
            # discarding it rolls back anything still open.
            with contextlib.suppress(Exception):
                connection.invalidate()
            self.stats.failed_batches += 1
            error = CommitError(f"the database did not commit this request's write ({exc}); "
                                "nothing of it was stored, retry it")
            for item in batch:
                if item.outcome[0]:
                    item.outcome = (False, error)
        finally:
            connection.close()
        if later:
            waiting = {id(i) for i in later}
            done = [i for i in batch if id(i) not in waiting]
        else:
            done = batch
        self._count(done)
        self._resolve(done)
        return later

    def _run_inserts(self, cursor: Any, items: list[_Item]) -> None:
        """Every queued row in one multi-row INSERT per table (bad rows found one by one)."""
        by_table: dict[Table, list[_Item]] = {}
        for item in items:
            assert item.table is not None
            by_table.setdefault(item.table, []).append(item)
        for table, rows in by_table.items():
            statement = self._statement(table)
            try:
                in_savepoint(cursor, statement.execute, [i.row or {} for i in rows])
            except Exception:  # find the bad rows one by one below
                for item in rows:
                    try:
                        in_savepoint(cursor, statement.execute, [item.row or {}])
                    except Exception as exc:  # this request's own error
                        item.outcome = (False, exc)

    def _statement(self, table: Table) -> RowInsert:
        found = self._statements.get(table)
        if found is None:
            found = self._statements[table] = RowInsert(table, self.engine.dialect)
        return found

    def _run_grouped(self, session: Session, items: list[_Item]) -> None:
        """Each batch function once for all its payloads; on failure, payload by payload."""
        by_work: dict[BatchWork, list[_Item]] = {}
        for item in items:
            assert item.batch_work is not None
            by_work.setdefault(item.batch_work, []).append(item)
        for work, group in by_work.items():
            try:
                with session.begin_nested():
                    results = work(session, [i.payload for i in group])
                if len(results) != len(group):
                    raise RuntimeError(f"{work!r} returned {len(results)} results for "
                                       f"{len(group)} payloads")
            except Exception:
                if len(group) > 1:
                    log.warning("a batch of %d failed as a whole; running them one by one",
                                len(group), exc_info=True)
                for item in group:
                    item.outcome = self._run_work(session, _alone(work, item.payload))
            else:
                for item, result in zip(group, results, strict=True):
                    item.outcome = (True, result)

    @staticmethod
    def _run_work(session: Session, work: Work) -> tuple[bool, Any]:
        try:
            with session.begin_nested():
                return True, work(session)
        except Exception as exc:  # this request's own error
            return False, exc

    def _count(self, batch: list[_Item]) -> None:
        stats = self.stats
        stats.batches += 1
        stats.items += len(batch)
        stats.largest = max(stats.largest, len(batch))
        stats.failed_items += sum(1 for i in batch if not i.outcome[0])

    @staticmethod
    def _resolve(batch: list[_Item]) -> None:
        """One wake-up per event loop for the whole batch (not one per request)."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Item]] = {}
        for item in batch:
            by_loop.setdefault(item.loop, []).append(item)
        for loop, items in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: its requests are gone
                loop.call_soon_threadsafe(_settle, items)


def _alone(work: BatchWork, payload: Any) -> Work:
    """Batched work for one payload, as a plain unit of work."""
    def run(session: Session) -> Any:
        (result,) = work(session, [payload])
        return result
    return run


def _cap_groups(items: list[_Item], cap: int) -> tuple[list[_Item], list[_Item]]:
    """(the first `cap` payloads of each batch function, the rest for the next batch): a
    burst of webhooks is processed in slices, so clicks queued behind it wait one slice."""
    seen: dict[BatchWork | None, int] = {}
    now: list[_Item] = []
    rest: list[_Item] = []
    for item in items:
        n = seen[item.batch_work] = seen.get(item.batch_work, 0) + 1
        (now if n <= cap else rest).append(item)
    return now, rest


def in_savepoint(cursor: Any, run: Callable[[Any, list[Mapping[str, Any]]], None],
                  rows: list[Mapping[str, Any]]) -> None:
    """`run(cursor, rows)` undone alone if it fails (PostgreSQL would otherwise refuse the
    rest of the transaction; SQLite would keep the rows before the failing one)."""
    cursor.execute("SAVEPOINT sl_group_rows")
    try:
        run(cursor, rows)
    except Exception:
        cursor.execute("ROLLBACK TO SAVEPOINT sl_group_rows")
        cursor.execute("RELEASE SAVEPOINT sl_group_rows")
        raise
    cursor.execute("RELEASE SAVEPOINT sl_group_rows")


class RowInsert:
    """One table's INSERT as a multi-row VALUES statement run through the driver.

    Why not SQLAlchemy's executemany: its per-row compile-and-process work is most of a small
    row's cost, and a driver executemany steps the statement once per row, releasing and
    re-taking the GIL each time; under load the event loop thread holds the GIL, so every
    re-take waits. One statement per chunk of rows crosses into the database once. The
    columns' own bind processors still run (UTC timestamps, booleans), so rows are stored
    exactly as Core would store them. A row must name only real columns; a column it leaves
    out is NULL (Python-side defaults are not applied)."""

    CHUNK_ROWS = 500  # 8 columns x 500 rows stays far below SQLite's 32,766 parameters

    def __init__(self, table: Table, dialect: Dialect) -> None:
        columns = list(table.c)
        self.keys = [c.key for c in columns]
        self.known = set(self.keys)
        self.processors = [c.type._cached_bind_processor(dialect) for c in columns]
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        preparer = dialect.identifier_preparer
        self.head = (f"INSERT INTO {preparer.format_table(table)} "
                     f"({', '.join(preparer.format_column(c) for c in columns)}) VALUES ")
        self.group = "(" + ", ".join([mark] * len(columns)) + ")"
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):
            raise ValueError(f"group commit cannot insert with paramstyle {dialect.paramstyle}")

    def execute(self, cursor: Any, rows: list[Mapping[str, Any]]) -> None:
        values: list[Any] = []
        for row in rows:
            if not row.keys() <= self.known:
                raise KeyError(f"no such column in the insert: {sorted(row.keys() - self.known)}")
            for key, process in zip(self.keys, self.processors, strict=True):
                value = row.get(key)
                values.append(value if process is None or value is None else process(value))
        width = len(self.keys)
        for start in range(0, len(rows), self.CHUNK_ROWS):
            count = min(self.CHUNK_ROWS, len(rows) - start)
            sql = self.head + ", ".join([self.group] * count)
            cursor.execute(sql, tuple(values[start * width:(start + count) * width]))


def _settle(items: list[_Item]) -> None:
    for item in items:
        if item.future.done():
            continue  # the request was cancelled (client gone); its work still committed
        ok, value = item.outcome
        if ok:
            item.future.set_result(value)
        else:
            item.future.set_exception(value)
