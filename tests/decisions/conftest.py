"""Decisions run on every warehouse backend we claim; each test gets an empty one per backend."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from successlink.warehouse.connect import Warehouse
from tests.conftest import _new_postgres_db


@pytest.fixture(params=["duckdb", "postgres", "sqlite"])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """An empty warehouse (DuckDB, PostgreSQL, SQLite); seed it with tests.metrics.seed."""
    if request.param == "duckdb":
        url = f"duckdb://{tmp_path / 'm.duckdb'}"
    elif request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'm.sqlite'}"
    else:
        url = _new_postgres_db(request.getfixturevalue("postgres_server"))
    warehouse = Warehouse(url)
    yield warehouse
    with contextlib.suppress(Exception):
        warehouse.close()
