"""`successlink sync` (registered on a local root, the way cli/app.py registers it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from successlink.cli import db
from successlink.cli.context import AppContext
from successlink.cli.sync import sync
from successlink.warehouse.connect import Warehouse
from tests.scores.test_publish import DAY, _score


def _run(workspace: Path, *args: str) -> tuple[int, str]:
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context,
             workspace: Annotated[Path, typer.Option("--workspace")]) -> None:
        ctx.obj = AppContext(workspace=workspace)
        ctx.call_on_close(ctx.obj.close)

    root.add_typer(db.app, name="db")
    root.command("sync")(sync)
    result = CliRunner().invoke(root, ["--workspace", str(workspace), *args])
    return result.exit_code, result.output + str(result.exception or "")


def test_sync_publishes_the_latest_scored_day(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SUCCESSLINK_APP_STORE", "SUCCESSLINK_WAREHOUSE", "SUCCESSLINK_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    workspace = tmp_path / "ws"
    assert _run(workspace, "db", "upgrade")[0] == 0
    code, out = _run(workspace, "sync")
    assert code != 0 and "nothing is scored yet" in out
    wh = Warehouse(f"duckdb://{(workspace / 'warehouse.duckdb').resolve()}")
    _score(wh, DAY, "gold", "green")
    wh.close()
    code, out = _run(workspace, "sync")
    assert code == 0, out
    assert "Synced 2026-03-31: 0 affiliate tiers, 2 account health bands; 2 scorecard " \
        "affiliates are not in the app store." in " ".join(out.split())
    assert "is not scored" in _run(workspace, "sync", "--as-of", "2026-01-01")[1]


def test_after_a_score_only_a_migrated_app_store_is_synced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from successlink.cli.sync import sync_after_score

    for name in ("SUCCESSLINK_APP_STORE", "SUCCESSLINK_WAREHOUSE", "SUCCESSLINK_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    state = AppContext(workspace=workspace, console=Console(record=True, width=200))
    _score(state.warehouse, DAY, "gold", "green")
    sync_after_score(state, DAY)
    assert not (workspace / "app.db").exists()     # no app store: none is created
    assert _run(workspace, "db", "upgrade")[0] == 0
    sync_after_score(state, DAY)
    assert "Synced to the app store: 0 affiliate tiers, 2 account health bands." in \
        state.console.export_text()
    state.close()
