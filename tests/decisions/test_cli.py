"""`successlink advocates` as a user runs it: the table, the cohorts, the CSV, the errors."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from successlink.cli.advocates import advocates, write_csv
from successlink.cli.context import AppContext
from successlink.decisions.advocates import CSV_COLUMNS, Advocate
from successlink.decisions.contacts import Contact
from successlink.errors import SuccessLinkError
from successlink.warehouse.connect import Warehouse
from tests.decisions.scored import store_scored
from tests.decisions.test_advocates import accounts, seed_crm


def cli_app() -> typer.Typer:
    """The command mounted as the lead mounts it in cli/app.py (global --workspace)."""
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context,
             workspace: Annotated[Path, typer.Option("--workspace")]) -> None:
        ctx.obj = AppContext(workspace=workspace)
        ctx.call_on_close(ctx.obj.close)

    app.command("advocates")(advocates)
    return app


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SUCCESSLINK_WAREHOUSE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "ws"


def run(workspace: Path, *args: str):
    return CliRunner().invoke(cli_app(), ["--workspace", str(workspace), "advocates", *args])


def test_nothing_scored_tells_the_user_to_run_score_first(workspace: Path):
    result = run(workspace)
    assert isinstance(result.exception, SuccessLinkError)
    assert "nothing is scored" in str(result.exception)
    assert "Run `successlink score` first" in str(result.exception)


def test_prints_advocates_and_cohorts_and_writes_one_csv_row_per_contact(workspace: Path,
                                                                          tmp_path: Path):
    wh = Warehouse(f"duckdb://{workspace / 'warehouse.duckdb'}")
    store_scored(wh, accounts())
    seed_crm(wh)
    wh.close()
    out = tmp_path / "out" / "advocates.csv"
    result = run(workspace, "--limit", "2", "--csv", str(out))
    assert result.exit_code == 0, result.output
    assert "Acme" in result.output and "Promoter (NPS 10, answered 12 days ago)" in result.output
    assert "Cara Champ" in result.output and "Best accounts" in result.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # a: four contacts; b: none in the CRM, still one row
    assert [(r["rank"], r["account_id"], r["contact_role"]) for r in rows] == [
        ("1", "a", "champion"), ("1", "a", "decision_maker"), ("1", "a", "influencer"),
        ("1", "a", "budget_holder"), ("2", "b", "")]
    assert rows[0]["reasons"].startswith("Promoter (NPS 10, answered 12 days ago); Usage up")
    assert "Wrote 5 rows" in result.output


def test_csv_round_trip_keeps_every_field(tmp_path: Path):
    person = Contact("c1", "a", "Ann Lee", "ann@x.test", "VP, Ops", "champion", True, None,
                     'Champion (VP, Ops): says "yes".')
    found = [Advocate("a", "Acme, Inc.", "acme.test", "affiliate", "aff_1", 91.5, 80.0, "green",
                      10, 50_000, 7_000, ["Promoter (NPS 10)", "Expanded twice (+$240 MRR)"],
                      [person])]
    path = tmp_path / "a.csv"
    assert write_csv(path, found) == 1
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        (row,) = list(reader)
    assert row == {
        "rank": "1", "account_id": "a", "name": "Acme, Inc.", "domain": "acme.test",
        "channel": "affiliate", "affiliate_id": "aff_1", "advocacy_score": "91.5",
        "health_score": "80.0", "band": "green", "nps_latest_score": "10",
        "mrr_minor": "50000", "ltv_margin_minor": "7000",
        "reasons": "Promoter (NPS 10); Expanded twice (+$240 MRR)", "contact_name": "Ann Lee",
        "contact_email": "ann@x.test", "contact_role": "champion",
        "contact_job_title": "VP, Ops", "contact_engaged_90d": "True",
        "contact_why": 'Champion (VP, Ops): says "yes".'}
