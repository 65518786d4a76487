"""The drivers study: what the customers who stay and grow have in common.

Two questions, both answered only from what was known at the time:

1. Behaviour. Take every account that was a customer on the origin day t = D - horizon and
   look at its metrics *as of t*; by D, did it churn, did it expand? Churn and expansion
   rates by decile of each behavioural metric show which behaviours go with which outcome,
   and correlated metrics are grouped so one finding is not listed three times.
2. Onboarding. Take every account whose first N days ended at least `horizon` days before D;
   which of the things it did in those N days separate the accounts still customers
   `horizon` days later from those that left? Overall and per channel and affiliate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.config import MetricsSettings
from successlink.metrics.account import Inputs, account_metrics
from successlink.metrics.lifecycle import lifecycle
from successlink.metrics.onboarding import onboarding, onboarding_features
from successlink.models.drivers.deciles import MetricDeciles, Rate, metric_deciles, rates
from successlink.models.drivers.groups import correlated_groups
from successlink.models.drivers.milestones import (
    Milestone,
    MilestoneEffect,
    candidates,
    effect,
    rank_milestones,
)

# What an account does (not what it is or pays): the metrics whose deciles are studied.
BEHAVIOURAL = (
    "active_days_30", "active_users_30", "events_30", "distinct_features_30",
    "key_feature_adoption", "usage_trend", "active_users_trend", "days_since_active",
    "seat_utilisation", "seats", "tickets_90d", "open_tickets", "mean_resolution_hours_90d",
    "ticket_csat_pct_90d", "escalations_90d", "nps_latest_score", "csat_pct_satisfied",
    "response_rate", "contacts_total", "engaged_contacts_90d", "contacts_champion",
    "contacts_decision_maker", "failed_payments_90d", "expansion_count_365d",
)
# Expansion between t and D: new upsells or cross-sells (counts only ever grow).
_EXPANSION_COUNTS = ("upsell_count", "cross_sell_count")
MetricsAt = Callable[[date], pa.Table]


@dataclass(frozen=True)
class SourceMilestones:
    """One channel or affiliate: its onboarded accounts, their retention, and how often
    they reached the strongest milestones (with retention if reached and if not)."""

    kind: str  # "channel" | "affiliate"
    source: str
    retained: Rate
    effects: tuple[MilestoneEffect, ...]


@dataclass(frozen=True)
class DriverStudy:
    """Everything `successlink drivers` shows."""

    as_of: date
    origin: date
    horizon_days: int
    churn: Rate
    expansion: Rate
    metrics: tuple[MetricDeciles, ...]  # strongest association with churn first
    groups: tuple[tuple[str, ...], ...]
    onboarding_days: int
    onboarded: Rate  # retained among onboarded accounts
    milestones: tuple[MilestoneEffect, ...]
    sources: tuple[SourceMilestones, ...]

    def group_of(self, metric: str) -> tuple[str, ...]:
        return next((g for g in self.groups if metric in g), (metric,))


def metrics_reader(inp: Inputs, settings: MetricsSettings) -> MetricsAt:
    """account_metrics of every account as of a day, as Arrow."""
    def at(day: date) -> pa.Table:
        return account_metrics(inp, as_of=day, settings=settings,
                               monthly_churn_rate=0.0).to_pyarrow()
    return at


def _floats(table: pa.Table, name: str) -> npt.NDArray[np.float64]:
    column = table.column(name)
    if pa.types.is_boolean(column.type):
        column = pc.cast(column, pa.int8())
    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False),
                      dtype=np.float64)


def _aligned(table: pa.Table, ids: pa.ChunkedArray | pa.Array) -> pa.Table:
    """Rows of `table` in the order of `ids` (every id must be present)."""
    where = pc.index_in(ids, value_set=table.column("account_id").combine_chunks())
    if where.null_count:
        raise ValueError("an account of the origin is missing from the later snapshot")
    return table.take(where)


def outcomes(at_origin: pa.Table, at_end: pa.Table
             ) -> tuple[pa.Table, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The origin's customers, whether each had churned by the end, whether it expanded."""
    population = at_origin.filter(pc.fill_null(at_origin.column("is_active"), False))
    population = population.sort_by("account_id")
    later = _aligned(at_end, population.column("account_id"))
    churned = np.asarray(pc.equal(later.column("status"), "churned")
                         .to_numpy(zero_copy_only=False), dtype=np.int64)
    grew = np.zeros(population.num_rows, dtype=np.float64)
    for name in _EXPANSION_COUNTS:
        grew += np.nan_to_num(_floats(later, name)) - np.nan_to_num(_floats(population, name))
    return population, churned, (grew > 0).astype(np.int64)


def behaviour(population: pa.Table, churned: npt.ArrayLike, expanded: npt.ArrayLike, *,
              metrics: Sequence[str] = BEHAVIOURAL, bins: int = 10,
              threshold: float = 0.7) -> tuple[list[MetricDeciles], list[list[str]]]:
    """Deciles of every behavioural metric present, strongest first, and their groups."""
    present = [m for m in metrics if m in population.column_names]
    values = {m: _floats(population, m) for m in present}
    found = [metric_deciles(m, values[m], churned, expanded, bins=bins) for m in present]
    found = [d for d in found if d.measured > 0]
    found.sort(key=lambda d: (-(abs(d.churn_correlation) if not math.isnan(d.churn_correlation)
                                else -1.0), d.metric))
    groups = correlated_groups({d.metric: values[d.metric] for d in found},
                               threshold=threshold)
    return found, groups


def _onboarding_rows(inp: Inputs, *, as_of: date, horizon_days: int, days: int
                     ) -> tuple[pa.Table, dict[str, npt.NDArray[np.bool_]]]:
    """Onboarded accounts (window over `horizon_days` before as_of) with their outcome."""
    life = lifecycle(inp["accounts"], inp["subscriptions"], inp["acquisitions"], as_of=as_of)
    starts = life.select("account_id", "first_started_at")
    judged = as_of - timedelta(days=horizon_days)
    rows = onboarding(inp.daily, inp.user_daily, starts, as_of=judged, days=days)
    rows = rows.join(life.select("account_id", "status", "churned_at", "channel",
                                 "affiliate_id"), "account_id")
    table = rows.to_pyarrow().sort_by("account_id")
    pairs = onboarding_features(inp.daily, starts, as_of=judged, days=days).to_pyarrow()
    ids = table.column("account_id").combine_chunks()
    features: dict[str, npt.NDArray[np.bool_]] = {}
    for name in sorted(set(pairs.column("feature").to_pylist())):
        used = pairs.filter(pc.equal(pairs.column("feature"), name)).column("account_id")
        features[name] = np.asarray(pc.is_in(ids, value_set=used.combine_chunks())
                                    .to_numpy(zero_copy_only=False), dtype=bool)
    return table, features


def _retention(table: pa.Table, *, days: int, horizon_days: int
               ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(kept, retained): accounts still customers when onboarding ended, and of those,
    the ones still customers `horizon_days` later (judged by their last end date)."""
    starts = table.column("start_day").to_pylist()
    status = table.column("status").to_pylist()
    ended = table.column("churned_at").to_pylist()
    kept, retained = [], []
    for start, state, end in zip(starts, status, ended, strict=True):
        done = start + timedelta(days=days)
        left = state == "churned" and end is not None
        end_day = end.date() if left else None
        gone_early = left and end_day is not None and end_day < done
        kept.append(not gone_early)
        retained.append(not (left and end_day is not None
                             and end_day < done + timedelta(days=horizon_days)))
    return np.array(kept, dtype=bool), np.array(retained, dtype=bool)


def by_source(table: pa.Table, found: Sequence[tuple[Milestone, npt.NDArray[np.bool_]]],
              strongest: Sequence[MilestoneEffect], retained: npt.NDArray[np.bool_], *,
              min_accounts: int) -> list[SourceMilestones]:
    """Per channel and per affiliate with enough onboarded accounts."""
    masks = {m.key: r for m, r in found}
    out: list[SourceMilestones] = []
    for kind, column in (("channel", "channel"), ("affiliate", "affiliate_id")):
        values = table.column(column).to_pylist()
        for source in sorted({v for v in values if v is not None}):
            mine = np.array([v == source for v in values], dtype=bool)
            if mine.sum() < min_accounts:
                continue
            kept = rates([int(retained[mine].sum())], [int(mine.sum())])[0]
            effects = tuple(effect(e.milestone, masks[e.milestone.key][mine], retained[mine])
                            for e in strongest)
            out.append(SourceMilestones(kind, source, kept, effects))
    return out


def study_drivers(inp: Inputs, settings: MetricsSettings, *, as_of: date, horizon_days: int,
                  onboarding_days: int, metrics_at: MetricsAt | None = None,
                  top_milestones: int = 3, min_source_accounts: int = 30,
                  progress: Callable[[str], None] = lambda step: None) -> DriverStudy:
    """Run both studies as of `as_of` (see the module docstring)."""
    if horizon_days < 1 or onboarding_days < 1:
        raise ValueError("the horizon and the onboarding window are at least one day")
    read = metrics_at or metrics_reader(inp, settings)
    origin = as_of - timedelta(days=horizon_days)
    progress(f"account metrics as of {origin}")
    at_origin = read(origin)
    progress(f"account metrics as of {as_of}")
    at_end = read(as_of)
    population, churned, expanded = outcomes(at_origin, at_end)
    progress("deciles and metric groups")
    found_metrics, groups = behaviour(population, churned, expanded)
    churn, grow = rates([int(churned.sum()), int(expanded.sum())],
                        [population.num_rows, population.num_rows])
    progress("onboarding milestones")
    table, features = _onboarding_rows(inp, as_of=as_of, horizon_days=horizon_days,
                                       days=onboarding_days)
    kept, retained = _retention(table, days=onboarding_days, horizon_days=horizon_days)
    table = table.filter(pa.array(kept))
    retained = retained[kept]
    counts = {c: table.column(c).to_numpy(zero_copy_only=False).astype(np.float64)
              for c in ("onboarding_users", "onboarding_active_days", "onboarding_features")}
    found = candidates(counts, {k: v[kept] for k, v in features.items()},
                       days=onboarding_days)
    ranked = rank_milestones(found, retained)
    onboarded = rates([int(retained.sum())], [int(retained.size)])[0]
    sources = by_source(table, found, ranked[:top_milestones], retained,
                        min_accounts=min_source_accounts)
    return DriverStudy(as_of, origin, horizon_days, churn, grow, tuple(found_metrics),
                       tuple(tuple(g) for g in groups), onboarding_days, onboarded,
                       tuple(ranked), tuple(sources))
