"""Shared fixtures: a fixed clock, and warehouses on every backend we claim (DuckDB, SQLite,
PostgreSQL). PostgreSQL runs as a throwaway cluster on loopback started by this fixture;
set SUCCESSLINK_TEST_POSTGRES_URL to use an existing server instead."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from successlink.warehouse.connect import Warehouse

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data"


@pytest.fixture
def now() -> datetime:
    return NOW


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed: run `apt-get install postgresql` "
                    "(make test and .ci/run do it) or set SUCCESSLINK_TEST_POSTGRES_URL.")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres_user(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL (base, without database) for the whole session."""
    existing = os.environ.get("SUCCESSLINK_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    bin_dir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="successlink-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    subprocess.run(_as_postgres_user([str(bin_dir / "initdb"), "-D", str(data), "-U",
                                      "postgres", "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    subprocess.run(_as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts,
                                      "-l", str(root / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgres://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                                          "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _new_postgres_db(base: str) -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@pytest.fixture(params=["duckdb", "sqlite", "postgres"])
def any_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """An empty warehouse on each supported backend."""
    if request.param == "duckdb":
        url = f"duckdb://{tmp_path / 'w.duckdb'}"
    elif request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'w.sqlite'}"
    else:
        url = _new_postgres_db(request.getfixturevalue("postgres_server"))
    wh = Warehouse(url)
    yield wh
    with contextlib.suppress(Exception):
        wh.close()


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    wh = Warehouse(f"duckdb://{tmp_path / 'w.duckdb'}")
    yield wh
    wh.close()


@pytest.fixture
def wh(any_warehouse: Warehouse) -> Warehouse:
    """The empty warehouse of each backend, under the short name the metric, health, score
    and decision tests use (seed it with tests.metrics.seed)."""
    return any_warehouse
