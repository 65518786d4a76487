"""Row validation against a table spec: the one place that decides what is storable.

Adapters map source fields to canonical names; this module coerces types and applies the
checks declared in `tables.py`, returning every problem with the field that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from successlink.money import MoneyError, normalise_currency
from successlink.timeline import EARLIEST_PLAUSIBLE, TimestampError, parse_instant
from successlink.warehouse.tables import Column, TableSpec

# Clocks disagree a little; an event a few minutes "in the future" is skew, not bad data.
FUTURE_TOLERANCE = timedelta(minutes=10)
INT64_MAX = 2**63 - 1


class FieldError(ValueError):
    """One field of one row is not storable."""

    def __init__(self, field: str, value: object, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason


Coerce = Callable[[Any], Any]


def _as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    raise ValueError(f"expected text, got {type(value).__name__}")


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        result = int(value)
    elif isinstance(value, str):
        text = value.strip()
        sign = text[1:] if text[:1] in "+-" else text
        if not sign.isdigit() or not sign.isascii():
            raise ValueError(f"{value!r} is not an integer")
        result = int(text)
    else:
        raise ValueError(f"expected an integer, got {type(value).__name__}")
    if abs(result) > INT64_MAX:
        raise ValueError(f"{value!r} is out of the 64-bit integer range")
    return result


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a number") from exc
    raise ValueError(f"expected a number, got {type(value).__name__}")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "t", "1", "yes", "y"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "f", "0", "no", "n"}:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{value!r} is not true or false")


def _as_timestamp(value: Any) -> datetime:
    try:
        instant = parse_instant(value)
    except TimestampError as exc:
        raise ValueError(str(exc)) from exc
    if instant < EARLIEST_PLAUSIBLE:
        raise ValueError(f"{instant.isoformat()} is before 1990: probably a unit mistake")
    return instant


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)") from exc
    raise ValueError(f"expected a date, got {type(value).__name__}")


def _as_json(value: Any) -> str:
    if isinstance(value, str):
        try:
            orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError("is not valid JSON") from exc
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as exc:
        raise ValueError(f"cannot be stored as JSON: {exc}") from exc


_COERCE: dict[str, Coerce] = {
    "string": _as_string, "int64": _as_int, "float64": _as_float, "bool": _as_bool,
    "timestamp": _as_timestamp, "date": _as_date, "json": _as_json,
}


def check_value(column: Column, value: Any, *, now: datetime) -> Any:
    """Coerce one value to its column type and apply the column's checks."""
    if isinstance(value, str) and column.type != "json":
        value = value.strip()
        if value == "":
            value = None
    if value is None:
        if column.required:
            raise FieldError(column.name, value, "is required but missing")
        return None
    try:
        out = _COERCE[column.type](value)
    except ValueError as exc:
        raise FieldError(column.name, value, str(exc)) from None
    if column.currency:
        try:
            out = normalise_currency(out)
        except MoneyError as exc:
            raise FieldError(column.name, value, str(exc)) from None
    if isinstance(out, str) and len(out) > column.max_length:
        raise FieldError(column.name, value[:80] if isinstance(value, str) else value,
                         f"is {len(out)} characters long; the limit is {column.max_length}")
    if column.choices is not None and out not in column.choices:
        raise FieldError(column.name, value, f"must be one of {', '.join(column.choices)}")
    if column.minimum is not None and out < column.minimum:
        what = "negative" if column.minimum == 0 else f"below {column.minimum}"
        raise FieldError(column.name, value, f"is {what}")
    if column.maximum is not None and out > column.maximum:
        raise FieldError(column.name, value, f"is above {column.maximum}")
    if column.not_future and isinstance(out, datetime) and out > now + FUTURE_TOLERANCE:
        raise FieldError(column.name, value, f"is in the future (now is {now.isoformat()})")
    return out


def validate_row(spec: TableSpec, values: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """A clean row for `spec`, or FieldError for the first field that is not storable.

    Unknown keys are a programming error in the adapter, not bad input, so they raise KeyError.
    """
    unknown = set(values) - set(spec.column_index)
    if unknown:
        raise KeyError(f"{spec.name} has no column(s) {sorted(unknown)}")
    return {c.name: check_value(c, values.get(c.name), now=now) for c in spec.columns}
