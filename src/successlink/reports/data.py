"""Everything the report shows for one as-of day, read from the stored score snapshots.

The report never recomputes metrics: it reads what `successlink score` stored, so the
terminal, the HTML file and the web app agree with the scored day. Scorecards and curves are
small (one row per source) and become lists of dicts; the account table stays Arrow, because
a workspace can hold a million accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from successlink.config import Settings
from successlink.decisions.advocates import Advocate, AdvocateSettings, rank_advocates
from successlink.errors import SuccessLinkError, WarehouseError
from successlink.models.churn import registry
from successlink.models.drivers.study import DriverStudy
from successlink.scores.run import (
    ACCOUNT_HEALTH,
    ACCOUNT_METRICS,
    PROGRAM_FIGURES,
    RETENTION_CURVES,
    SOURCE_SCORECARDS,
)
from successlink.scores.snapshots import read_snapshot, snapshot_days
from successlink.warehouse.connect import Warehouse

ADVOCATES_SHOWN = 20

# account_metrics columns the report reads; absent ones (an older score) become nulls.
ACCOUNT_COLUMNS: dict[str, pa.DataType] = {
    "account_id": pa.string(), "channel": pa.string(), "affiliate_id": pa.string(),
    "status": pa.string(), "is_active": pa.bool_(), "plan_name": pa.string(),
    "first_started_at": pa.timestamp("us", tz="UTC"),
    "churned_at": pa.timestamp("us", tz="UTC"),
    "mrr_minor": pa.int64(), "revenue_net_minor": pa.int64(), "crc_minor": pa.int64(),
    "ltv_margin_minor": pa.int64(), "ltv_seed_minor": pa.int64(),
    "nps_latest_category": pa.string(), "csat_pct_satisfied": pa.float64(),
    "tickets_90d": pa.int64(),
}
Row = dict[str, Any]


@dataclass(frozen=True)
class Curve:
    """One source's Kaplan-Meier retention on the scorecard's 7-day grid."""

    source_kind: str
    source_id: str
    days: list[int]
    survival: list[float]
    at_risk: list[int]


@dataclass(frozen=True)
class ReportData:
    """One scored day: accounts (Arrow, with health score and band), scorecards, curves."""

    workspace: str
    as_of: date
    currency: str
    scored_days: list[date]
    accounts: pa.Table
    affiliates: list[Row]
    channels: list[Row]
    curves: dict[tuple[str, str], Curve] = field(default_factory=dict)
    advocates: list[Row] | None = None
    program: Row | None = None  # the day's program_figures row (GRR, NRR, ...), if stored
    # The churn model used for the day: version, and its pooled backtest figures (booster
    # and baseline, each with its calibration bins), if a model was trained.
    churn_model: Row | None = None
    drivers: DriverStudy | None = None  # `successlink drivers`, when the report ran it

    def name_of(self, row: Row) -> str:
        """The display name of a scorecard row: the affiliate's name, else its id."""
        return str(row.get("name") or row["source_id"])


def choose_day(wh: Warehouse, as_of: date | None) -> tuple[date, list[date]]:
    """The requested scored day (default the latest) and every day that was scored."""
    days = snapshot_days(wh, SOURCE_SCORECARDS)
    if not days:
        raise SuccessLinkError(
            "nothing has been scored yet, so there is nothing to report",
            hint="Run `successlink score` first (e.g. `successlink score --as-of 2026-06-30`).")
    if as_of is None:
        return days[-1], days
    if as_of not in days:
        recent = ", ".join(d.isoformat() for d in days[-5:])
        raise SuccessLinkError(
            f"{as_of.isoformat()} has not been scored (scored days: {recent})",
            hint=f"Run `successlink score --as-of {as_of.isoformat()}` first, "
                 "or pick a scored day.")
    return as_of, days


def check_one_row_per_account(wh: Warehouse, as_of: date) -> None:
    """Refuse a snapshot with repeated accounts: every figure and join would be multiplied."""
    stored = read_snapshot(wh, ACCOUNT_METRICS, as_of)
    rows = int(wh.scalar(stored.count()) or 0)
    accounts = int(wh.scalar(stored.account_id.nunique()) or 0)
    if rows != accounts:
        raise WarehouseError(
            f"account_metrics as of {as_of} holds {rows:,} rows for {accounts:,} accounts; "
            "it should hold one row per account, so the report would count them many times",
            hint=f"Re-run `successlink score --as-of {as_of}`; if the counts still differ, "
                 "report it as a bug in the score run (use --debug).")


def load_accounts(wh: Warehouse, as_of: date) -> pa.Table:
    """The report's account columns with `health_score` and `health_band` joined on."""
    check_one_row_per_account(wh, as_of)
    stored = read_snapshot(wh, ACCOUNT_METRICS, as_of)
    present = [c for c in ACCOUNT_COLUMNS if c in stored.columns]
    table = stored.select(*present).to_pyarrow()
    for name, kind in ACCOUNT_COLUMNS.items():
        if name not in present:
            table = table.append_column(name, pa.nulls(table.num_rows, kind))
    table = table.select(list(ACCOUNT_COLUMNS))
    if ACCOUNT_HEALTH not in wh.con.list_tables():
        health = pa.table({"account_id": pa.array([], pa.string()),
                           "health_score": pa.array([], pa.float64()),
                           "health_band": pa.array([], pa.string())})
    else:
        stored_health = read_snapshot(wh, ACCOUNT_HEALTH, as_of)
        health = stored_health.select("account_id", health_score=stored_health.score.cast(
            "float64"), health_band=stored_health.band).to_pyarrow()
    joined = table.join(health, "account_id", join_type="left outer")
    return joined.sort_by("account_id")


def load_scorecards(wh: Warehouse, as_of: date) -> tuple[list[Row], list[Row]]:
    """(affiliates, channels) scorecard rows, affiliates named from the `affiliates` table."""
    rows = read_snapshot(wh, SOURCE_SCORECARDS, as_of).to_pyarrow().to_pylist()
    names = affiliate_names(wh)
    for row in rows:
        row["name"] = names.get(row["source_id"]) if row["source_kind"] == "affiliate" else None
    by_quality = sorted(rows, key=lambda r: (r.get("quality_rank") or 1e12, r["source_id"]))
    return ([r for r in by_quality if r["source_kind"] == "affiliate"],
            [r for r in by_quality if r["source_kind"] == "channel"])


def affiliate_names(wh: Warehouse) -> dict[str, str]:
    """affiliate_id -> name, where the program's affiliates were loaded."""
    if "affiliates" not in wh.con.list_tables():
        return {}
    t = wh.table("affiliates")
    rows = t.select("affiliate_id", "name").to_pyarrow().to_pylist()
    return {r["affiliate_id"]: r["name"] for r in rows if r["name"]}


def load_curves(wh: Warehouse, as_of: date) -> dict[tuple[str, str], Curve]:
    """Every source's retention curve, keyed by (source_kind, source_id)."""
    if RETENTION_CURVES not in wh.con.list_tables():
        return {}
    t = read_snapshot(wh, RETENTION_CURVES, as_of)
    rows = t.select("source_kind", "source_id", "day", "survival", "at_risk") \
        .to_pyarrow().sort_by([("source_kind", "ascending"), ("source_id", "ascending"),
                               ("day", "ascending")]).to_pylist()
    points: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        points.setdefault((row["source_kind"], row["source_id"]), []).append(row)
    return {key: Curve(key[0], key[1], [int(p["day"]) for p in pts],
                       [float(p["survival"]) for p in pts], [int(p["at_risk"]) for p in pts])
            for key, pts in points.items()}


def advocate_row(advocate: Advocate) -> Row:
    """An advocate as the report renders it: reasons as sentences, contacts as dicts."""
    return {"account_id": advocate.account_id, "name": advocate.name,
            "advocacy_score": advocate.advocacy_score, "band": advocate.band,
            "nps_latest_score": advocate.nps_latest_score, "mrr_minor": advocate.mrr_minor,
            "reasons": list(advocate.reasons),
            "contacts": [{"name": c.name, "email": c.email, "role": c.role.replace("_", " "),
                          "job_title": c.job_title} for c in advocate.contacts]}


def load_advocates(wh: Warehouse, settings: Settings, as_of: date,
                   limit: int = ADVOCATES_SHOWN) -> list[Row]:
    """The best advocates of the scored day (successlink.decisions.advocates), as rows."""
    found = getattr(settings, "advocates", None)  # the [advocates] section, once config has it
    chosen = found if isinstance(found, AdvocateSettings) else AdvocateSettings()
    ranked = rank_advocates(wh, as_of, limit, settings=chosen,
                            currency=settings.metrics.currency)
    return [advocate_row(a) for a in ranked]


def load_report(wh: Warehouse, *, workspace: str, currency: str, as_of: date | None = None,
                advocates: list[Row] | None = None) -> ReportData:
    """Read one scored day (default the latest) for the report."""
    day, days = choose_day(wh, as_of)
    affiliates, channels = load_scorecards(wh, day)
    return ReportData(workspace=workspace, as_of=day, currency=currency, scored_days=days,
                      accounts=load_accounts(wh, day), affiliates=affiliates,
                      channels=channels, curves=load_curves(wh, day), advocates=advocates,
                      program=load_program(wh, day))


def load_churn_model(workspace: Path, day: date) -> Row | None:
    """Version and pooled backtest of the churn model `score` uses for `day`, if any."""
    version = registry.version_usable_on(workspace, day)
    if version is None:
        return None
    backtest = registry.metadata(workspace, version).get("backtest") or {}
    if not backtest.get("pooled"):
        return None
    return {"version": version, "pooled": backtest["pooled"],
            "baseline": backtest.get("pooled_baseline")}


def load_program(wh: Warehouse, day: date) -> Row | None:
    """The program_figures row `successlink score` stored for the day, if any."""
    if PROGRAM_FIGURES not in wh.con.list_tables():
        return None
    rows = read_snapshot(wh, PROGRAM_FIGURES, day).to_pyarrow().to_pylist()
    return rows[0] if rows else None
