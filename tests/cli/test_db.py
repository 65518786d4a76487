"""`successlink db upgrade|status` as a user runs them (registered on a local root here,
the way cli/app.py registers it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
import typer
from sqlalchemy import inspect
from typer.testing import CliRunner

from successlink.cli import db
from successlink.cli.context import AppContext
from successlink.store.connect import normalise_url, open_store
from successlink.store.migrate import head_revision

# The newest migration in the package: what a fresh upgrade must reach.
HEAD = head_revision()


def _root() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context,
             workspace: Annotated[Path, typer.Option("--workspace")]) -> None:
        ctx.obj = AppContext(workspace=workspace)

    root.add_typer(db.app, name="db")
    return root


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SUCCESSLINK_APP_STORE", raising=False)
    return tmp_path / "ws"


def test_db_upgrade_creates_the_store_then_reports_it_up_to_date(workspace: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(_root(), ["--workspace", str(workspace), "db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"upgraded from empty to revision {HEAD}" in first.output
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    assert "ledger_entries" in inspect(engine).get_table_names()
    engine.dispose()
    again = runner.invoke(_root(), ["--workspace", str(workspace), "db", "upgrade"])
    assert again.exit_code == 0 and f"up to date (revision {HEAD})" in again.output
    status = runner.invoke(_root(), ["--workspace", str(workspace), "db", "status"])
    assert f"revision {HEAD} (newest {HEAD})" in status.output


def test_db_status_on_an_empty_store_says_to_upgrade(workspace: Path) -> None:
    workspace.mkdir()
    result = CliRunner().invoke(_root(), ["--workspace", str(workspace), "db", "status"])
    assert result.exit_code == 0
    assert "revision none" in result.output and "successlink db upgrade" in result.output


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u@h:5/d", "postgresql+psycopg://u@h:5/d"),
    ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
])
def test_pasted_postgres_urls_use_psycopg3(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_a_password_is_not_printed() -> None:
    assert db._redacted("postgresql://me:s3cret@h/d") == "postgresql://me@h/d"


def test_the_root_command_mounts_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from successlink.cli.app import run

    monkeypatch.delenv("SUCCESSLINK_APP_STORE", raising=False)
    assert run(["--workspace", str(tmp_path), "db", "upgrade"]) == 0
    assert run(["--workspace", str(tmp_path), "db", "status"]) == 0
    assert f"revision {HEAD} (newest {HEAD})" in capsys.readouterr().out
    assert (tmp_path / "app.db").exists()
