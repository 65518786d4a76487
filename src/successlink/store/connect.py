"""Open the app store: any SQLAlchemy URL; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from successlink.errors import ConfigError

# A writer waits this long for another writer's lock before SQLite reports "database is
# locked"; the service's transactions are short, so a few seconds is generous.
SQLITE_BUSY_TIMEOUT_MS = 5_000
# How often a writer looks again at a taken write lock (see `begin_immediate`).
LOCK_POLL_SECONDS = 0.0005


def begin_immediate(execute: Callable[[str], Any], *,
                    timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
                    poll_seconds: float = LOCK_POLL_SECONDS) -> None:
    """SQLite: `BEGIN IMMEDIATE` (take the write lock now), trying again every half
    millisecond while another connection holds it, up to `timeout_ms`.

    Why not SQLite's own busy timeout: its handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25,
    50, 50, 100 ms between tries, so a writer that found the lock taken goes on sleeping for
    tens of milliseconds after it is free. Two writers taking turns (the service's group
    commits and the webhook inbox processor) lost most of their time that way: measured,
    the service acknowledged 776 webhooks/s while the processor held the lock about half the
    time. `execute` runs one SQL statement on the connection (a DB-API cursor's `execute`,
    or a Session's, wrapped)."""
    execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                execute("BEGIN IMMEDIATE")
                return
            except (sqlite3.OperationalError, OperationalError) as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(poll_seconds)
    finally:
        execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def _is_busy(exc: Exception) -> bool:
    original = getattr(exc, "orig", exc)
    return isinstance(original, sqlite3.OperationalError) and (
        "locked" in str(original) or "busy" in str(original))


def normalise_url(url: str) -> str:
    """Accept the libpq-style `postgres://` and `postgresql://` URLs people paste, and route
    them to psycopg 3 (the driver we ship) instead of SQLAlchemy's psycopg2 default."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while one writer commits; synchronous=FULL makes every commit
    # durable before it returns (an acknowledged click or ledger entry survives a crash).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def open_store(url: str, **engine_options: Any) -> Engine:
    """An Engine for the app store at `url`, or ConfigError saying how to fix the URL."""
    try:
        parsed = make_url(normalise_url(url))
        engine = create_engine(parsed, **engine_options)
    except (ArgumentError, ModuleNotFoundError, ValueError) as exc:
        raise ConfigError(f"cannot open the app store at {url!r}: {exc}",
                          hint="Set SUCCESSLINK_APP_STORE (or url in the app_store "
                               "section) to a SQLAlchemy URL, e.g. sqlite:////path/app.db "
                               "or postgresql://user@host/db.") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
