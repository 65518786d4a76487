"""A DuckDB warehouse holding one hand-built scored day, and that day loaded for the report.

Rendering charts takes a second each, so the full report is built once per test session.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from successlink.reports.charts import render_charts
from successlink.reports.data import ReportData, load_report
from successlink.warehouse.connect import Warehouse
from tests.reports.seed import Program, program, store


def _scores(ece: float, pairs: list[tuple[float, float]]) -> dict[str, object]:
    return {"rows": 1000, "positives": 100, "auc": 0.83, "pr_auc": 0.38, "brier": 0.07,
            "lift_top_decile": 4.2, "ece": ece,
            "curve": [{"rows": 100, "mean_predicted": p, "observed": o} for p, o in pairs]}


# What a trained churn model's metadata holds about its backtest (hand-made bins).
CHURN_MODEL = {"version": "2026-06-30-abc",
               "pooled": _scores(0.01, [(0.01, 0.0), (0.03, 0.02), (0.08, 0.1), (0.4, 0.42)]),
               "baseline": _scores(0.03, [(0.02, 0.01), (0.05, 0.05), (0.1, 0.09), (0.3, 0.4)])}


def open_scored(path: Path, world: Program) -> Warehouse:
    """A fresh DuckDB file with `world` stored as the seed's as-of day."""
    wh = Warehouse(f"duckdb://{path / 'report.duckdb'}")
    store(wh, world)
    return wh


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    """An empty DuckDB warehouse."""
    warehouse = Warehouse(f"duckdb://{tmp_path / 'empty.duckdb'}")
    yield warehouse
    with contextlib.suppress(Exception):
        warehouse.close()


@pytest.fixture(scope="session")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    """A scored program where affiliate aff_00 is named `<script>alert(1)</script>`."""
    wh = open_scored(tmp_path_factory.mktemp("hostile"), program(hostile=True))
    data = load_report(wh, workspace="acme <demo>", currency="USD")
    wh.close()
    return replace(data, churn_model=CHURN_MODEL)


@pytest.fixture(scope="session")
def empty_data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    """Channels only: no affiliates, nobody answered an NPS survey, no CSAT."""
    world = program(n_affiliates=0)
    for account in world.accounts:
        account["nps_latest_category"] = None
        account["csat_pct_satisfied"] = None
    for card in world.cards:
        card.update(nps=None, nps_low=None, nps_high=None, nps_respondents=0, csat_pct=None)
    wh = open_scored(tmp_path_factory.mktemp("empty"), world)
    data = load_report(wh, workspace="empty", currency="EUR")
    wh.close()
    return data


@pytest.fixture(scope="session")
def charts(hostile_data: ReportData) -> dict[str, str | None]:
    """Every chart of the hostile program, drawn once."""
    return render_charts(hostile_data)
