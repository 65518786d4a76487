"""Customer retention cost (CRC) allocated to accounts, to date.

A cost with an account is that account's. A pooled cost (a CSM's salary, a tool) is spread,
per calendar month, over the accounts running in that month by the driver configured for its
cost type: an even split, or in proportion to tickets, seats, MRR or new accounts. A month
where no running account carries the driver falls back to an even split; a month with no
running account at all leaves the cost unallocated (see `unallocated_costs`).

Months are integer indexes (year * 12 + month - 1), extracted from dates and UTC timestamps,
so no backend needs date arithmetic. Shares stay floats until the per-account sums are
rounded, so the allocations add up to the pooled cost up to one minor unit per account.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from successlink.errors import ConfigError
from successlink.metrics.currency import Fx, as_minor, to_reporting
from successlink.metrics.lifecycle import attach, started_by
from successlink.metrics.window import happened_by

DRIVERS = ("even", "tickets", "seats", "mrr", "new_accounts")
RECENT_DAYS = 90


def month_index(value: ir.DateValue | ir.TimestampValue) -> ir.IntegerValue:
    """Calendar month as one integer (year * 12 + month - 1), comparable across years."""
    return value.year().cast("int64") * 12 + value.month().cast("int64") - 1


def costs(cs_costs: ir.Table, support_tickets: ir.Table, subscriptions: ir.Table,
          subscription_changes: ir.Table, *, as_of: date, fx: Fx,
          drivers: Mapping[str, str]) -> ir.Table:
    """Direct, pooled and total retention cost per account up to `as_of`, and the last 90 days."""
    check_drivers(drivers)
    billing = (support_tickets, subscriptions, subscription_changes)
    shares = _allocations(cs_costs, billing, as_of, fx, drivers)
    pooled = shares.group_by("account_id").aggregate(
        pooled=shares.share.sum(), pooled_90d=shares.share_90d.sum())
    direct = _direct(cs_costs, as_of, fx)
    ids = pooled.select("account_id").union(direct.select("account_id")).distinct()
    out = attach(ids, direct, pooled)
    direct_minor = as_minor(out.direct.fill_null(0.0))
    pooled_minor = as_minor(out.pooled.fill_null(0.0))
    recent = out.direct_90d.fill_null(0.0) + out.pooled_90d.fill_null(0.0)
    return out.select(
        account_id=out.account_id.cast("string"),
        crc_direct_minor=direct_minor,
        crc_pooled_minor=pooled_minor,
        crc_minor=(direct_minor + pooled_minor).cast("int64"),
        crc_90d_minor=as_minor(recent),
    )


def unallocated_costs(cs_costs: ir.Table, support_tickets: ir.Table, subscriptions: ir.Table,
                      subscription_changes: ir.Table, *, as_of: date, fx: Fx,
                      drivers: Mapping[str, str]) -> ir.Table:
    """Pooled costs of months with no running account: (month_index, cost_type, amount).

    Takes the same tables as `costs` so callers pass one set; only the subscriptions matter.
    """
    check_drivers(drivers)
    pooled = _pooled(cs_costs, as_of, fx, drivers)
    s = _spans(subscriptions, as_of)
    running = [s._from <= pooled.month_index, s._to.isnull() | (s._to >= pooled.month_index)]
    lost = pooled.anti_join(s, running)
    out = lost.group_by("month_index", "cost_type").aggregate(amount=lost.amount.sum())
    return out.select(month_index=out.month_index.cast("int64"),
                      cost_type=out.cost_type.cast("string"),
                      unallocated_minor=as_minor(out.amount))


def driver_weights(support_tickets: ir.Table, subscriptions: ir.Table,
                   subscription_changes: ir.Table, pooled: ir.Table, *, as_of: date,
                   fx: Fx) -> ir.Table:
    """(account_id, month_index, driver, weight > 0) for the months that have pooled costs."""
    months = pooled.select(month="month_index").distinct()
    per = _running_months(subscriptions, subscription_changes, months, as_of, fx)
    s = started_by(subscriptions, as_of)
    first = s.group_by("account_id").aggregate(_first=month_index(s.started_at).min())
    first = first.rename(_first_acct="account_id")
    tickets = _tickets_by_month(support_tickets, as_of)
    per = per.left_join(tickets, [per.account_id == tickets._acct,
                                  per.month == tickets._month])
    per = per.left_join(first, per.account_id == first._first_acct)
    weights = {
        "even": ibis.literal(1.0),
        "tickets": per.n.fill_null(0).cast("float64"),
        "seats": per.seats.fill_null(0.0),
        "mrr": per.mrr.fill_null(0.0),
        "new_accounts": ibis.ifelse(per._first == per.month, 1.0, 0.0),
    }
    parts = [per.select(account_id=per.account_id, month_index=per.month,
                        driver=ibis.literal(name), weight=w.cast("float64"))
             for name, w in weights.items()]
    long = ibis.union(*parts)
    return long.filter(long.weight > 0)


def _running_months(subscriptions: ir.Table, subscription_changes: ir.Table,
                    months: ir.Table, as_of: date, fx: Fx) -> ir.Table:
    """(account_id, month, seats, mrr) for every account running in one of `months`.

    An account runs in a month when one of its subscriptions started before the month ended
    (and before the as-of cutoff) and had not ended before the month began. A subscription's
    MRR in a month is its change log up to that month's end when the log starts with a 'new'
    change, else its stored MRR; seats are the stored quantity (no history is kept).
    """
    s = _spans(subscriptions, as_of)
    run = months.join(s, [s._from <= months.month, s._to.isnull() | (s._to >= months.month)])
    run = run.select("account_id", "subscription_id", "month", "quantity", "mrr_minor",
                     "currency")
    c = subscription_changes.filter(happened_by(subscription_changes.changed_at, as_of))
    c = c.select(_sub="subscription_id", _cm=month_index(c.changed_at),
                 _delta=c.mrr_delta_minor.cast("float64"),
                 _new=ibis.ifelse(c.change_type == "new", 1, 0))
    hist = run.join(c, [run.subscription_id == c._sub, c._cm <= run.month])
    hist = hist.group_by(_hsub="subscription_id", _hmonth="month").aggregate(
        _delta=hist._delta.sum(), _new=hist._new.max())
    run = run.left_join(hist, [run.subscription_id == hist._hsub, run.month == hist._hmonth])
    logged = ibis.ifelse(run._new.fill_null(0) == 1, ibis.greatest(run._delta, 0.0),
                         run.mrr_minor.cast("float64"))
    return run.group_by("account_id", "month").aggregate(
        seats=run.quantity.sum().cast("float64"),
        mrr=to_reporting(logged, run.currency, fx).sum())


def _spans(subscriptions: ir.Table, as_of: date) -> ir.Table:
    """Subscriptions started by `as_of` with their first (`_from`) and last (`_to`, null while
    running) month; one runs in every month between."""
    s = started_by(subscriptions, as_of)
    return s.mutate(_from=month_index(s.started_at),
                    _to=ibis.ifelse(s.ended_at.isnull(), ibis.null("int64"),
                                    month_index(s.ended_at)))


def _tickets_by_month(support_tickets: ir.Table, as_of: date) -> ir.Table:
    """(_acct, _month, n): tickets opened per account and month, up to `as_of`."""
    t = support_tickets.filter(support_tickets.account_id.notnull(),
                               happened_by(support_tickets.created_at, as_of))
    t = t.mutate(month=month_index(t.created_at))
    tickets = t.group_by("account_id", "month").aggregate(n=t.ticket_id.count())
    return tickets.rename(_acct="account_id", _month="month")


def _pooled(cs_costs: ir.Table, as_of: date, fx: Fx, drivers: Mapping[str, str]) -> ir.Table:
    """Pooled costs to date per (month, cost type), with the driver that spreads them."""
    c = cs_costs.filter(cs_costs.account_id.isnull(),
                        cs_costs.incurred_on <= ibis.literal(as_of))
    amount = to_reporting(c.amount_minor, c.currency, fx)
    recent = c.incurred_on > ibis.literal(as_of - timedelta(days=RECENT_DAYS))
    c = c.mutate(month_index=month_index(c.incurred_on), driver=_driver_of(c.cost_type, drivers),
                 amount=amount, amount_90d=ibis.ifelse(recent, amount, 0.0))
    return c.group_by("month_index", "cost_type", "driver").aggregate(
        amount=c.amount.sum(), amount_90d=c.amount_90d.sum())


def check_drivers(drivers: Mapping[str, str]) -> None:
    """Fail early, in words, on a driver name we cannot compute."""
    unknown = sorted(set(drivers.values()) - set(DRIVERS))
    if unknown:
        raise ConfigError(f"unknown cost driver(s) {unknown} in metrics.cost_drivers",
                          hint=f"Use one of {', '.join(DRIVERS)}.")


def _driver_of(cost_type: ir.StringValue, drivers: Mapping[str, str]) -> ir.StringValue:
    """The configured driver of each cost type ('*' for the others, else an even split)."""
    listed = [(cost_type == kind, driver) for kind, driver in sorted(drivers.items())
              if kind != "*"]
    default = ibis.literal(drivers.get("*", "even"))
    return ibis.cases(*listed, else_=default) if listed else default


def _allocations(cs_costs: ir.Table, billing: tuple[ir.Table, ir.Table, ir.Table],
                 as_of: date, fx: Fx, drivers: Mapping[str, str]) -> ir.Table:
    """One row per (pooled cost group, account): the account's share, overall and last 90 days.

    `billing` is (support_tickets, subscriptions, subscription_changes).
    """
    pooled = _pooled(cs_costs, as_of, fx, drivers)
    weights = driver_weights(*billing, pooled, as_of=as_of, fx=fx)
    totals = weights.group_by("month_index", "driver").aggregate(total=weights.weight.sum())
    seen = totals.rename(_m="month_index", _d="driver")
    p = pooled.left_join(seen, [pooled.month_index == seen._m, pooled.driver == seen._d])
    p = p.select("month_index", "amount", "amount_90d",
                 effective=ibis.ifelse(p.total.isnull(), "even", p.driver))
    # Re-projected so Ibis does not trace `effective` back through the shared lineage.
    p = p.select(_month="month_index", _driver="effective", amount="amount",
                 amount_90d="amount_90d")
    w = weights.join(totals, ["month_index", "driver"])
    w = w.select("account_id", "weight", "total", _m="month_index", _d="driver")
    a = p.join(w, [p._month == w._m, p._driver == w._d])
    fraction = a.weight / a.total
    return a.select("account_id", share=a.amount * fraction, share_90d=a.amount_90d * fraction)


def _direct(cs_costs: ir.Table, as_of: date, fx: Fx) -> ir.Table:
    """Costs booked to an account, to date and in the last 90 days."""
    c = cs_costs.filter(cs_costs.account_id.notnull(),
                        cs_costs.incurred_on <= ibis.literal(as_of))
    amount = to_reporting(c.amount_minor, c.currency, fx)
    recent = c.incurred_on > ibis.literal(as_of - timedelta(days=RECENT_DAYS))
    return c.group_by("account_id").aggregate(
        direct=amount.sum(), direct_90d=ibis.ifelse(recent, amount, 0.0).sum())
