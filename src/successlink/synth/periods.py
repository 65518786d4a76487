"""Calendar arithmetic on Unix seconds, for whole columns at once.

Billing periods follow Stripe's anchors: a subscription started on the 31st renews on the
last day of shorter months and on the 31st again when the month has one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
DAY = 86400


def epoch_seconds(day: date) -> int:
    """Unix seconds at 00:00 UTC of `day`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def add_months(instants: I64, months: I64 | int) -> I64:
    """Each instant moved by whole calendar months, the day clamped to the month's length."""
    moment = instants.astype("datetime64[s]")
    month = moment.astype("datetime64[M]")
    into = (moment - month.astype("datetime64[s]")).astype(np.int64)
    day, time_of_day = np.divmod(into, DAY)
    target = month + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    start = target.astype("datetime64[s]").astype(np.int64)
    length = (target + np.timedelta64(1, "M")).astype("datetime64[s]").astype(np.int64) - start
    moved: I64 = start + np.minimum(day, length // DAY - 1) * DAY + time_of_day
    return moved


def month_start(instants: I64) -> I64:
    """The first instant of each instant's calendar month."""
    return instants.astype("datetime64[s]").astype("datetime64[M]").astype(
        "datetime64[s]").astype(np.int64)


def months_between(start: int, stop: int) -> I64:
    """First instants of the calendar months that overlap [start, stop)."""
    first = np.datetime64(start, "s").astype("datetime64[M]")
    last = np.datetime64(stop - 1, "s").astype("datetime64[M]")
    return np.arange(first, last + np.timedelta64(1, "M")).astype(
        "datetime64[s]").astype(np.int64)


def day_of(instants: I64) -> I64:
    """Days since 1970-01-01."""
    return np.floor_divide(instants, DAY)
