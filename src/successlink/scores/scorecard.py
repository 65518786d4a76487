"""The source scorecard: every affiliate and channel judged by the accounts it brought.

Counts, churn with Wilson intervals, Kaplan-Meier retention and RMST, revenue, LTV,
expansion, NPS with its adjusted-Wald interval, CSAT, health mix, support load, retention
cost, commissions, net value and ROI, then the shrunk quality score, its rank beside the
volume rank, and a suggested tier. Pure: accounts in, Arrow tables out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from successlink.config import ScorecardSettings
from successlink.scores.cohorts import DAY, Accounts, F, Groups, group_by
from successlink.scores.quality import combine, components, suggest_tier
from successlink.stats.proportions import nps_interval, wilson_intervals
from successlink.stats.survival import kaplan_meier, rmst

CURVE_STEP_DAYS = 7
MONTH_DAYS = 30.4375


def _churn_within(accounts: Accounts, groups: Groups, days: int) -> dict[str, F]:
    """Share of accounts old enough to be judged that churned within `days` of starting."""
    age = (accounts.cutoff - accounts.started) / DAY
    eligible = age >= days
    churned = eligible & (accounts.lifetime_days() < days) & ~np.isnat(accounts.churned)
    n, k = groups.count(eligible), groups.count(churned)
    low, high = wilson_intervals(k, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
    return {f"eligible_{days}d": n, f"churned_{days}d": k, f"churn_{days}d": rate,
            f"churn_{days}d_low": low, f"churn_{days}d_high": high}


def _survival(accounts: Accounts, groups: Groups, horizon: int
              ) -> tuple[dict[str, F], list[dict[str, Any]]]:
    life = accounts.lifetime_days()
    event = ~np.isnat(accounts.churned)
    size = groups.ids.size
    retention, area, area_se = np.full(size, np.nan), np.full(size, np.nan), np.full(size, np.nan)
    curves: list[dict[str, Any]] = []
    grid = np.arange(0, horizon + 1, CURVE_STEP_DAYS, dtype=np.float64)
    for g in range(size):
        members = groups.members(g)
        if members.size == 0:
            continue
        curve = kaplan_meier(np.maximum(life[members], 0.0), event[members])
        retention[g] = curve.survival_at([horizon])[0]
        estimate = rmst(curve, horizon)
        area[g], area_se[g] = estimate.rmst, estimate.se
        at_risk = [int(np.sum(life[members] >= d)) for d in grid]
        for d, s, n in zip(grid, curve.survival_at(grid), at_risk, strict=True):
            curves.append({"source_id": groups.ids[g], "day": int(d), "survival": float(s),
                           "at_risk": n})
    return {"retention_horizon": retention, "rmst_days": area, "rmst_se_days": area_se}, curves


def _nps(accounts: Accounts, groups: Groups) -> dict[str, F]:
    counts = [groups.count(accounts.nps_category == c)
              for c in ("promoter", "passive", "detractor")]
    out = {k: np.full(groups.ids.size, np.nan) for k in ("nps", "nps_low", "nps_high")}
    for g in range(groups.ids.size):
        p, m, d = (int(c[g]) for c in counts)
        if p + m + d:
            est = nps_interval(p, m, d, method="adjusted_wald")
            out["nps"][g], out["nps_low"][g], out["nps_high"][g] = est.nps, est.low, est.high
    out["nps_respondents"] = counts[0] + counts[1] + counts[2]
    return out


def _money(accounts: Accounts, groups: Groups, settings: ScorecardSettings) -> dict[str, F]:
    n = np.maximum(groups.count(), 1.0)
    share = np.minimum(1.0, settings.commission_months * MONTH_DAYS
                       / np.maximum(np.nan_to_num(accounts.tenure_days), 1.0))
    commissions = groups.total(settings.assumed_commission_rate
                               * np.maximum(accounts.revenue_net, 0.0) * share)
    if groups.kind != "affiliate":
        commissions = np.zeros(groups.ids.size)
    revenue, crc = groups.total(accounts.revenue_net), groups.total(accounts.crc)
    net = revenue - crc - commissions
    with np.errstate(invalid="ignore", divide="ignore"):
        roi = np.where(commissions > 0, net / commissions, np.nan)
    return {
        "revenue_net_minor": revenue, "revenue_per_account_minor": revenue / n,
        "ltv_seed_per_account_minor": groups.mean_and_se(accounts.ltv_seed)[0],
        "ltv_margin_per_account_minor": groups.mean_and_se(accounts.ltv_margin)[0],
        "mrr_minor": groups.total(accounts.mrr),
        "expansion_mrr_per_account_minor": groups.total(accounts.expansion_mrr) / n,
        "crc_minor": crc, "crc_per_account_minor": crc / n,
        "commissions_minor": commissions, "net_value_minor": net, "roi": roi,
    }


def _mix(accounts: Accounts, groups: Groups) -> dict[str, F]:
    active = groups.count(accounts.active)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {f"health_{band}_share":
               groups.count(accounts.active & (accounts.health_band == band)) / active
               for band in ("green", "yellow", "red")}
        out["expansion_share"] = groups.count(accounts.expanded) / groups.count()
    out["csat_pct"] = groups.mean_and_se(accounts.csat_pct)[0]
    out["tickets_per_account_90d"] = groups.mean_and_se(accounts.tickets_90d, accounts.active)[0]
    return out


def _early_refund_share(accounts: Accounts, groups: Groups, days: int) -> F:
    early = (~np.isnat(accounts.churned) & (accounts.lifetime_days() <= days)
             & (accounts.refunded > 0))
    return groups.count(early) / np.maximum(groups.count(), 1.0)


def _rank(values: F) -> F:
    """1 for the largest value; ties share the better rank."""
    order = (-np.nan_to_num(values, nan=-np.inf)).argsort(kind="stable")
    ranks = np.empty(values.size)
    ranks[order] = np.arange(1, values.size + 1)
    return ranks


def score_sources(accounts: Accounts, kind: str, settings: ScorecardSettings
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """All scorecard columns for one kind of source ("affiliate" or "channel")."""
    members = accounts.take(accounts.affiliate_id != "") if kind == "affiliate" else accounts
    groups = group_by(members, kind)
    survival, curves = _survival(members, groups, settings.horizon_days)
    quality = combine(components(members, groups), settings.quality_weights)
    referred = groups.count()
    early = _early_refund_share(members, groups, settings.early_refund_days)
    tier, reason = suggest_tier(quality.score, quality.low, referred, early, tiers=settings.tiers,
                                min_accounts=settings.min_accounts_for_tier,
                                review_share=settings.review_early_refund_share)
    columns: dict[str, Any] = {
        "source_kind": [kind] * groups.ids.size, "source_id": groups.ids.tolist(),
        "referred_accounts": referred, "active_accounts": groups.count(members.active),
        **_churn_within(members, groups, 90), **_churn_within(members, groups, 180),
        **survival, **_money(members, groups, settings), **_nps(members, groups),
        **_mix(members, groups), "early_refund_share": early,
        "quality_raw": quality.raw, "quality_score": quality.score,
        "quality_low": quality.low, "quality_high": quality.high,
        "quality_rank": _rank(quality.score), "volume_rank": _rank(referred),
        "suggested_tier": tier, "tier_reason": reason,
    }
    for part in quality.components:
        columns[f"q_{part.name}_raw"] = part.raw
        columns[f"q_{part.name}"] = part.shrunk
    for row in curves:
        row["source_kind"] = kind
    return columns, curves


_INTEGER = ("referred_accounts", "active_accounts", "eligible_90d", "churned_90d",
            "eligible_180d", "churned_180d", "nps_respondents", "quality_rank", "volume_rank")


def scorecards(accounts: Accounts, as_of: date, settings: ScorecardSettings
               ) -> tuple[pa.Table, pa.Table]:
    """(source_scorecards, source_retention_curves) for affiliates and channels."""
    tables, curves = [], []
    for kind in ("affiliate", "channel"):
        columns, rows = score_sources(accounts, kind, settings)
        tables.append(_to_arrow(columns, as_of))
        curves.extend(rows)
    curve_table = pa.table({
        "as_of": pa.array([as_of] * len(curves), pa.date32()),
        "source_kind": pa.array([r["source_kind"] for r in curves], pa.string()),
        "source_id": pa.array([r["source_id"] for r in curves], pa.string()),
        "day": pa.array([r["day"] for r in curves], pa.int64()),
        "survival": pa.array([r["survival"] for r in curves], pa.float64()),
        "at_risk": pa.array([r["at_risk"] for r in curves], pa.int64()),
    })
    return pa.concat_tables(tables), curve_table


def _to_arrow(columns: dict[str, Any], as_of: date) -> pa.Table:
    n = len(columns["source_id"])
    arrays: dict[str, pa.Array] = {"as_of": pa.array([as_of] * n, pa.date32())}
    for name, values in columns.items():
        if name in ("source_kind", "source_id", "suggested_tier", "tier_reason"):
            arrays[name] = pa.array(list(values), pa.string())
        elif name.endswith("_minor"):
            rounded = np.round(np.asarray(values, dtype=np.float64))
            arrays[name] = pa.array(rounded, pa.float64()).cast(pa.int64(), safe=False) \
                if np.all(np.isfinite(rounded)) else pa.array(
                    [None if not np.isfinite(v) else int(v) for v in rounded], pa.int64())
        elif name in _INTEGER:
            arrays[name] = pa.array(np.asarray(values, dtype=np.int64))
        else:
            values = np.asarray(values, dtype=np.float64)
            arrays[name] = pa.array(values, pa.float64(), mask=~np.isfinite(values))
    return pa.table(arrays)
