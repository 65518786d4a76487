"""Where the best customers came from and what they share: input for affiliate material.

The top cohort is the best `share` of paying accounts (active or churned) by *quality* =
health score / 100 x LTV percentile: healthy now and valuable over their life. Comparing it
with everyone says which channels and affiliates bring such customers (lift above 1: more
than their share), which plans they buy and which features they use; the bottom cohort's
cancellation reasons are the pain points the material should answer. Counting happens in
Ibis; only the small per-group counts reach Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from successlink.decisions.advocates import (
    AdvocateSettings,
    ltv_percentile,
    scored_day,
)
from successlink.metrics.lifecycle import attach
from successlink.scores.rollups import DAY_EVENT
from successlink.scores.run import ACCOUNT_HEALTH, ACCOUNT_METRICS
from successlink.scores.snapshots import read_snapshot
from successlink.warehouse.connect import Warehouse

MEASURE = "health score / 100 x LTV percentile"
PAYING = ("active", "churned")
_NONE = "(none)"


@dataclass(frozen=True)
class MixRow:
    """One channel, affiliate or plan: its share of the top cohort against its share of all."""

    key: str
    top_accounts: int
    all_accounts: int
    top_share: float
    all_share: float
    lift: float | None


@dataclass(frozen=True)
class FeatureRow:
    """One feature: share of top accounts using it in 90 days against the rest's share."""

    feature: str
    top_accounts: int
    rest_accounts: int
    top_share: float
    rest_share: float
    lift: float | None


@dataclass(frozen=True)
class CohortSummary:
    """What the best accounts share, and what hurt the worst."""

    as_of: date
    measure: str
    top_accounts: int
    all_accounts: int
    bottom_accounts: int
    channels: list[MixRow] = field(default_factory=list)
    affiliates: list[MixRow] = field(default_factory=list)
    plans: list[MixRow] = field(default_factory=list)
    features: list[FeatureRow] = field(default_factory=list)
    median_seats: dict[str, float | None] = field(default_factory=dict)  # top / rest
    median_tenure_days: dict[str, float | None] = field(default_factory=dict)
    pain_points: list[MixRow] = field(default_factory=list)  # bottom churned vs all churned


def quality_cohorts(account_metrics: ir.Table, health: ir.Table, share: float) -> ir.Table:
    """Paying accounts with their quality and flags `top` and `bottom` (best / worst `share`).

    An account is in the top cohort when fewer than share x n accounts score strictly
    higher (SQL rank), so ties at the edge are all in and every backend agrees.
    """
    m = account_metrics.filter(account_metrics.status.isin(PAYING))
    h = health.select("account_id", _health=health.score.cast("float64"))
    t = attach(m, h, ltv_percentile(account_metrics))
    t = t.mutate(quality=(t._health.fill_null(0.0) / 100.0
                          * t.ltv_percentile.fill_null(0.0)).cast("float64"))
    n = t.account_id.count().over(ibis.window()).cast("float64")
    edge = n * share
    t = t.mutate(top=ibis.rank().over(order_by=ibis.desc(t.quality)).cast("float64") < edge,
                 bottom=ibis.rank().over(order_by=t.quality).cast("float64") < edge)
    return t.select("account_id", "channel", "affiliate_id", "plan_name", "seats",
                    "tenure_days", "status", "cancellation_reason", "quality", "top", "bottom")


def _lift(share: float, base: float) -> float | None:
    return share / base if base > 0 else None


def _rows(t: ir.Table, key: ir.StringValue, flag: ir.BooleanValue) -> list[dict[str, Any]]:
    """Per key: all accounts and flagged accounts."""
    g = t.mutate(_key=key, _hit=ibis.ifelse(flag, 1, 0))
    out = g.group_by("_key").aggregate(n_all=g.count(), n_hit=g._hit.sum())
    return list(out.to_pyarrow().to_pylist())


def _mix(rows: list[dict[str, Any]], n_hit: int, n_all: int, limit: int) -> list[MixRow]:
    out = []
    for r in rows:
        hit, everyone = int(r["n_hit"] or 0), int(r["n_all"])
        top_share = hit / n_hit if n_hit else 0.0
        all_share = everyone / n_all if n_all else 0.0
        out.append(MixRow(str(r["_key"]), hit, everyone, top_share, all_share,
                          _lift(top_share, all_share)))
    out.sort(key=lambda r: (-r.top_accounts, -(r.lift or 0.0), r.key))
    return out[:limit]


def feature_use(cohorts: ir.Table, daily: ir.Table, as_of: date, *,
                days: int = 90) -> list[dict[str, Any]]:
    """Per feature (track event) used in the `days` up to `as_of`: top and rest accounts."""
    first = as_of - timedelta(days=days - 1)
    d = daily.filter(daily.event_type == "track", daily.day >= ibis.literal(first),
                     daily.day <= ibis.literal(as_of))
    used = d.select("account_id", "event").distinct()
    c = cohorts.select(_acct=cohorts.account_id, _top=cohorts.top)
    j = used.join(c, used.account_id == c._acct)
    out = j.group_by("event").aggregate(n_top=ibis.ifelse(j._top, 1, 0).sum(),
                                        n_rest=ibis.ifelse(j._top, 0, 1).sum())
    return list(out.to_pyarrow().to_pylist())


def _features(rows: list[dict[str, Any]], n_top: int, n_rest: int,
              limit: int) -> list[FeatureRow]:
    out = []
    for r in rows:
        top, rest = int(r["n_top"] or 0), int(r["n_rest"] or 0)
        top_share = top / n_top if n_top else 0.0
        rest_share = rest / n_rest if n_rest else 0.0
        out.append(FeatureRow(str(r["event"]), top, rest, top_share, rest_share,
                              _lift(top_share, rest_share)))
    out.sort(key=lambda r: (-r.top_share, -(r.lift or 0.0), r.feature))
    return out[:limit]


def medians(t: ir.Table, flag: str, column: str) -> dict[str, float | None]:
    """Median of `column` for flagged ('top') and other ('rest') rows, without MEDIAN.

    SQLite has no median, so: number the non-null values in order within each group and
    average the middle one or two (0-based r is middle when n-2 <= 2r <= n).
    """
    v = t.filter(t[column].notnull()).select(_g=t[flag], _v=t[column].cast("float64"))
    v = v.mutate(_r=ibis.row_number().over(group_by=v._g, order_by=v._v),
                 _n=v._v.count().over(group_by=v._g))
    mid = v.filter(v._r * 2 >= v._n - 2, v._r * 2 <= v._n)
    rows = mid.group_by("_g").aggregate(m=mid._v.mean()).to_pyarrow().to_pylist()
    found = {bool(r["_g"]): r["m"] for r in rows}
    return {"top": found.get(True), "rest": found.get(False)}


def _counts(t: ir.Table) -> dict[str, int]:
    agg = t.aggregate(n=t.count(), n_top=ibis.ifelse(t.top, 1, 0).sum(),
                      n_bottom=ibis.ifelse(t.bottom, 1, 0).sum())
    row = agg.to_pyarrow().to_pylist()[0]
    return {"n": int(row["n"] or 0), "top": int(row["n_top"] or 0),
            "bottom": int(row["n_bottom"] or 0)}


def _pain_points(t: ir.Table, limit: int) -> list[MixRow]:
    churned = t.filter(t.status == "churned")
    rows = _rows(churned, churned.cancellation_reason.fill_null("unknown"), churned.bottom)
    n_bottom = sum(int(r["n_hit"] or 0) for r in rows)
    n_all = sum(int(r["n_all"]) for r in rows)
    return [r for r in _mix(rows, n_bottom, n_all, limit) if r.top_accounts > 0]


def cohort_summary(account_metrics: ir.Table, health: ir.Table, daily: ir.Table | None, *,
                   as_of: date, share: float = 0.1, limit: int = 10) -> CohortSummary:
    """The top cohort's channel, affiliate and plan mix, features, medians; the bottom's pain."""
    # Every figure below reads the ranked cohorts: rank them once into a temp table.
    with quality_cohorts(account_metrics, health, share).cache() as t:
        return _summary(t, daily, as_of, limit)


def _summary(t: ir.Table, daily: ir.Table | None, as_of: date, limit: int) -> CohortSummary:
    n = _counts(t)
    has_affiliate = t.filter(t.affiliate_id.notnull())
    return CohortSummary(
        as_of=as_of, measure=MEASURE, top_accounts=n["top"], all_accounts=n["n"],
        bottom_accounts=n["bottom"],
        channels=_mix(_rows(t, t.channel.fill_null("unknown"), t.top), n["top"], n["n"], limit),
        affiliates=_mix(_rows(has_affiliate, has_affiliate.affiliate_id, has_affiliate.top),
                        n["top"], n["n"], limit),
        plans=_mix(_rows(t, t.plan_name.fill_null(_NONE), t.top), n["top"], n["n"], limit),
        features=[] if daily is None else _features(
            feature_use(t, daily, as_of), n["top"], n["n"] - n["top"], limit),
        median_seats=medians(t, "top", "seats"),
        median_tenure_days=medians(t, "top", "tenure_days"),
        pain_points=_pain_points(t, limit),
    )


def summarise_cohorts(wh: Warehouse, as_of: date | None = None,
                      settings: AdvocateSettings | None = None) -> CohortSummary:
    """`cohort_summary` of a scored snapshot (the latest when `as_of` is None)."""
    settings = settings or AdvocateSettings()
    day = scored_day(wh, as_of)
    daily = wh.table(DAY_EVENT) if DAY_EVENT in wh.con.list_tables() else None
    return cohort_summary(read_snapshot(wh, ACCOUNT_METRICS, day),
                          read_snapshot(wh, ACCOUNT_HEALTH, day), daily, as_of=day,
                          share=settings.cohort_share)
