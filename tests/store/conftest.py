"""App stores on both backends we claim: a SQLite file (WAL) and a fresh PostgreSQL database
on the session's throwaway cluster (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from successlink.store.connect import open_store
from successlink.store.migrate import upgrade
from tests.conftest import _new_postgres_db


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    return _new_postgres_db(request.getfixturevalue("postgres_server"))


@pytest.fixture
def store(store_url: str) -> Iterator[Engine]:
    """A migrated app store on each backend."""
    engine = open_store(store_url)
    upgrade(engine)
    yield engine
    engine.dispose()
