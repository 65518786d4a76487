"""Historical lifetime value per account, two ways.

- The seeds' formula: average purchase value x purchases per month x expected lifetime.
- The margin formula: ARPA x gross margin / monthly churn rate.

Expected lifetime is 1 / monthly churn rate months, capped (a churn rate near zero would
promise an endless customer). Both read one table holding the `lifecycle` and `revenue`
columns of each account (the assembly joins them).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from successlink.metrics.currency import as_minor
from successlink.metrics.window import days_between
from successlink.warehouse.portable import double

DAYS_PER_MONTH = 30.4375


def expected_lifetime_months(monthly_churn_rate: float, max_lifetime_months: float) -> float:
    """1 / churn rate in months, capped; no churn at all means the cap."""
    if monthly_churn_rate <= 0:
        return max_lifetime_months
    return min(1.0 / monthly_churn_rate, max_lifetime_months)


def ltv(metrics: ir.Table, *, monthly_churn_rate: float, gross_margin: float,
        max_lifetime_months: float) -> ir.Table:
    """`metrics` plus seed-formula and margin LTV per account (null where inputs are missing).

    The input's columns are kept, so the assembly can add LTV to its wide table in place.
    """
    lifetime = expected_lifetime_months(monthly_churn_rate, max_lifetime_months)
    m = metrics
    count = m.purchase_count.fill_null(0).cast("float64")
    # Under a month of tenure counts as one month: a week-old account with one payment buys
    # once a month, not four times.
    tenure_months = ibis.greatest(m.tenure_days.cast("float64") / DAYS_PER_MONTH, 1.0)
    frequency = count / tenure_months
    average = m.revenue_gross_minor.cast("float64") / count
    seed = ibis.ifelse(count > 0, average * frequency * lifetime, ibis.null("float64"))
    arpa = _arpa(m)
    return m.mutate(
        ltv_seed_minor=as_minor(seed),
        ltv_margin_minor=as_minor(arpa * gross_margin * lifetime),
        arpa_minor=as_minor(arpa),
        purchases_per_month=frequency.cast("float64"),
        expected_lifetime_months=double(lifetime),
    )


def _arpa(m: ir.Table) -> ir.FloatingValue:
    """Average revenue per account per month: today's MRR while paying; for a churned account
    its net revenue over the months it subscribed. Trials and never-subscribed accounts have
    no revenue rate to speak of (null)."""
    lived_days = days_between(m.churned_at, m.first_started_at)
    lived_months = ibis.greatest(lived_days / DAYS_PER_MONTH, 1.0)
    churned = m.revenue_net_minor.fill_null(0).cast("float64") / lived_months
    return ibis.cases(
        (m.status == "active", m.mrr_minor.fill_null(0).cast("float64")),
        (m.status == "churned", churned),
        else_=ibis.null("float64"))
