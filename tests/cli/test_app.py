"""The command line as a user drives it: commands, output, exit codes, idempotent re-runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from successlink.cli.app import run
from successlink.config import CONFIG_FILE
from successlink.warehouse.connect import Warehouse

DATA = Path(__file__).parents[1] / "data"
COSTS = """cost_id,incurred_on,amount_minor,currency,cost_type,account_id,csm,note,source
c1,2024-01-31,500000,usd,csm_salary,,alice,,canonical
c2,2024-01-31,-5,USD,tooling,,,,canonical
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SUCCESSLINK_WAREHOUSE", raising=False)
    root = tmp_path / "ws"
    assert run(["init", str(root)]) == 0
    return root


def cli(workspace: Path, *args: str) -> int:
    return run(["--workspace", str(workspace), *args])


def test_help_lists_the_commands(capsys):
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("init", "ingest", "sources", "status", "synth", "demo", "rejects"):
        assert command in out


def test_init_writes_a_config_and_refuses_to_overwrite(workspace: Path, capsys):
    assert (workspace / CONFIG_FILE).read_text().startswith("# SuccessLink workspace settings")
    assert run(["init", str(workspace)]) == 2
    assert "--force" in capsys.readouterr().err


def test_ingest_reports_counts_and_a_rerun_changes_nothing(workspace: Path, tmp_path: Path,
                                                           capsys):
    costs = tmp_path / "cs_costs.csv"
    costs.write_text(COSTS)
    assert cli(workspace, "ingest", "cs_costs", str(costs)) == 0
    first = capsys.readouterr().out
    assert "cs_costs.amount_minor" in first and "negative" in first
    assert cli(workspace, "ingest", "cs_costs", str(costs)) == 0
    wh = Warehouse(f"duckdb://{workspace / 'warehouse.duckdb'}")
    t = wh.table("loads")
    counts = wh.execute(wh.compile(t.filter(t.table_name == "-").select(
        "inserted", "unchanged", "rejected").order_by("inserted")))
    assert counts == [(0, 1, 1), (1, 0, 1)]
    wh.close()


def test_an_unreadable_file_fails_alone_and_names_itself(workspace: Path, tmp_path: Path,
                                                         capsys):
    good = tmp_path / "cs_costs.csv"
    good.write_text(COSTS)
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json")
    assert cli(workspace, "ingest", "stripe", str(bad)) == 1
    assert "broken.json" in capsys.readouterr().out
    assert cli(workspace, "ingest", "cs_costs", str(good)) == 0


def test_unknown_source_says_which_exist(workspace: Path, capsys):
    assert cli(workspace, "ingest", "salesforce", "x.csv") == 2
    assert "stripe" in capsys.readouterr().err


def test_real_fixtures_load_and_show_in_status_and_rejects(workspace: Path, tmp_path: Path,
                                                           capsys):
    stripe_dir = tmp_path / "dj"
    shutil.copytree(DATA / "stripe" / "dj-stripe-objects", stripe_dir)
    (stripe_dir / "LICENSE").unlink()
    assert cli(workspace, "ingest", "stripe", str(stripe_dir)) == 0
    assert cli(workspace, "status") == 0
    out = capsys.readouterr().out
    assert "invoices" in out and "subscriptions" in out
    assert cli(workspace, "rejects", "list") == 0


def test_sources_lists_every_adapter(capsys):
    assert run(["sources"]) == 0
    out = capsys.readouterr().out
    for name in ("stripe", "segment", "zendesk", "surveys", "hubspot", "canonical"):
        assert name in out


def test_an_out_of_range_option_is_a_usage_error_not_a_traceback(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = run(["--workspace", str(tmp_path), "synth", "--out", str(tmp_path / "w"),
                "--affiliates", "3"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "--affiliates" in err and "50" in err
