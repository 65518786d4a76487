"""Stripe subscriptions -> the subscriptions table (latest state) and, from events, changes.

Billing periods moved in API 2025-03-31 ("Basil") from the subscription to its items
(`items.data[].current_period_*`); both places are read, the top level first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from successlink.ingest.stripe.changes import subscription_change
from successlink.ingest.stripe.context import SOURCE, Context, Row
from successlink.ingest.stripe.fields import Node
from successlink.ingest.stripe.plans import (
    check_lines,
    round_half_up,
    subscription_lines,
    total_mrr,
)
from successlink.warehouse.tables import SUBSCRIPTION_STATUSES


def map_subscription(obj: Node, ctx: Context) -> list[Row]:
    """A subscription -> its subscriptions row, plus a change row for lifecycle events."""
    subscription_id = obj.text("id", required=True)
    lines = subscription_lines(obj)
    check_lines(obj, lines)
    first = lines[0]
    past = ctx.not_after
    created = obj.instant("created", not_after=past)
    started = (obj.instant("start_date", not_after=past) or obj.instant("start", not_after=past)
               or created)
    if started is None:
        raise obj.bad("start_date", "is missing (and so are start and created)")
    period_start, period_end = _current_period(obj)
    canceled_at = obj.instant("canceled_at", not_after=past)
    ended_at = obj.instant("ended_at", not_after=past)
    trial_start = obj.instant("trial_start")
    row: dict[str, Any] = {
        "subscription_id": subscription_id, "account_id": None,
        "customer_key": obj.ref("customer"), "plan_id": first.plan_id,
        "plan_name": first.plan_name, "product_id": first.product_id,
        "unit_amount_minor": None if first.unit_amount is None
        else round_half_up(first.unit_amount),
        "currency": first.currency, "quantity": first.quantity, "interval": first.interval,
        "interval_count": first.interval_count, "mrr_minor": total_mrr(lines),
        "status": obj.choice("status", SUBSCRIPTION_STATUSES, "a Stripe subscription status"),
        "started_at": started, "trial_start": trial_start, "trial_end": obj.instant("trial_end"),
        "current_period_start": period_start, "current_period_end": period_end,
        "canceled_at": canceled_at, "cancel_at": obj.instant("cancel_at"), "ended_at": ended_at,
        "cancellation_reason": _cancellation_reason(obj),
        "updated_at": ctx.version(obj, created, started, canceled_at, ended_at, trial_start,
                                  period_start),
        "source": SOURCE,
    }
    rows: list[Row] = [("subscriptions", row)]
    change = subscription_change(obj, ctx, lines, row)
    if change is not None:
        rows.append(("subscription_changes", change))
    return rows


def _current_period(obj: Node) -> tuple[datetime | None, datetime | None]:
    """Top-level period (API before 2025-03-31), else the span of the items' periods."""
    start = obj.instant("current_period_start")
    end = obj.instant("current_period_end")
    if start is not None or end is not None:
        return start, end
    starts: list[datetime] = []
    ends: list[datetime] = []
    for item in obj.elements("items"):
        item_start = item.instant("current_period_start")
        item_end = item.instant("current_period_end")
        if item_start is not None:
            starts.append(item_start)
        if item_end is not None:
            ends.append(item_end)
    return min(starts, default=None), max(ends, default=None)


def _cancellation_reason(obj: Node) -> str | None:
    """The customer's feedback code, else Stripe's reason, else the free-text comment."""
    details = obj.child("cancellation_details")
    if details is None:
        return None
    return details.text("feedback") or details.text("reason") or details.text("comment")
