"""Acceptance against the synthetic world's ground truth, and DuckDB/PostgreSQL parity.

A parquet world goes through `successlink ingest canonical` and `successlink score`, then
the scorecard is compared with what the generator knows: each affiliate's latent quality.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.stats import spearmanr

from successlink.cli.app import run
from successlink.config import ScorecardSettings
from successlink.scores.cohorts import NEEDED, Accounts, accounts_from
from successlink.scores.scorecard import score_sources
from successlink.scores.snapshots import read_snapshot
from successlink.warehouse.connect import Warehouse
from tests.conftest import _new_postgres_db

END = date(2026, 6, 30)


def _world(root: Path, customers: int, affiliates: int, events: str) -> Path:
    world = root / "world"
    assert run(["--workspace", str(root), "synth", "--out", str(world), "--customers",
                str(customers), "--affiliates", str(affiliates), "--events", events,
                "--seed", "3", "--end", END.isoformat(), "--format", "parquet"]) == 0
    return world


def _ingest_and_score(root: Path, world: Path) -> None:
    files = sorted(str(p) for p in (world / "canonical").glob("*.parquet"))
    files += sorted(str(p) for p in (world / "canonical" / "usage_events").glob("*.parquet"))
    assert run(["--workspace", str(root), "ingest", "canonical", *files]) == 0
    assert run(["--workspace", str(root), "score", "--as-of", END.isoformat()]) == 0


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Path]:
    root = tmp_path_factory.mktemp("scored")
    world = _world(root, 6_000, 50, "10")
    _ingest_and_score(root, world)
    wh = Warehouse(f"duckdb://{root / 'warehouse.duckdb'}")
    return wh, world


def _truth(world: Path) -> dict[str, float]:
    rows = pq.read_table(world / "truth" / "affiliates.parquet").to_pylist()
    return {r["affiliate_id"]: r["latent_quality"] for r in rows}


def _accounts(wh: Warehouse) -> Accounts:
    metrics = read_snapshot(wh, "account_metrics", END).select(*NEEDED).to_pyarrow()
    return accounts_from(metrics, read_snapshot(wh, "account_health", END).to_pyarrow(), END)


def test_quality_ranks_affiliates_like_their_latent_quality(scored: tuple[Warehouse, Path]
                                                            ) -> None:
    wh, world = scored
    truth = _truth(world)
    cards = [r for r in read_snapshot(wh, "source_scorecards", END).to_pyarrow().to_pylist()
             if r["source_kind"] == "affiliate" and r["referred_accounts"] >= 30]
    assert len(cards) >= 15  # enough affiliates for the correlation to mean something
    rho = spearmanr([c["quality_score"] for c in cards],
                    [truth[c["source_id"]] for c in cards]).statistic
    assert rho >= 0.8


def test_shrinkage_beats_the_raw_estimate_for_small_affiliates(scored: tuple[Warehouse, Path]
                                                               ) -> None:
    """Cut every large affiliate down to 3-9 random accounts (so its truth is known and
    many small affiliates exist), score again, and compare errors against the truth on the
    truth's scale (an affine map fitted on the full-size scores)."""
    wh, world = scored
    truth, accounts, settings = _truth(world), _accounts(wh), ScorecardSettings()
    full, _ = score_sources(accounts, "affiliate", settings)
    ids, n = np.array(full["source_id"]), np.asarray(full["referred_accounts"])
    big = ids[n >= 30]
    slope, intercept = np.polyfit(np.asarray(full["quality_score"])[n >= 30],
                                  [truth[a] for a in big], 1)
    rng = np.random.default_rng(11)
    errors: dict[str, list[float]] = {"raw": [], "shrunk": []}
    for _ in range(4):
        cut = _cut_down(accounts, big, rng)
        columns, _ = score_sources(cut, "affiliate", settings)
        where = {a: i for i, a in enumerate(columns["source_id"])}
        for a in big:
            for kind, column in (("raw", "quality_raw"), ("shrunk", "quality_score")):
                estimate = intercept + slope * columns[column][where[a]]
                errors[kind].append((estimate - truth[a]) ** 2)
    assert np.mean(errors["shrunk"]) < 0.8 * np.mean(errors["raw"])


def _cut_down(accounts: Accounts, affiliates: Any, rng: np.random.Generator) -> Accounts:
    keep = np.ones(accounts.size, dtype=bool)
    for affiliate in affiliates:
        members = np.flatnonzero(accounts.affiliate_id == affiliate)
        size = int(rng.integers(3, 10))
        keep[rng.choice(members, members.size - size, replace=False)] = False
    return accounts.take(keep)


def _rows(wh: Warehouse, table: str, key: list[str]) -> list[dict[str, Any]]:
    rows = read_snapshot(wh, table, END).to_pyarrow().to_pylist()
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in key))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-9, atol=1e-9))
    return bool(a == b)


@pytest.mark.postgres
def test_duckdb_and_postgres_score_the_same_world_identically(
        tmp_path: Path, postgres_server: str) -> None:
    duck, pg = tmp_path / "duck", tmp_path / "pg"
    world = _world(duck, 300, 50, "4")
    pg.mkdir()
    (pg / "successlink.toml").write_text(
        f'[warehouse]\nurl = "{_new_postgres_db(postgres_server)}"\n', encoding="utf-8")
    for root in (duck, pg):
        _ingest_and_score(root, world)
    duck_wh = Warehouse(f"duckdb://{duck / 'warehouse.duckdb'}")
    pg_wh = Warehouse(_new_url(pg))
    for table, key in (("account_metrics", ["account_id"]), ("account_health", ["account_id"]),
                       ("account_health_components", ["account_id", "measure"]),
                       ("account_predicted_ltv", ["account_id"]),
                       ("source_scorecards", ["source_kind", "source_id"])):
        left, right = _rows(duck_wh, table, key), _rows(pg_wh, table, key)
        assert len(left) == len(right) > 0, table
        for x, y in zip(left, right, strict=True):
            different = [k for k in x if not _same(x[k], y[k])]
            assert not different, (table, x[key[0]], {k: (x[k], y[k]) for k in different})


def _new_url(root: Path) -> str:
    text = (root / "successlink.toml").read_text(encoding="utf-8")
    return text.split('"')[1]


def test_program_figures_are_stored_with_each_score(scored: tuple[Warehouse, Path]) -> None:
    wh, _ = scored
    (row,) = read_snapshot(wh, "program_figures", END).to_pyarrow().to_pylist()
    assert 0 < row["revenue_grr"] <= 1
    assert row["revenue_nrr"] >= row["revenue_grr"]  # expansion only adds
    assert row["revenue_revenue_churn"] == pytest.approx(1 - row["revenue_grr"])
    # The world's accounts churn around 1.5-4% a month (truth README: 3% base hazard).
    assert 0.01 < row["logo_365d_monthly_churn_rate"] < 0.06
    assert row["crc_crc_per_customer_minor"] > 0
