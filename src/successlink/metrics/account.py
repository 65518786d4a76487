"""`account_metrics`: every metric of every account as of one day, in one wide table.

The lifecycle table is the spine (every account known by the as-of date); each metric
family is computed by its own module and left-joined on account_id. Counts of things that
did not happen become 0; measurements that could not be taken (no surveys, no usage) stay
null, so the health score can tell "bad" from "unknown".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir

from successlink.config import MetricsSettings
from successlink.metrics.costs import costs
from successlink.metrics.currency import Fx
from successlink.metrics.expansion import expansion
from successlink.metrics.lifecycle import lifecycle
from successlink.metrics.ltv import ltv
from successlink.metrics.revenue import revenue
from successlink.metrics.stakeholders import stakeholders
from successlink.metrics.support import support
from successlink.metrics.surveys import surveys
from successlink.metrics.usage import usage


@dataclass(frozen=True)
class Inputs:
    """The canonical tables plus the two usage rollups."""

    tables: Mapping[str, ir.Table]
    daily: ir.Table
    user_daily: ir.Table

    def __getitem__(self, name: str) -> ir.Table:
        return self.tables[name]


def fx_of(settings: MetricsSettings) -> Fx:
    """The configured conversion into the reporting currency."""
    return Fx.of(settings.currency, settings.fx_rates)


def metric_parts(inp: Inputs, *, as_of: date, settings: MetricsSettings) -> dict[str, ir.Table]:
    """Each metric family as its own table keyed by account_id; `lifecycle` is the spine."""
    fx = fx_of(settings)
    return {
        "lifecycle": lifecycle(inp["accounts"], inp["subscriptions"], inp["acquisitions"],
                               as_of=as_of),
        "revenue": revenue(inp["subscriptions"], inp["subscription_changes"], inp["payments"],
                           inp["refunds"], inp["disputes"], as_of=as_of, fx=fx),
        "expansion": expansion(inp["subscription_changes"], as_of=as_of, fx=fx),
        "usage": usage(inp.daily, inp.user_daily, as_of=as_of,
                       window_days=settings.usage_window_days,
                       key_features=settings.key_features),
        "support": support(inp["support_tickets"], as_of=as_of,
                           window_days=settings.support_window_days),
        "surveys": surveys(inp["survey_responses"], inp["contacts"], inp["product_users"],
                           as_of=as_of),
        "stakeholders": stakeholders(inp["contacts"], inp["product_users"], inp.user_daily,
                                     inp["survey_responses"], inp["support_tickets"],
                                     as_of=as_of),
        "costs": costs(inp["cs_costs"], inp["support_tickets"], inp["subscriptions"],
                       inp["subscription_changes"], as_of=as_of, fx=fx,
                       drivers=settings.cost_drivers),
    }


# Columns that count events: absent means none happened.
_ZERO_WHEN_ABSENT = (
    "revenue_gross_minor", "refunds_minor", "disputed_minor", "revenue_net_minor",
    "purchase_count", "failed_payments_90d", "mrr_minor", "arr_minor",
    "upsell_count", "cross_sell_count", "expansion_mrr_minor", "downgrade_count",
    "contraction_mrr_minor", "expansion_count_365d",
    "tickets_90d", "tickets_total", "open_tickets", "open_urgent_tickets",
    "open_high_priority_tickets", "escalations_90d", "csat_good_90d", "csat_bad_90d",
    "nps_responses", "csat_responses",
    "contacts_total", "contacts_decision_maker", "contacts_champion", "contacts_influencer",
    "contacts_budget_holder", "contacts_end_user", "contacts_other", "engaged_contacts_90d",
    "crc_direct_minor", "crc_pooled_minor", "crc_minor", "crc_90d_minor",
)
_FALSE_WHEN_ABSENT = ("champion_present", "decision_maker_engaged")


def _fill(t: ir.Table) -> ir.Table:
    fills: dict[str, ir.Value] = {}
    for name in _ZERO_WHEN_ABSENT:
        if name in t.columns:
            fills[name] = t[name].fill_null(0)
    for name in _FALSE_WHEN_ABSENT:
        if name in t.columns:
            fills[name] = t[name].fill_null(False)
    return t.mutate(**fills)


def joined(spine: ir.Table, parts: list[ir.Table]) -> ir.Table:
    """Left-join every part on account_id in one flat join (deep nesting overflows SQLite)."""
    out = spine
    seen = set(spine.columns)
    for i, part in enumerate(parts):
        extra = [c for c in part.columns if c not in seen]
        seen.update(extra)
        out = out.left_join(part.select("account_id", *extra), "account_id",
                            rname=f"{{name}}__{i}")
    return out.drop(*[f"account_id__{i}" for i in range(len(parts))])


def assemble(parts: Mapping[str, ir.Table], *, as_of: date, settings: MetricsSettings,
             monthly_churn_rate: float) -> ir.Table:
    """The wide table from the parts `metric_parts` returns (stored or not)."""
    others = [table for name, table in parts.items() if name != "lifecycle"]
    wide = _fill(joined(parts["lifecycle"], others))
    seats = wide.seats.cast("float64")
    wide = wide.mutate(
        seat_utilisation=ibis.cases((seats > 0, wide.active_users_30.cast("float64") / seats),
                                    else_=ibis.null("float64")),
    )
    wide = ltv(wide, monthly_churn_rate=monthly_churn_rate, gross_margin=settings.gross_margin,
               max_lifetime_months=settings.max_lifetime_months)
    return wide.mutate(as_of=ibis.literal(as_of, type="date")).relocate("as_of")


def account_metrics(inp: Inputs, *, as_of: date, settings: MetricsSettings,
                    monthly_churn_rate: float) -> ir.Table:
    """One row per account known by `as_of` with every metric (see docs/metrics/).

    One expression; the score run stores each part first instead (`assemble`), which keeps
    every statement small enough for SQLite and lets big backends reuse the parts.
    """
    return assemble(metric_parts(inp, as_of=as_of, settings=settings), as_of=as_of,
                    settings=settings, monthly_churn_rate=monthly_churn_rate)
