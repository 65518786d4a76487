"""Program-level figures as of a day: logo churn, revenue retention (GRR, NRR), CRC per customer.

Each function returns a one-row Ibis table, so the aggregation runs in the warehouse like
every per-account metric. NPS and CSAT for the whole program live in `successlink.stats`.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from successlink.metrics.currency import Fx, as_minor, to_reporting
from successlink.metrics.lifecycle import running_at, started_by
from successlink.metrics.revenue import mrr
from successlink.metrics.window import cutoff, instant

DAYS_PER_MONTH = 30.4375


def logo_churn(subscriptions: ir.Table, *, as_of: date, window_days: int = 90) -> ir.Table:
    """Share of the accounts running at the window start that run nothing at `as_of`.

    The window starts at the cutoff of `as_of - window_days`. An account that left and came
    back inside the window is retained; one that joined inside it is not in the cohort.
    `monthly_churn_rate` converts the window's rate to 30.4375 days, assuming a constant rate.
    """
    start = as_of - timedelta(days=window_days)
    cohort = running_at(subscriptions, start).select("account_id").distinct()
    now = running_at(subscriptions, as_of).select(_acct="account_id").distinct()
    joined = cohort.left_join(now, cohort.account_id == now._acct)
    counts = joined.aggregate(
        accounts_at_start=joined.account_id.count(),
        churned=ibis.ifelse(joined._acct.isnull(), 1, 0).sum())
    n = counts.accounts_at_start.cast("float64")
    lost = counts.churned.fill_null(0).cast("float64")
    rate = ibis.ifelse(n > 0, lost / ibis.ifelse(n > 0, n, 1.0), ibis.null("float64"))
    monthly = 1.0 - (1.0 - rate) ** (DAYS_PER_MONTH / window_days)
    return counts.select(
        accounts_at_start=counts.accounts_at_start.cast("int64"),
        churned=counts.churned.fill_null(0).cast("int64"),
        churn_rate=rate.cast("float64"),
        monthly_churn_rate=monthly.cast("float64"))


def revenue_retention(subscriptions: ir.Table, subscription_changes: ir.Table, *,
                      as_of: date, fx: Fx, window_days: int = 365) -> ir.Table:
    """GRR, NRR and revenue churn of the accounts paying `window_days` before `as_of`.

    GRR caps each account's MRR today at its starting MRR (no credit for expansion);
    NRR does not. Accounts acquired inside the window are not in the cohort.
    """
    before = mrr(subscriptions, subscription_changes, as_of=as_of - timedelta(days=window_days),
                 fx=fx)
    before = before.filter(before.mrr_minor > 0)
    now = mrr(subscriptions, subscription_changes, as_of=as_of, fx=fx)
    now = now.select(_acct="account_id", _now="mrr_minor")
    joined = before.left_join(now, before.account_id == now._acct)
    today = joined._now.fill_null(0).cast("float64")
    start = joined.mrr_minor.cast("float64")
    sums = joined.aggregate(accounts=joined.account_id.count(), start=start.sum(),
                            now=today.sum(), kept=ibis.least(today, start).sum())
    begun = sums.start.fill_null(0.0)
    base = ibis.ifelse(begun > 0, begun, 1.0)
    grr = ibis.ifelse(begun > 0, sums.kept / base, ibis.null("float64"))
    return sums.select(
        accounts=sums.accounts.cast("int64"),
        start_mrr_minor=as_minor(begun),
        current_mrr_minor=as_minor(sums.now.fill_null(0.0)),
        retained_mrr_minor=as_minor(sums.kept.fill_null(0.0)),
        grr=grr.cast("float64"),
        nrr=ibis.ifelse(begun > 0, sums.now / base, ibis.null("float64")).cast("float64"),
        revenue_churn=(1.0 - grr).cast("float64"))


def crc_per_customer(cs_costs: ir.Table, subscriptions: ir.Table, *, as_of: date, fx: Fx,
                     window_days: int = 365) -> ir.Table:
    """All retention cost (direct and pooled) in the window over the accounts running in it."""
    c = cs_costs.filter(cs_costs.incurred_on <= ibis.literal(as_of),
                        cs_costs.incurred_on > ibis.literal(as_of - timedelta(days=window_days)))
    cost = c.aggregate(cost=to_reporting(c.amount_minor, c.currency, fx).sum())
    s = started_by(subscriptions, as_of)
    window_start = instant(cutoff(as_of) - timedelta(days=window_days))
    s = s.filter(s.ended_at.isnull() | (s.ended_at >= window_start))
    served = s.aggregate(accounts=s.account_id.nunique())
    both = cost.cross_join(served)
    total = both.cost.fill_null(0.0)
    n = both.accounts.cast("float64")
    per = ibis.ifelse(n > 0, total / ibis.ifelse(n > 0, n, 1.0), ibis.null("float64"))
    return both.select(cost_minor=as_minor(total), accounts=both.accounts.cast("int64"),
                       crc_per_customer_minor=as_minor(per))
