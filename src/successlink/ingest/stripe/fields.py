"""Typed access to Stripe JSON that names the dotted source path of every bad value.

Mappers read a Stripe object through a `Node` (the object plus the path it sits at, such as
`data.object.` inside an event). A value of the wrong shape raises `SourceFieldError` with that
path, so the adapter can turn the whole record into one reject that says exactly where to look.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from successlink.money import MoneyError, normalise_currency
from successlink.timeline import EARLIEST_PLAUSIBLE, TimestampError, from_epoch_seconds

# The longest text most canonical string columns keep; checked here to name the source path.
MAX_TEXT = 4096
_AMOUNT_HINT = "(Stripe amounts are integers in minor units, e.g. 1200 for 12.00 EUR)"
_INT64 = 2**63
_TIME_HINT = "(Stripe timestamps are whole Unix seconds, e.g. 1648320107)"
# Objects repeat the same few timestamps (created, period start...): converting each once keeps
# large event files fast. Bounded: cleared when full.
_INSTANT_CACHE: dict[int, datetime] = {}
_INSTANT_CACHE_SIZE = 1 << 16


class SourceFieldError(Exception):
    """One source value makes its record unusable; it becomes one reject."""

    def __init__(self, path: str, value: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.value = value
        self.reason = reason


class Skip(Exception):  # noqa: N818 - a signal, not an error
    """The record is deliberately not mapped; `kind` names why, for the ignored counter."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def describe(value: object) -> str:
    """A short name for the JSON type of a value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


class Node:
    """A JSON object and the dotted path (with trailing dot) where it sits in the record."""

    __slots__ = ("data", "prefix")

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def path(self, key: str) -> str:
        """The dotted source path of `key` in this object."""
        return self.prefix + key

    def bad(self, key: str, reason: str) -> SourceFieldError:
        """A SourceFieldError for `key` carrying its current value."""
        return SourceFieldError(self.prefix + key, self.data.get(key), reason)

    # Each accessor returns well-formed values on a fast path and leaves the checks that
    # explain a bad value to a slow path: adapters read a dozen fields per event.

    def text(self, key: str, *, required: bool = False) -> str | None:
        """A string value; empty or null is missing."""
        value = self.data.get(key)
        if type(value) is str and 0 < len(value) <= MAX_TEXT:
            return value
        if value is None or value == "":
            if required:
                raise self.bad(key, "is missing")
            return None
        if type(value) is not str:
            raise self.bad(key, f"is {describe(value)}, expected text")
        raise self.bad(key, f"is {len(value)} characters long; the limit is {MAX_TEXT}")

    def ref(self, key: str, *, required: bool = False) -> str | None:
        """An expandable reference: an id, or the expanded object carrying its `id`."""
        value = self.data.get(key)
        if isinstance(value, dict):
            return Node(value, f"{self.prefix}{key}.").text("id", required=True)
        return self.text(key, required=required)

    def integer(self, key: str, *, minimum: int | None = 0, required: bool = True,
                hint: str = "") -> int | None:
        """A JSON integer at or above `minimum` (None: any sign)."""
        value = self.data.get(key)
        if type(value) is int and -_INT64 < value < _INT64 and (minimum is None
                                                                or value >= minimum):
            return value
        if value is None:
            if required:
                raise self.bad(key, _with("is missing", hint))
            return None
        if type(value) is not int:
            shown = "a boolean" if isinstance(value, bool) else repr(value)
            raise self.bad(key, _with(f"{shown} is not an integer", hint))
        if minimum is not None and value < minimum:
            what = "negative" if minimum == 0 else f"below {minimum}"
            raise self.bad(key, _with(f"is {what}", hint))
        raise self.bad(key, "is out of the 64-bit integer range")

    def amount(self, key: str, *, required: bool = True, signed: bool = False) -> int | None:
        """Money in minor units: a JSON integer, never negative unless `signed`."""
        return self.integer(key, minimum=None if signed else 0, required=required,
                            hint=_AMOUNT_HINT)

    def currency(self, key: str = "currency") -> str:
        """An ISO 4217 code, upper-cased."""
        value = self.data.get(key)
        if value is None or value == "":
            raise self.bad(key, "is missing (every Stripe amount comes with its currency)")
        try:
            return normalise_currency(value)
        except MoneyError as exc:
            raise self.bad(key, str(exc)) from None

    def instant(self, key: str, *, required: bool = False,
                not_after: datetime | None = None) -> datetime | None:
        """A Stripe timestamp (Unix seconds) as aware UTC; later than `not_after` is bad."""
        value = self.data.get(key)
        if type(value) is int:
            instant = _INSTANT_CACHE.get(value) or self._convert(key, value)
            if not_after is not None and instant > not_after:
                raise self.bad(key, f"is {instant.isoformat()}, in the future")
            return instant
        if value is None:
            if required:
                raise self.bad(key, "is missing")
            return None
        raise self.bad(key, f"{value!r} is not a Unix timestamp {_TIME_HINT}")

    def _convert(self, key: str, value: int) -> datetime:
        try:
            instant = from_epoch_seconds(value)
        except TimestampError:
            raise self.bad(key, f"is out of range {_TIME_HINT}; milliseconds?") from None
        if instant < EARLIEST_PLAUSIBLE:
            raise self.bad(key, f"is {instant.isoformat()}, before 1990 {_TIME_HINT}")
        if len(_INSTANT_CACHE) >= _INSTANT_CACHE_SIZE:
            _INSTANT_CACHE.clear()
        _INSTANT_CACHE[value] = instant
        return instant

    def child(self, key: str, *, required: bool = False) -> Node | None:
        """A nested object; null is missing."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.bad(key, "is missing")
            return None
        if not isinstance(value, dict):
            raise self.bad(key, f"is {describe(value)}, expected an object")
        return Node(value, f"{self.prefix}{key}.")

    def elements(self, key: str) -> list[Node]:
        """The objects of a Stripe list (`{"object": "list", "data": [...]}`) or plain array."""
        value = self.data.get(key)
        if value is None:
            return []
        prefix = f"{self.prefix}{key}"
        if isinstance(value, dict):
            value = value.get("data")
            prefix += ".data"
            if value is None:
                return []
        if not isinstance(value, list):
            raise SourceFieldError(prefix, value, f"is {describe(value)}, expected an array")
        nodes = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise SourceFieldError(f"{prefix}[{index}]", item,
                                       f"is {describe(item)}, expected an object")
            nodes.append(Node(item, f"{prefix}[{index}]."))
        return nodes

    def choice(self, key: str, choices: tuple[str, ...], what: str) -> str:
        """A status-like value that must be one of `choices`."""
        value = self.text(key, required=True)
        assert value is not None
        if value not in choices:
            raise self.bad(key, f"{value!r} is not {what} ({', '.join(choices)})")
        return value


def _with(reason: str, hint: str) -> str:
    return f"{reason} {hint}" if hint else reason


def latest(*instants: datetime | None, not_after: datetime) -> datetime | None:
    """The latest of the instants that have already happened (the version of a bare object)."""
    best: datetime | None = None
    for instant in instants:
        if instant is not None and instant <= not_after and (best is None or instant > best):
            best = instant
    return best
