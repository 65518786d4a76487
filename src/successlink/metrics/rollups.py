"""Daily usage rollups: raw events are scanned once, every usage metric reads these.

`usage_events` can hold 100M rows; a score run materialises these two expressions as
warehouse tables (see `successlink.scores.rollups`) and the metrics filter them by day. They
take no `as_of`: they roll up everything, and each metric keeps `day <= as_of` itself, so one
rollup serves every as-of date. Days are UTC calendar days of `occurred_at`.
"""

from __future__ import annotations

import ibis.expr.types as ir


def usage_daily(usage_events: ir.Table) -> ir.Table:
    """Events per (account_id, day, event_type, event), for matched events only.

    event_type is kept so that metrics can tell features (track events) from page and
    screen views, which keep their page name as `event`.
    """
    e = usage_events.filter(usage_events.account_id.notnull())
    e = e.select("account_id", "event_type", "event", day=e.occurred_at.date())
    out = e.group_by("account_id", "day", "event_type", "event").aggregate(events=e.count())
    return out.select(
        account_id=out.account_id.cast("string"),
        day=out.day.cast("date"),
        event_type=out.event_type.cast("string"),
        event=out.event.cast("string"),
        events=out.events.cast("int64"),
    )


def user_daily(usage_events: ir.Table) -> ir.Table:
    """Events per (account_id, day, user_id); user_id falls back to the anonymous id.

    Events with neither id cannot say who acted and are left out of this rollup (they still
    count in `usage_daily`).
    """
    e = usage_events.filter(usage_events.account_id.notnull())
    who = e.user_id.coalesce(e.anonymous_id)
    e = e.filter(who.notnull()).select("account_id", day=e.occurred_at.date(), user_id=who)
    out = e.group_by("account_id", "day", "user_id").aggregate(events=e.count())
    return out.select(
        account_id=out.account_id.cast("string"),
        day=out.day.cast("date"),
        user_id=out.user_id.cast("string"),
        events=out.events.cast("int64"),
    )
