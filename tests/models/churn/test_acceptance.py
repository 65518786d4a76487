"""Acceptance on a synthetic world: backtest AUC >= 0.80 and ECE <= 0.05 (issue 4, §5).

The world is synthesised, ingested and trained on through the CLI, as a user would. It uses
the generator's default usage density (100 events per account-month): at 10 events a month
usage is too sparse to show an account's health, and even a model told each account's
*true* latent quality and health ranks churners at only about 0.80-0.84 AUC in that world
(docs/models/churn.md, "Acceptance"); 0.80 would not be an honest target there.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from scipy.stats import spearmanr

from successlink.cli.app import run
from successlink.config import load_settings
from successlink.models.churn import registry
from successlink.scores.churn import FROM_MODEL, store_churn_risk
from successlink.scores.snapshots import read_snapshot
from successlink.warehouse.connect import Warehouse
from tests.cli.wiring import register_train

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    register_train()
    root = tmp_path_factory.mktemp("churn")
    world = root / "world"
    ws = ["--workspace", str(root)]
    assert run([*ws, "synth", "--out", str(world), "--customers", "4000", "--affiliates",
                "50", "--events", "100", "--seed", "3", "--end", END.isoformat(),
                "--format", "parquet"]) == 0
    files = sorted(str(p) for p in (world / "canonical").glob("*.parquet"))
    files += sorted(str(p) for p in (world / "canonical" / "usage_events").glob("*.parquet"))
    assert run([*ws, "ingest", "canonical", *files]) == 0
    assert run([*ws, "train", "--as-of", END.isoformat()]) == 0
    version = registry.latest_version(root)
    assert version is not None
    return root, world, registry.load(root, version).meta


def test_backtest_meets_the_targets(trained: tuple[Path, Path, dict[str, Any]]) -> None:
    _, _, meta = trained
    backtest = meta["backtest"]
    folds = backtest["folds"]
    assert len(folds) == 4 and not any(f["skipped"] for f in folds)
    for fold in folds:
        assert fold["booster"]["positives"] >= 100, fold["origin"]
        assert fold["booster"]["auc"] >= 0.80, fold["origin"]
        assert fold["booster"]["ece"] <= 0.05, fold["origin"]
    pooled, baseline = backtest["pooled"], backtest["pooled_baseline"]
    assert pooled["auc"] >= 0.80
    assert pooled["ece"] <= 0.05
    # The booster earns its opacity: it ranks better than the transparent baseline.
    assert pooled["auc"] > baseline["auc"]
    assert pooled["lift_top_decile"] > 2.5


def test_the_latest_model_scores_a_stored_day(trained: tuple[Path, Path, dict[str, Any]]
                                              ) -> None:
    root, world, _ = trained
    assert run(["--workspace", str(root), "score", "--as-of", END.isoformat(),
                "--no-trend"]) == 0
    wh = Warehouse(f"duckdb://{root / 'warehouse.duckdb'}")
    stored = store_churn_risk(wh, load_settings(root), END,
                              read_snapshot(wh, "account_metrics", END),
                              read_snapshot(wh, "account_health", END))
    rows = read_snapshot(wh, "account_churn_risk", END).to_pyarrow().to_pylist()
    assert stored == len(rows) > 1000
    assert {r["source"] for r in rows} == {FROM_MODEL}
    assert {r["model_version"] for r in rows} == {registry.latest_version(root)}
    acted_on = [r for r in rows if r["risk_band"] in ("high", "medium")]
    assert 0 < len(acted_on) < len(rows)
    assert all(r["top_drivers"].count("risk)") == 3 for r in acted_on)
    # Against the generator's truth: the predicted risk follows the latent monthly hazard
    # of the accounts still in service at the end.
    truth = pq.read_table(world / "truth" / "accounts.parquet",
                          columns=["account_id", "expected_monthly_hazard", "churned_at"])
    hazard = {r["account_id"]: r["expected_monthly_hazard"] for r in truth.to_pylist()
              if r["churned_at"] is None}
    pairs = [(r["churn_probability"], hazard[r["account_id"]]) for r in rows
             if r["account_id"] in hazard]
    assert len(pairs) > 0.9 * len(rows)
    rho = spearmanr([p for p, _ in pairs], [h for _, h in pairs]).statistic
    assert rho > 0.3
    wh.close()
