"""`successlink report` as a user runs it: tables on screen, the HTML file where it says."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from successlink.cli.context import AppContext
from successlink.cli.report import report
from successlink.errors import SuccessLinkError
from successlink.warehouse.connect import Warehouse
from tests.reports.seed import program, store


def command(workspace: Path) -> typer.Typer:
    """The report command under a root that opens `workspace`, as cli/app.py does."""
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        state = AppContext(workspace=workspace)
        ctx.obj = state
        ctx.call_on_close(state.close)

    app.command("report")(report)
    return app


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SUCCESSLINK_WAREHOUSE", raising=False)
    return tmp_path / "ws"


def test_report_prints_tables_and_writes_the_default_file(workspace: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    advocate = {"account_id": "acc_0001", "name": "Globex", "advocacy_score": 88.0,
                "reasons": ["Promoter"], "contacts": []}
    monkeypatch.setattr("successlink.cli.report.load_advocates",
                        lambda wh, settings, as_of: [advocate])
    wh = Warehouse(f"duckdb://{workspace / 'warehouse.duckdb'}")
    store(wh, program(3))
    wh.close()
    result = CliRunner().invoke(command(workspace), ["report"], terminal_width=200)
    assert result.exit_code == 0, result.output
    path = workspace / "reports" / "report-2026-06-30.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Globex" in page
    assert "Program" in result.output and "Report written to" in result.output
    assert "report-2026-06-30.html" in result.output.replace("\n", "")


def test_report_writes_where_asked_for_a_chosen_day(workspace: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("successlink.cli.report.load_advocates", lambda wh, settings, as_of: [])
    monkeypatch.setattr("successlink.reports.html.render_charts", lambda data: {})  # speed
    wh = Warehouse(f"duckdb://{workspace / 'warehouse.duckdb'}")
    store(wh, program(3))
    wh.close()
    out = tmp_path / "elsewhere" / "r.html"
    result = CliRunner().invoke(command(workspace),
                                ["report", "--as-of", "2026-06-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "No account qualifies" in out.read_text(encoding="utf-8")


def test_report_refuses_before_anything_was_scored(workspace: Path, tmp_path: Path):
    result = CliRunner().invoke(command(workspace), ["report", "--out", str(tmp_path / "r.html")])
    assert isinstance(result.exception, SuccessLinkError)
    assert "successlink score" in result.exception.render()
    assert not (tmp_path / "r.html").exists()
