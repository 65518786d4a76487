"""What each account did in its first days: the onboarding record success drivers read.

"Customers who invite a second user in the first month stay" is the kind of finding a
success team acts on, so the first `days` UTC days from an account's first subscription
start (day 1 = the start day) are summarised from the daily rollups. An account appears
only once its whole onboarding window has passed by the as-of day: a window still running
would look like weak onboarding when it is merely young.

Day arithmetic is done on epoch seconds of dates: date differences are not portable (SQLite
has none in SQL), and every backend agrees on the epoch of a calendar day.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from successlink.metrics.usage import FEATURE_EVENT_TYPE, seen_by
from successlink.metrics.window import SECONDS_PER_DAY


def onboarded(starts: ir.Table, *, as_of: date, days: int) -> ir.Table:
    """account_id and `start_day` of accounts whose first `days` days ended by `as_of`.

    `starts` has account_id and first_started_at (the lifecycle columns); accounts that
    never started a subscription have no onboarding to judge.
    """
    if days < 1:
        raise ValueError(f"an onboarding window is at least one day, got {days}")
    s = starts.filter(starts.first_started_at.notnull())
    s = s.select("account_id", start_day=s.first_started_at.date())
    # Day `days` of the window is start_day + days - 1; it must be on or before as_of.
    last_start = as_of - timedelta(days=days - 1)
    return s.filter(s.start_day <= ibis.literal(last_start, type="date"))


def _in_window(day: ir.DateValue, start_day: ir.DateValue, days: int) -> ir.BooleanValue:
    offset = (day.epoch_seconds().cast("float64")
              - start_day.epoch_seconds().cast("float64")) / SECONDS_PER_DAY
    return (offset >= 0.0) & (offset < float(days))


def onboarding(daily: ir.Table, user_daily: ir.Table, starts: ir.Table, *, as_of: date,
               days: int) -> ir.Table:
    """One row per onboarded account: activity in its first `days` days.

    Columns: account_id, start_day, onboarding_events, onboarding_active_days,
    onboarding_users (distinct users or anonymous ids: the seats really in use),
    onboarding_features (distinct `track` event names). Accounts silent in the window
    have zeros, not nulls: silence is what is being measured.
    """
    base = onboarded(starts, as_of=as_of, days=days)
    d = daily.filter(seen_by(daily.day, as_of))
    d = d.join(base, "account_id").filter(lambda t: _in_window(t.day, t.start_day, days))
    feature = d.event_type == FEATURE_EVENT_TYPE
    activity = d.group_by("account_id").aggregate(
        onboarding_events=d.events.sum(),
        onboarding_active_days=d.day.nunique(),
        onboarding_features=d.event.nunique(where=feature),
    )
    u = user_daily.filter(seen_by(user_daily.day, as_of))
    u = u.join(base, "account_id").filter(lambda t: _in_window(t.day, t.start_day, days))
    users = u.group_by("account_id").aggregate(onboarding_users=u.user_id.nunique())
    out = base.left_join(activity, "account_id").drop("account_id_right")
    out = out.left_join(users, "account_id").drop("account_id_right")
    return out.select(
        "account_id", "start_day",
        onboarding_events=out.onboarding_events.fill_null(0).cast("int64"),
        onboarding_active_days=out.onboarding_active_days.fill_null(0).cast("int64"),
        onboarding_users=out.onboarding_users.fill_null(0).cast("int64"),
        onboarding_features=out.onboarding_features.fill_null(0).cast("int64"),
    )


def onboarding_features(daily: ir.Table, starts: ir.Table, *, as_of: date,
                        days: int) -> ir.Table:
    """Distinct (account_id, feature) pairs: `track` events used in the first `days` days."""
    base = onboarded(starts, as_of=as_of, days=days)
    d = daily.filter(seen_by(daily.day, as_of), daily.event_type == FEATURE_EVENT_TYPE)
    d = d.join(base, "account_id").filter(lambda t: _in_window(t.day, t.start_day, days))
    return d.select("account_id", feature=d.event).distinct()
