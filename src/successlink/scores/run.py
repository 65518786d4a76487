"""`successlink score`: materialise metrics, health and scorecards as of one day.

Order matters and each step reads what the previous one stored: rollups -> program churn
rate -> account_metrics -> account_health (+ components) -> source_scorecards (+ retention
curves). Each table keeps one snapshot per as-of day; re-running a day replaces that day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa

from successlink.config import Settings
from successlink.health.config import HealthConfig, load_health_config
from successlink.health.scoring import score_health
from successlink.metrics.account import Inputs, assemble, fx_of, metric_parts
from successlink.metrics.program import crc_per_customer, logo_churn, revenue_retention
from successlink.scores.churn import CHURN_RISK, store_churn_risk
from successlink.scores.cohorts import NEEDED, accounts_from
from successlink.scores.forecasts import with_forecasts
from successlink.scores.ltv import (
    ACCOUNT_PREDICTED_LTV,
    SOURCE_PREDICTED_LTV,
    LtvOptions,
    store_predicted_ltv,
)
from successlink.scores.rollups import DAY_EVENT, DAY_USER, ensure_rollups
from successlink.scores.scorecard import scorecards
from successlink.scores.snapshots import read_snapshot, replace_snapshot, replace_snapshot_arrow
from successlink.warehouse.connect import Warehouse
from successlink.warehouse.tables import CANONICAL_TABLES

ACCOUNT_METRICS = "account_metrics"
ACCOUNT_HEALTH = "account_health"
HEALTH_COMPONENTS = "account_health_components"
SOURCE_SCORECARDS = "source_scorecards"
PROGRAM_FIGURES = "program_figures"
RETENTION_CURVES = "source_retention_curves"
STEPS = ("usage rollups", "program churn", "account metrics", "health", "churn risk",
         "predicted value", "scorecards")

PART_PREFIX = "_score_part_"
# Health trends compare a day with the day this many days earlier.
TREND_DAYS = 30

Progress = Callable[[str], None]


@dataclass
class ScoreReport:
    """What one run stored, for the CLI to print."""

    as_of: date
    rows: dict[str, int] = field(default_factory=dict)
    monthly_churn_rate: float = 0.0
    rollups_rebuilt: bool = False


def health_config(settings: Settings) -> HealthConfig:
    """The workspace's health config, or the shipped default."""
    if settings.health.config is None:
        return load_health_config(None)
    path = Path(settings.health.config)
    return load_health_config(path if path.is_absolute() else settings.workspace / path)


def inputs(wh: Warehouse) -> Inputs:
    """The canonical tables (created empty where a source was never loaded) and rollups."""
    for spec in CANONICAL_TABLES:
        wh.ensure(spec)
    tables = {spec.name: wh.table(spec.name) for spec in CANONICAL_TABLES}
    return Inputs(tables, wh.table(DAY_EVENT), wh.table(DAY_USER))


def store_parts(wh: Warehouse, parts: dict[str, ir.Table]) -> dict[str, ir.Table]:
    """Store each metric family once, so the wide join reads small tables (and stays one
    statement SQLite can parse)."""
    stored = {}
    for name, expr in parts.items():
        wh.con.create_table(f"{PART_PREFIX}{name}", expr, overwrite=True)
        stored[name] = wh.table(f"{PART_PREFIX}{name}")
    return stored


def drop_parts(wh: Warehouse, parts: dict[str, ir.Table]) -> None:
    """Remove the scratch tables of a run."""
    for name in parts:
        wh.con.drop_table(f"{PART_PREFIX}{name}", force=True)


def program_figures(inp: Inputs, as_of: date, settings: Settings) -> pa.Table:
    """One row: logo churn (90 and 365 days), GRR, NRR, revenue churn, CRC per customer."""
    fx = fx_of(settings.metrics)
    subs, changes = inp["subscriptions"], inp["subscription_changes"]
    parts = {
        "logo_90d_": logo_churn(subs, as_of=as_of, window_days=90),
        "logo_365d_": logo_churn(subs, as_of=as_of, window_days=365),
        "revenue_": revenue_retention(subs, changes, as_of=as_of, fx=fx),
        "crc_": crc_per_customer(inp["cs_costs"], subs, as_of=as_of, fx=fx),
    }
    columns: dict[str, pa.Array] = {"as_of": pa.array([as_of], pa.date32())}
    for prefix, expr in parts.items():
        row = expr.to_pyarrow()
        for name in row.column_names:
            columns[prefix + name] = row.column(name).combine_chunks()[:1]
    return pa.table(columns)


def run_score(wh: Warehouse, settings: Settings, as_of: date,
              progress: Progress = lambda step: None) -> ScoreReport:
    """Score every account and source as of `as_of` and store the snapshots."""
    config = health_config(settings)  # fail on a bad config before any work
    report = ScoreReport(as_of)
    progress(STEPS[0])
    for spec in CANONICAL_TABLES:
        wh.ensure(spec)
    report.rollups_rebuilt = ensure_rollups(wh)
    inp = inputs(wh)
    progress(STEPS[1])
    # A year's window: annual plans can only churn at renewal, so shorter windows undercount.
    churn = logo_churn(inp["subscriptions"], as_of=as_of, window_days=365).to_pyarrow()
    rate = churn.column("monthly_churn_rate")[0].as_py()
    report.monthly_churn_rate = float(rate) if rate is not None else 0.0
    report.rows[PROGRAM_FIGURES] = replace_snapshot_arrow(
        wh, PROGRAM_FIGURES, program_figures(inp, as_of, settings), as_of)
    progress(STEPS[2])
    parts = store_parts(wh, metric_parts(inp, as_of=as_of, settings=settings.metrics))
    metrics = assemble(parts, as_of=as_of, settings=settings.metrics,
                       monthly_churn_rate=report.monthly_churn_rate)
    report.rows[ACCOUNT_METRICS] = replace_snapshot(wh, ACCOUNT_METRICS, metrics, as_of)
    drop_parts(wh, parts)
    progress(STEPS[3])
    stored = read_snapshot(wh, ACCOUNT_METRICS, as_of)
    health, components = score_health(stored, config)
    report.rows[ACCOUNT_HEALTH] = replace_snapshot(wh, ACCOUNT_HEALTH, health, as_of)
    report.rows[HEALTH_COMPONENTS] = replace_snapshot(wh, HEALTH_COMPONENTS, components, as_of)
    progress(STEPS[4])
    report.rows[CHURN_RISK] = store_churn_risk(wh, settings, as_of, stored,
                                               read_snapshot(wh, ACCOUNT_HEALTH, as_of))
    churn = read_snapshot(wh, CHURN_RISK, as_of).select(
        "account_id", "churn_probability", "source").to_pyarrow()
    progress(STEPS[5])
    report.rows.update(store_predicted_ltv(
        wh, as_of, LtvOptions(gross_margin=settings.metrics.gross_margin,
                              currency=settings.metrics.currency), churn=churn))
    progress(STEPS[6])
    accounts = accounts_from(stored.select(*NEEDED).to_pyarrow(),
                             read_snapshot(wh, ACCOUNT_HEALTH, as_of).to_pyarrow(), as_of,
                             read_snapshot(wh, ACCOUNT_PREDICTED_LTV, as_of)
                             .select("account_id", "retention_at_age").to_pyarrow())
    cards, curves = scorecards(accounts, as_of, settings.scorecard)
    cards = with_forecasts(
        cards, read_snapshot(wh, SOURCE_PREDICTED_LTV, as_of).to_pyarrow(), churn,
        stored.select("account_id", "affiliate_id", "channel", "is_active").to_pyarrow())
    report.rows[SOURCE_SCORECARDS] = replace_snapshot_arrow(wh, SOURCE_SCORECARDS, cards, as_of)
    report.rows[RETENTION_CURVES] = replace_snapshot_arrow(wh, RETENTION_CURVES, curves, as_of)
    return report
