"""`successlink train` on too little history: one sentence, what to do, exit code 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from successlink.cli.app import run
from successlink.warehouse.connect import Warehouse
from tests.cli.wiring import register_train
from tests.metrics.seed import seed_many


def test_train_refuses_short_history_and_names_the_fallback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register_train()
    wh = Warehouse(f"duckdb://{tmp_path / 'warehouse.duckdb'}")
    sub: dict[str, Any] = {"subscription_id": "s1", "account_id": "a", "currency": "USD",
                           "quantity": 1, "interval": "month", "interval_count": 1,
                           "status": "active", "started_at": "2026-01-01",
                           "updated_at": "2026-01-01"}
    seed_many(wh, {"subscriptions": [sub]})
    wh.close()
    assert run(["--workspace", str(tmp_path), "train", "--as-of", "2026-06-30"]) == 1
    err = capsys.readouterr().err
    assert "the data spans 180 days (2026-01-01 to 2026-06-30)" in err
    assert "health score" in err
    assert not (tmp_path / "models").exists()


def test_train_with_no_billing_data_says_what_to_load(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register_train()
    assert run(["--workspace", str(tmp_path), "train", "--as-of", "2026-06-30"]) == 1
    assert "Ingest billing data first" in capsys.readouterr().err
