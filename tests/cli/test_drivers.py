"""`successlink drivers` on a small synthetic world: behaviour deciles, milestones, CSVs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from successlink.cli.app import run
from successlink.config import load_settings
from successlink.health.config import load_health_config
from successlink.models.drivers.study import DriverStudy, study_drivers
from successlink.scores.rollups import ensure_rollups
from successlink.scores.run import inputs
from successlink.warehouse.connect import Warehouse
from tests.cli.conftest import END


@pytest.fixture(scope="module")
def study(world: Path) -> DriverStudy:
    wh = Warehouse(f"duckdb://{world / 'warehouse.duckdb'}")
    try:
        ensure_rollups(wh)
        return study_drivers(inputs(wh), load_settings(world).metrics, as_of=END,
                             horizon_days=90, onboarding_days=30, min_source_accounts=50)
    finally:
        wh.close()


def test_usage_moves_with_churn_in_the_world(study: DriverStudy) -> None:
    by_name = {d.metric: d for d in study.metrics}
    active = by_name["active_days_30"]
    # The generator makes unhealthy accounts use the product less and leave more.
    assert active.churn_correlation < -0.1
    assert active.bins[0].churn.rate > active.bins[-1].churn.rate
    # Every customer of the origin is in exactly one bin (or the not-measured one).
    missing = active.missing.accounts if active.missing else 0
    assert sum(b.accounts for b in active.bins) + missing == study.churn.accounts
    # Active days and events tell one story: they are grouped.
    assert "events_30" in study.group_of("active_days_30")


def test_milestones_are_ranked_by_their_reliable_difference(study: DriverStudy) -> None:
    assert study.onboarded.accounts > 300
    lows = [e.low for e in study.milestones]
    assert lows == sorted(lows, reverse=True)
    best = study.milestones[0]
    assert best.low > 0  # a milestone the world's healthy accounts reach: a real separator
    assert best.reached.rate > best.not_reached.rate
    channels = [s for s in study.sources if s.kind == "channel"]
    assert channels and all(s.retained.accounts >= 50 for s in study.sources)
    assert sum(s.retained.accounts for s in channels) <= study.onboarded.accounts


def test_the_command_prints_tables_and_writes_csvs(world: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "csv"
    code = run(["--workspace", str(world), "drivers", "--as-of", END.isoformat(),
                "--csv", str(out), "--min-source-accounts", "50"])
    text = capsys.readouterr().out
    assert code == 0
    for heading in ("Metrics that move with churn", "active_days_30 by decile",
                    "Milestones that separate accounts that stay", "By source"):
        assert heading in text
    with (out / "driver_milestones.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(int(r["reached"]) + int(r["not_reached"]) > 0 for r in rows)
    assert (out / "driver_deciles.csv").stat().st_size > 0
    assert (out / "driver_sources.csv").stat().st_size > 0


def test_a_horizon_before_any_customer_is_a_clear_error(world: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    code = run(["--workspace", str(world), "drivers", "--as-of", "2015-01-01"])
    assert code != 0
    assert "no customers on 2014-10-03" in capsys.readouterr().err


def test_health_suggest_learns_weights_and_shows_a_diff(world: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    target = tmp_path / "suggested_health.toml"
    code = run(["--workspace", str(world), "health", "suggest", "--as-of", END.isoformat(),
                "--origins", "1", "--write", str(target)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "How well each score ranks accounts by churn" in text
    assert "--- default_health.toml" in text and "+weight = " in text
    suggested = load_health_config(target)  # the written file is a valid config
    assert [p.name for p in suggested.profiles] == ["onboarding", "mature"]
    # Usage is what the generator ties churn to: it stays the heaviest mature group.
    mature = suggested.profile("mature")
    assert max(mature.active_groups(), key=lambda g: mature.groups[g].weight) in (
        "usage", "feedback")
