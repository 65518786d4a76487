"""Open the app store: any SQLAlchemy URL; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from successlink.errors import ConfigError

# A writer waits this long for another writer's lock before SQLite reports "database is
# locked"; the service's transactions are short, so a few seconds is generous.
SQLITE_BUSY_TIMEOUT_MS = 5_000


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
