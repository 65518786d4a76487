"""As-of boundaries and time windows in the portable subset of Ibis.

`as_of` is a calendar day: a metric "as of D" sees everything that happened on or before D
(UTC), i.e. instants strictly before the next midnight. Window edges are computed here in
Python and reach SQL as literals, so no backend needs interval arithmetic (Debian's SQLite
lacks timestamp-minus-interval; PostgreSQL and DuckDB spell it differently).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import ibis
import ibis.expr.types as ir

SECONDS_PER_DAY = 86_400.0


def cutoff(as_of: date) -> datetime:
    """The first instant after `as_of` (exclusive upper bound of everything visible)."""
    return datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)


def instant(value: datetime) -> ir.TimestampScalar:
    """A UTC timestamp literal comparable with warehouse timestamp columns."""
    return ibis.literal(value.astimezone(UTC), type="timestamp('UTC')")


def happened_by(column: ir.TimestampValue, as_of: date) -> ir.BooleanValue:
    """True where the instant is on or before `as_of` (nulls are false)."""
    return column.notnull() & (column < instant(cutoff(as_of)))


def within_days(column: ir.TimestampValue, as_of: date, days: int,
                *, offset_days: int = 0) -> ir.BooleanValue:
    """True in the `days`-day window ending `offset_days` before the as-of cutoff.

    `within_days(ts, d, 30)` is the last 30 days up to and including `d`;
    `within_days(ts, d, 30, offset_days=30)` is the 30 days before those.
    """
    end = cutoff(as_of) - timedelta(days=offset_days)
    start = end - timedelta(days=days)
    return column.notnull() & (column >= instant(start)) & (column < instant(end))


def days_until_cutoff(column: ir.TimestampValue, as_of: date) -> ir.FloatingValue:
    """Days from the instant to the as-of cutoff, as a float (epoch arithmetic is portable)."""
    edge = cutoff(as_of).timestamp()
    seconds = column.epoch_seconds().cast("float64")
    return (ibis.literal(edge, type="float64") - seconds) / SECONDS_PER_DAY


def days_between(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """Days from `earlier` to `later`, as a float."""
    return (later.epoch_seconds().cast("float64")
            - earlier.epoch_seconds().cast("float64")) / SECONDS_PER_DAY
