"""End to end: a small synthetic world through every real-format adapter into DuckDB.

The generator's truth says what must arrive: every account, its subscriptions and events,
resolved to the right account by the identity rules, with nothing rejected.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from successlink.cli.app import run
from successlink.warehouse.connect import Warehouse


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    code = run(["--workspace", str(root), "demo", "--customers", "300", "--affiliates", "50",
                "--events", "4"])
    assert code == 0
    return root


@pytest.fixture(scope="module")
def warehouse(demo_workspace: Path):
    wh = Warehouse(f"duckdb://{demo_workspace / 'warehouse.duckdb'}")
    yield wh
    wh.close()


def count(wh: Warehouse, sql: str) -> int:
    return int(wh.execute(sql)[0][0])


def test_every_true_account_arrives_once(demo_workspace: Path, warehouse: Warehouse):
    truth = pq.read_table(demo_workspace / "world" / "truth" / "accounts.parquet")
    true_ids = set(truth.column("account_id").to_pylist())
    stored = {r[0] for r in warehouse.execute("SELECT account_id FROM accounts")}
    assert true_ids <= stored
    # Sources that describe the same company must not split it into several accounts.
    assert len(stored - true_ids) <= 0.02 * len(true_ids)


def test_sources_resolve_to_accounts(warehouse: Warehouse):
    for table in ("subscriptions", "invoices", "usage_events", "support_tickets",
                  "survey_responses", "contacts", "acquisitions"):
        total = count(warehouse, f"SELECT COUNT(*) FROM {table}")
        matched = count(warehouse, f"SELECT COUNT(*) FROM {table} WHERE account_id IS NOT NULL")
        assert total > 0, table
        assert matched / total >= 0.95, (table, matched, total)


def test_affiliate_referrals_match_the_truth(demo_workspace: Path, warehouse: Warehouse):
    truth = pq.read_table(demo_workspace / "world" / "truth" / "accounts.parquet").to_pylist()
    expected = {r["account_id"]: r["affiliate_id"] for r in truth if r["affiliate_id"]}
    stored = dict(warehouse.execute(
        "SELECT account_id, affiliate_id FROM acquisitions WHERE affiliate_id IS NOT NULL "
        "AND acquisition_id LIKE 'synth:%'"))
    assert expected == {a: stored.get(a) for a in expected}


def test_churned_accounts_have_ended_subscriptions(demo_workspace: Path, warehouse: Warehouse):
    truth = pq.read_table(demo_workspace / "world" / "truth" / "accounts.parquet").to_pylist()
    churned = {r["account_id"] for r in truth if r["churned_at"] is not None}
    ended = {r[0] for r in warehouse.execute(
        "SELECT account_id FROM subscriptions GROUP BY account_id "
        "HAVING bool_and(status = 'canceled')")}
    assert churned, "the world should contain churn"
    assert len(churned & ended) >= 0.95 * len(churned)


def test_a_second_ingest_of_the_world_changes_nothing(demo_workspace: Path,
                                                      warehouse: Warehouse):
    before = count(warehouse, "SELECT COUNT(*) FROM usage_events")
    world = demo_workspace / "world"
    assert run(["--workspace", str(demo_workspace), "ingest", "segment",
                str(world / "segment")]) == 0
    assert run(["--workspace", str(demo_workspace), "ingest", "stripe",
                str(world / "stripe")]) == 0
    assert count(warehouse, "SELECT COUNT(*) FROM usage_events") == before
    last = warehouse.execute("SELECT SUM(inserted), SUM(updated) FROM loads WHERE "
                             "table_name = '-' AND loaded_at = (SELECT MAX(loaded_at) FROM loads)")
    assert last == [(0, 0)]


def test_the_demo_ends_with_scores_advocates_and_a_report(demo_workspace: Path,
                                                          warehouse: Warehouse):
    reports = demo_workspace / "reports"
    (html,) = reports.glob("report-*.html")
    text = html.read_text(encoding="utf-8")
    assert "<svg" in text and "Program" in text
    assert (reports / "advocates.csv").read_text(encoding="utf-8").startswith("rank")
    accounts = count(warehouse, "SELECT COUNT(*) FROM accounts")
    days = warehouse.execute("SELECT as_of, COUNT(*) FROM account_metrics GROUP BY 1")
    assert len(days) == 2  # the day and, for trends, 30 days earlier
    latest = max(days)
    assert latest[1] == accounts  # one row per account known on the day


def test_health_explain_shows_the_score_and_its_trend(demo_workspace: Path, warehouse: Warehouse,
                                                      capsys: pytest.CaptureFixture[str]):
    (account,) = warehouse.execute(
        "SELECT account_id FROM account_health WHERE score IS NOT NULL "
        "ORDER BY as_of DESC, account_id LIMIT 1")[0]
    assert run(["--workspace", str(demo_workspace), "health", "explain", account]) == 0
    out = capsys.readouterr().out
    assert f"Health of {account}" in out and " of 100: " in out
    assert "No score as of" not in out  # the demo scored 30 days earlier too


def test_health_explain_of_an_unknown_account_is_a_clear_error(
        demo_workspace: Path, capsys: pytest.CaptureFixture[str]):
    assert run(["--workspace", str(demo_workspace), "health", "explain", "nope"]) == 2
    assert "has no health score" in capsys.readouterr().err
