"""Recurring and collected revenue per account as of a day, in the reporting currency.

MRR at D is rebuilt from the change log where it is complete (a subscription whose 'new'
change is on record): the sum of its MRR deltas before the cutoff. Without a 'new' change
the stored MRR (the latest state) is the best we have. Collected revenue counts payments,
refunds and disputes by the day they happened.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from successlink.metrics.currency import Fx, as_minor, to_reporting
from successlink.metrics.lifecycle import attach, in_trial, running_at
from successlink.metrics.window import happened_by, within_days

FAILED_WINDOW_DAYS = 90
REFUND_NOT_PAID = ("failed", "canceled")


def mrr(subscriptions: ir.Table, subscription_changes: ir.Table, *, as_of: date,
        fx: Fx) -> ir.Table:
    """MRR per account at the as-of cutoff, over subscriptions running then (trials count 0).

    Accounts with a running subscription get a row, even at MRR 0.
    """
    running = running_at(subscriptions, as_of)
    c = subscription_changes.filter(happened_by(subscription_changes.changed_at, as_of))
    log = c.group_by("subscription_id").aggregate(
        delta=c.mrr_delta_minor.cast("float64").sum(),
        has_new=ibis.ifelse(c.change_type == "new", 1, 0).max())
    s = attach(running, log, key="subscription_id")
    rebuilt = ibis.ifelse(s.has_new.fill_null(0) == 1, s.delta, s.mrr_minor.cast("float64"))
    # A trial pays nothing yet; its account still gets a row (MRR 0).
    clamped = ibis.ifelse(in_trial(s, as_of), 0.0, ibis.greatest(rebuilt, 0.0))
    per_sub = s.select("account_id", mrr=to_reporting(clamped, s.currency, fx))
    out = per_sub.group_by("account_id").aggregate(mrr=per_sub.mrr.sum())
    return out.select(account_id=out.account_id.cast("string"),
                      mrr_minor=as_minor(out.mrr.fill_null(0.0)))


def revenue(subscriptions: ir.Table, subscription_changes: ir.Table, payments: ir.Table,
            refunds: ir.Table, disputes: ir.Table, *, as_of: date, fx: Fx) -> ir.Table:
    """MRR, ARR, gross and net revenue to date, purchases and failed payments per account."""
    paid = _payments(payments, as_of, fx)
    back = _money_back(refunds, as_of, fx, "refunds", skip=REFUND_NOT_PAID)
    chargebacks = _money_back(disputes, as_of, fx, "disputed")
    recurring = mrr(subscriptions, subscription_changes, as_of=as_of, fx=fx)
    parts = [recurring, paid, back, chargebacks]
    ids = parts[0].select("account_id")
    for part in parts[1:]:
        ids = ids.union(part.select("account_id"))
    out = attach(ids.distinct(), *parts)
    gross = out.gross.fill_null(0.0)
    refunded = out.refunds.fill_null(0.0)
    disputed = out.disputed.fill_null(0.0)
    count = out.purchase_count.fill_null(0)
    mrr_minor = out.mrr_minor.fill_null(0)
    return out.select(
        account_id=out.account_id.cast("string"),
        mrr_minor=mrr_minor.cast("int64"),
        arr_minor=(mrr_minor * 12).cast("int64"),
        revenue_gross_minor=as_minor(gross),
        refunds_minor=as_minor(refunded),
        disputed_minor=as_minor(disputed),
        revenue_net_minor=as_minor(gross - refunded - disputed),
        purchase_count=count.cast("int64"),
        avg_purchase_minor=ibis.ifelse(count > 0, as_minor(gross / count.cast("float64")),
                                       ibis.null()).cast("int64"),
        first_payment_at=out.first_payment_at.cast("timestamp('UTC')"),
        last_payment_at=out.last_payment_at.cast("timestamp('UTC')"),
        failed_payments_90d=out.failed_90d.fill_null(0).cast("int64"),
    )


def _payments(payments: ir.Table, as_of: date, fx: Fx) -> ir.Table:
    """Succeeded payments to date (gross, count, first and last) and recent failures."""
    p = payments.filter(payments.account_id.notnull(), happened_by(payments.created_at, as_of))
    amount = to_reporting(p.amount_minor, p.currency, fx)
    # A currency without a rate drops out of counts too, so the average stays a true average.
    ok = (p.status == "succeeded") & amount.notnull()
    purchase = ok & (p.amount_minor > 0)
    when = ibis.ifelse(purchase, p.created_at, ibis.null())
    failed = (p.status == "failed") & within_days(p.created_at, as_of, FAILED_WINDOW_DAYS)
    return p.group_by("account_id").aggregate(
        gross=ibis.ifelse(ok, amount, 0.0).sum(),
        purchase_count=ibis.ifelse(purchase, 1, 0).sum(),
        first_payment_at=when.min(), last_payment_at=when.max(),
        failed_90d=ibis.ifelse(failed, 1, 0).sum())


def _money_back(table: ir.Table, as_of: date, fx: Fx, name: str,
                skip: tuple[str, ...] = ()) -> ir.Table:
    """Refunded or disputed amounts to date, by the day the money went back.

    Disputes count whatever their status: Stripe withdraws the money when a dispute opens,
    and the stored status is the latest one, so a later win is invisible as of D.
    """
    t = table.filter(table.account_id.notnull(), happened_by(table.created_at, as_of))
    if skip:
        t = t.filter(t.status.isnull() | ~t.status.isin(skip))
    return t.group_by("account_id").aggregate(
        **{name: to_reporting(t.amount_minor, t.currency, fx).sum()})
