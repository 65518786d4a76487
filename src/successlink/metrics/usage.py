"""Product usage per account as of a day, read from the daily rollups (never raw events).

Windows are whole UTC days: the recent window is the `window_days` days ending on `as_of`
(inclusive), the previous window the `window_days` days before it. Column names keep the
"_30" suffix of the default window whatever `window_days` is, so the health score and the
report can rely on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from successlink.metrics.window import SECONDS_PER_DAY, cutoff

FEATURE_EVENT_TYPE = "track"


def day_window(day: ir.DateValue, as_of: date, days: int, *,
               offset_days: int = 0) -> ir.BooleanValue:
    """True for days in the `days`-day window ending `offset_days` days before `as_of`.

    The day-grained twin of `window.within_days`: `day_window(d, D, 30)` is D-29 .. D.
    """
    last = as_of - timedelta(days=offset_days)
    first = last - timedelta(days=days - 1)
    return (day >= ibis.literal(first, type="date")) & (day <= ibis.literal(last, type="date"))


def seen_by(day: ir.DateValue, as_of: date) -> ir.BooleanValue:
    """True for days on or before `as_of`."""
    return day <= ibis.literal(as_of, type="date")


def days_since_day(day: ir.DateValue, as_of: date) -> ir.FloatingValue:
    """Whole days from the end of `day` to the as-of cutoff: 0 when `day` is `as_of` itself.

    Epoch arithmetic, because date differences are not portable (SQLite has none in SQL).
    """
    end_of_day = day.epoch_seconds().cast("float64") + SECONDS_PER_DAY
    edge = ibis.literal(cutoff(as_of).timestamp(), type="float64")
    return (edge - end_of_day) / SECONDS_PER_DAY


def trend(recent: ir.IntegerValue, before: ir.IntegerValue) -> ir.FloatingValue:
    """(recent - before) / max(recent + before, 1), in [-1, 1]; 0 when both are 0."""
    total = (recent + before).cast("float64")
    return (recent - before).cast("float64") / ibis.greatest(total, 1.0)


def _activity(daily: ir.Table, as_of: date, window_days: int,
              key_features: Sequence[str]) -> ir.Table:
    """Days, events, features and key-feature adoption per account from usage_daily."""
    d = daily.filter(seen_by(daily.day, as_of))
    recent = day_window(d.day, as_of, window_days)
    before = day_window(d.day, as_of, window_days, offset_days=window_days)
    feature = d.event_type == FEATURE_EVENT_TYPE
    if key_features:
        key = d.event.isin(list(key_features))
        adopted: ir.Value = d.event.nunique(where=feature & key)
    else:
        adopted = ibis.literal(0, type="int64")
    return d.group_by("account_id").aggregate(
        active_days_30=d.day.nunique(where=recent),
        active_days_prev_30=d.day.nunique(where=before),
        events_30=d.events.sum(where=recent),
        events_prev_30=d.events.sum(where=before),
        events_total=d.events.sum(),
        distinct_features_30=d.event.nunique(where=feature & recent),
        key_features_adopted=adopted,
        last_active_day=d.day.max(),
    )


def _users(user_daily: ir.Table, as_of: date, window_days: int) -> ir.Table:
    """Distinct acting users per account in the recent and previous windows."""
    u = user_daily.filter(seen_by(user_daily.day, as_of))
    return u.group_by("account_id").aggregate(
        active_users_30=u.user_id.nunique(where=day_window(u.day, as_of, window_days)),
        active_users_prev_30=u.user_id.nunique(
            where=day_window(u.day, as_of, window_days, offset_days=window_days)),
    )


def usage(daily: ir.Table, user_daily: ir.Table, *, as_of: date, window_days: int = 30,
          key_features: Sequence[str] = ()) -> ir.Table:
    """Activity, volume, feature adoption and trend per account with any usage by `as_of`.

    `daily` and `user_daily` are `rollups.usage_daily` and `rollups.user_daily` (as
    expressions or materialised tables). See docs/metrics/usage.md.
    """
    a = _activity(daily, as_of, window_days, key_features)
    users = _users(user_daily, as_of, window_days).rename(_uid="account_id")
    j = a.left_join(users, a.account_id == users._uid)
    count = {name: j[name].fill_null(0).cast("int64") for name in (
        "active_days_30", "active_days_prev_30", "active_users_30", "active_users_prev_30",
        "events_30", "events_prev_30", "events_total", "distinct_features_30",
        "key_features_adopted")}
    adoption = (count["key_features_adopted"].cast("float64") / float(len(key_features))
                if key_features else ibis.null("float64"))
    return j.select(
        account_id=j.account_id.cast("string"),
        **count,
        key_feature_adoption=adoption.cast("float64"),
        usage_trend=trend(count["events_30"], count["events_prev_30"]).cast("float64"),
        active_users_trend=trend(count["active_users_30"],
                                 count["active_users_prev_30"]).cast("float64"),
        last_active_day=j.last_active_day.cast("date"),
        days_since_active=days_since_day(j.last_active_day, as_of).cast("float64"),
    )
