"""The account_churn_risk snapshot: model rows, health-fallback rows, bands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from successlink.config import ChurnSettings, Settings
from successlink.models.churn import registry
from successlink.models.churn.booster import BoosterParams
from successlink.models.churn.model import fit_model
from successlink.scores.churn import (
    CHURN_RISK,
    FROM_HEALTH,
    FROM_MODEL,
    fallback_risk,
    risk_bands,
    store_churn_risk,
)
from successlink.scores.snapshots import read_snapshot
from successlink.warehouse.connect import Warehouse
from tests.models.churn.fake import block, frame

DAY = date(2026, 7, 1)


def test_bands_by_threshold() -> None:
    p = np.array([0.05, 0.1, 0.29, 0.3, 0.9])
    assert risk_bands(p, {"high": 0.3, "medium": 0.1}) == [
        "low", "medium", "medium", "high", "high"]


def _health(ids: list[str]) -> pa.Table:
    bands = ["red", "yellow", "green"]
    return pa.table({"account_id": ids, "score": [20.0 + 30 * (i % 3) for i in range(len(ids))],
                     "band": [bands[i % 3] for i in range(len(ids))]})


def test_fallback_bands_come_from_health_and_say_so(tmp_path: Path) -> None:
    metrics = pa.table({"account_id": ["a", "b", "c", "gone"],
                        "is_active": [True, True, True, False]})
    rows = fallback_risk(metrics, _health(["a", "b", "c", "gone"]),
                         Settings(workspace=tmp_path), DAY).to_pylist()
    assert [r["account_id"] for r in rows] == ["a", "b", "c"]
    assert [r["risk_band"] for r in rows] == ["high", "medium", "low"]
    assert all(r["churn_probability"] is None and r["model_version"] is None for r in rows)
    assert {r["source"] for r in rows} == {FROM_HEALTH}
    assert rows[0]["top_drivers"].startswith("no churn model for this day")
    assert "health score 20 (red)" in rows[0]["top_drivers"]


@pytest.fixture
def metrics_and_health(duckdb_warehouse: Warehouse) -> tuple[Warehouse, int]:
    rows, _ = block(np.random.default_rng(9), 400, DAY)
    rows = rows.drop_columns(["source_accounts", "source_churn_share"])
    duckdb_warehouse.con.create_table("m", rows)
    duckdb_warehouse.con.create_table("h", _health(rows.column("account_id").to_pylist()))
    return duckdb_warehouse, rows.num_rows


def test_a_saved_model_scores_the_day(tmp_path: Path,
                                      metrics_and_health: tuple[Warehouse, int]) -> None:
    wh, n = metrics_and_health
    model = fit_model(frame(seed=10, origins=3, n=600), BoosterParams(rounds=40), "platt")
    version = registry.save(tmp_path, model, {"data_end": "2026-06-30", "horizon_days": 90})
    # The fake accounts churn a lot: bands at 30% and 60% split them in three.
    settings = Settings(workspace=tmp_path,
                        churn=ChurnSettings(bands={"high": 0.6, "medium": 0.3}))
    assert store_churn_risk(wh, settings, DAY, wh.table("m"), wh.table("h")) == n
    rows = read_snapshot(wh, CHURN_RISK, DAY).to_pyarrow().to_pylist()
    assert {r["source"] for r in rows} == {FROM_MODEL}
    assert {r["model_version"] for r in rows} == {version}
    assert all(0 < r["churn_probability"] < 1 and r["horizon_days"] == 90 for r in rows)
    by_band = {b: [r for r in rows if r["risk_band"] == b] for b in ("low", "medium", "high")}
    assert all(len(rows) > 20 for rows in by_band.values())
    assert max(r["churn_probability"] for r in by_band["low"]) < 0.3
    assert min(r["churn_probability"] for r in by_band["medium"]) >= 0.3
    assert max(r["churn_probability"] for r in by_band["medium"]) < 0.6
    # Drivers are written for the bands worth acting on, three reasons each; low: none.
    assert all(r["top_drivers"].count("risk)") == 3 for r in by_band["high"] + by_band["medium"])
    assert all(r["top_drivers"] is None for r in by_band["low"])
    # A day before the model's data ended must not use it.
    earlier = date(2026, 6, 29)
    store_churn_risk(wh, settings, earlier, wh.table("m"), wh.table("h"))
    rows = read_snapshot(wh, CHURN_RISK, earlier).to_pyarrow().to_pylist()
    assert {r["source"] for r in rows} == {FROM_HEALTH}
