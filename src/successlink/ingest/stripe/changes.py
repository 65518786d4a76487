"""Subscription changes (new, cancel, upgrade, downgrade, seats, cross-sell, reactivation).

Only events say what changed: `customer.subscription.created` / `.deleted` are a new
subscription and a cancellation; an `.updated` event's `data.previous_attributes` holds the
old values of whatever changed, so the old items (or legacy `plan` / `quantity`) are rebuilt
from it and compared with the new ones. Status-only updates are not changes, except a
canceled or paused subscription becoming active again (a reactivation).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from successlink.ingest.stripe.context import SOURCE, Context
from successlink.ingest.stripe.fields import Node
from successlink.ingest.stripe.plans import (
    Line,
    check_lines,
    item_line,
    price_line,
    total_mrr,
)

_LIVE = frozenset({"active", "trialing"})
_DORMANT = frozenset({"canceled", "paused"})


def subscription_change(obj: Node, ctx: Context, after: list[Line],
                        row: dict[str, Any]) -> dict[str, Any] | None:
    """The subscription_changes row an event implies, or None when it changes no revenue."""
    if ctx.event_id is None or ctx.observed_at is None:
        return None
    mrr = row["mrr_minor"]
    first = after[0]
    if ctx.event_type == "customer.subscription.created":
        return _change(ctx, row, "new", None, first, mrr, from_quantity=0)
    if ctx.event_type == "customer.subscription.deleted":
        return _change(ctx, row, "cancel", first, None, -mrr, to_quantity=0)
    if ctx.event_type != "customer.subscription.updated" or ctx.previous is None:
        return None
    before = previous_lines(ctx.previous, after)
    if before is None:
        was = ctx.previous.text("status")
        if was in _DORMANT and row["status"] in _LIVE:
            return _change(ctx, row, "reactivation", first, first, mrr)
        return None
    return _classify(ctx, row, before, after)


def previous_lines(previous: Node, after: list[Line]) -> list[Line] | None:
    """The items before an update, rebuilt from previous_attributes; None if they did not change."""
    if "items" in previous.data:
        items = previous.elements("items")
        if not items:
            raise previous.bad("items", "has no items: cannot tell what changed")
        lines = [item_line(item, item.integer("quantity", required=False)) for item in items]
    elif "plan" in previous.data or "quantity" in previous.data:
        quantity = previous.integer("quantity", required=False)
        if "quantity" not in previous.data or quantity is None:
            quantity = after[0].quantity
        plan = previous.child("plan")
        old = (price_line(plan, quantity) if plan is not None
               else replace(after[0], quantity=quantity))
        lines = [old, *after[1:]]
    else:
        return None
    check_lines(previous, lines)
    return lines


def _classify(ctx: Context, row: dict[str, Any], before: list[Line],
              after: list[Line]) -> dict[str, Any] | None:
    delta = total_mrr(after) - total_mrr(before)
    offers_before = {line.offer for line in before}
    added = [line for line in after if line.offer not in offers_before]
    removed = offers_before - {line.offer for line in after}
    if added and not removed:
        return _change(ctx, row, "cross_sell", None, added[0], delta)
    if sorted(map(_plan_key, before)) != sorted(map(_plan_key, after)):
        if delta == 0:
            return None  # a plan swap at the same MRR is neither expansion nor contraction
        kind = "upgrade" if delta > 0 else "downgrade"
        return _change(ctx, row, kind, before[0], after[0], delta)
    seats_before = {(_plan_key(line), line.quantity) for line in before}
    for new in after:
        if (_plan_key(new), new.quantity) not in seats_before:
            old = next(line for line in before if _plan_key(line) == _plan_key(new))
            return _change(ctx, row, "seat_change", old, new, delta)
    return None


def _plan_key(line: Line) -> str:
    return line.plan_id or line.offer or ""


def _change(ctx: Context, row: dict[str, Any], kind: str, old: Line | None, new: Line | None,
            delta: int, *, from_quantity: int | None = None,
            to_quantity: int | None = None) -> dict[str, Any]:
    return {
        "change_id": ctx.event_id, "subscription_id": row["subscription_id"],
        "account_id": None, "customer_key": row["customer_key"],
        "changed_at": ctx.observed_at, "change_type": kind,
        "from_plan_id": old.plan_id if old else None, "to_plan_id": new.plan_id if new else None,
        "from_quantity": old.quantity if old else from_quantity,
        "to_quantity": new.quantity if new else to_quantity,
        "mrr_delta_minor": delta, "currency": row["currency"], "source": SOURCE,
    }
