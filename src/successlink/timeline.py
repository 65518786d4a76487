"""Time in SuccessLink: timezone-aware UTC datetimes, and dates as `as_of` boundaries.

"Now" is always passed in by the caller (the edges read the clock), never read in domain code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Instants before this are almost always a unit mistake (seconds vs milliseconds) or a
# placeholder; rejecting them catches bad input early.
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)


class TimestampError(ValueError):
    """A value could not be read as an instant."""


def utc_now() -> datetime:
    """The current instant in UTC; call it only at the edges (CLI, web, jobs)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Normalise a datetime to aware UTC; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def from_epoch_seconds(seconds: int | float) -> datetime:
    """An instant from Unix seconds (Stripe's timestamps)."""
    if isinstance(seconds, bool):
        raise TimestampError("a boolean is not a timestamp")
    try:
        return EPOCH + timedelta(seconds=seconds)
    except (OverflowError, ValueError) as exc:
        raise TimestampError(f"{seconds!r} is out of range for Unix seconds") from exc


def parse_instant(value: object) -> datetime:
    """Read an ISO-8601 string, a date, a datetime or Unix seconds as an aware UTC instant."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch_seconds(value)
    if not isinstance(value, str):
        raise TimestampError(f"expected an ISO-8601 timestamp, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise TimestampError("empty timestamp")
    if text.isdigit():
        return from_epoch_seconds(int(text))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimestampError(f"{value!r} is not an ISO-8601 timestamp") from exc
    try:
        return as_utc(parsed)
    except OverflowError as exc:  # an offset pushes year 1 or 9999 out of range
        raise TimestampError(f"{value!r} is outside the range of dates") from exc


def end_of_day(day: date) -> datetime:
    """The first instant after `day` in UTC: the exclusive bound of an as-of date."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
