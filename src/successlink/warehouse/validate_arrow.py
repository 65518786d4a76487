"""Vectorised validation of whole Arrow batches: the same checks as `validate.py`, at
columnar speed, for sources that are already tabular (canonical Parquet, CSV).

A column whose type cannot be cast as a whole falls back to the per-value checks, so the
reasons users read are the same whichever path a row took.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from successlink.money import _ISO_4217
from successlink.timeline import EARLIEST_PLAUSIBLE
from successlink.warehouse.connect import ARROW_TYPES
from successlink.warehouse.tables import Column, TableSpec
from successlink.warehouse.validate import FUTURE_TOLERANCE, FieldError, check_value

_CURRENCIES = pa.array(sorted(_ISO_4217))
BatchReject = tuple[int, str, Any, str]  # (row index in batch, field, value, reason)
# Exactly these (not subclasses such as pandas' Timestamp) may be given their type up front.
_DATETIME_TYPES = frozenset({datetime, type(None)})


def _castable(column: Column, source: pa.DataType) -> bool:
    """Whether Arrow's cast means the same as the per-value coercion for this source type."""
    t = pa.types
    if t.is_null(source) or t.is_string(source) or t.is_large_string(source):
        return True
    allowed = {
        "int64": (t.is_integer, t.is_floating), "float64": (t.is_integer, t.is_floating),
        "timestamp": (t.is_timestamp,), "date": (t.is_date, t.is_timestamp),
        "bool": (t.is_boolean,),
    }.get(column.type, ())
    return any(bool(test(source)) for test in allowed)


def _cast(column: Column, values: pa.Array) -> pa.Array | None:
    """The column cast to its canonical type, or None when the per-value path must decide."""
    target = ARROW_TYPES[column.type]
    if values.type == target:
        return values
    if not _castable(column, values.type):
        return None
    if pa.types.is_timestamp(values.type) and values.type.tz is None:
        values = pc.assume_timezone(values, "UTC")
    if pa.types.is_timestamp(values.type) and pa.types.is_timestamp(target):
        return values.cast(target)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
        if column.type == "json":
            return values
        stripped = pc.utf8_trim_whitespace(values)
        values = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
        if column.type == "string":
            return values
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), target)
    try:
        return values.cast(target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def _slow_column(column: Column, values: list[Any], now: datetime,
                 bad: dict[int, tuple[str, Any, str]]) -> pa.Array:
    out: list[Any] = []
    for i, value in enumerate(values):
        try:
            out.append(check_value(column, value, now=now))
        except FieldError as err:
            bad.setdefault(i, (column.name, err.value, err.reason))
            out.append(None)
    return pa.array(out, ARROW_TYPES[column.type])


def _mark(mask: pa.Array, column: Column, raw: pa.Array, reason: str,
          bad: dict[int, tuple[str, Any, str]]) -> None:
    filled = pc.fill_null(mask, False)
    if not pc.any(filled).as_py():
        return
    for index in pc.indices_nonzero(filled).to_pylist():
        try:
            value = raw[index].as_py()
        except (OverflowError, ValueError):
            value = "<out of range>"
        bad.setdefault(index, (column.name, value, reason))


def _not_in(col: pa.Array, allowed: pa.Array) -> pa.Array:
    """True where a present value is outside `allowed` (missing values are not judged here)."""
    return pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, value_set=allowed)))


def _checks(column: Column, col: pa.Array, raw: pa.Array, now: datetime,
            bad: dict[int, tuple[str, Any, str]]) -> pa.Array:
    if column.required:
        _mark(pc.is_null(col), column, raw, "is required but missing", bad)
    if column.currency:
        col = pc.utf8_upper(col)
        _mark(_not_in(col, _CURRENCIES), column, raw,
              "is not an ISO 4217 currency code (e.g. USD, EUR, JPY)", bad)
    if column.choices is not None:
        _mark(_not_in(col, pa.array(column.choices)), column, raw,
              f"must be one of {', '.join(column.choices)}", bad)
    if column.type in ("string", "json"):
        _mark(pc.greater(pc.utf8_length(col), column.max_length), column, raw,
              f"is longer than the limit of {column.max_length} characters", bad)
    if column.minimum is not None:
        what = "negative" if column.minimum == 0 else f"below {column.minimum}"
        _mark(pc.less(col, column.minimum), column, raw, f"is {what}", bad)
    if column.maximum is not None:
        _mark(pc.greater(col, column.maximum), column, raw, f"is above {column.maximum}", bad)
    if column.type == "timestamp":
        _mark(pc.less(col, pa.scalar(EARLIEST_PLAUSIBLE, col.type)), column, raw,
              "is before 1990: probably a unit mistake", bad)
        if column.not_future:
            limit = pa.scalar(now + FUTURE_TOLERANCE, col.type)
            _mark(pc.greater(col, limit), column, raw,
                  f"is in the future (now is {now.isoformat()})", bad)
    return col


def _infer(column: Column, values: list[Any]) -> pa.Array:
    """Python values as Arrow. Datetimes get their type up front: inferring the zone of
    aware datetimes costs ten microseconds each (13x the typed path), the largest single
    cost of loading events. Only when every value is a datetime: given the type, Arrow
    would also accept integers, as microseconds rather than Unix seconds."""
    # The set of types is gathered in C; a generator testing each value cost 0.3 us a row.
    if column.type == "timestamp" and set(map(type, values)) <= _DATETIME_TYPES:
        return pa.array(values, type=ARROW_TYPES["timestamp"])
    return pa.array(values)


def _column_array(column: Column, values: pa.Array | list[Any], now: datetime,
                  bad: dict[int, tuple[str, Any, str]]) -> tuple[pa.Array, pa.Array]:
    """(canonical array, raw array for messages) from Arrow data or Python values."""
    if isinstance(values, list):
        try:
            raw = _infer(column, values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError,
                OverflowError, TypeError, ValueError):
            slow = _slow_column(column, values, now, bad)
            return slow, pa.array([None if v is None else repr(v) for v in values], pa.string())
    else:
        raw = values
    cast = _cast(column, raw)
    if cast is None:
        python = values if isinstance(values, list) else raw.to_pylist()
        return _slow_column(column, python, now, bad), raw
    return cast, raw


def validate_batch(spec: TableSpec, batch: pa.Table | dict[str, list[Any] | pa.Array],
                   now: datetime) -> tuple[pa.Table, list[int], list[BatchReject]]:
    """Good rows as a table in canonical schema, their batch indices, and the rejects.

    `batch` is an Arrow table or a dict of columns (one per column name, same length),
    each a list of Python values or an Arrow array.
    """
    names = batch.column_names if isinstance(batch, pa.Table) else list(batch)
    unknown = set(names) - set(spec.column_index)
    if unknown:
        raise KeyError(f"{spec.name} has no column(s) {sorted(unknown)}")
    rows = batch.num_rows if isinstance(batch, pa.Table) else len(next(iter(batch.values())))
    bad: dict[int, tuple[str, Any, str]] = {}
    arrays: list[pa.Array] = []
    for column in spec.columns:
        if column.name not in names:
            values: pa.Array | list[Any] = pa.nulls(rows, ARROW_TYPES[column.type])
        elif isinstance(batch, pa.Table):
            values = batch.column(column.name).combine_chunks()
        else:
            values = batch[column.name]
        col, raw = _column_array(column, values, now, bad)
        arrays.append(_checks(column, col, raw, now, bad))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(
        [pa.field(c.name, ARROW_TYPES[c.type]) for c in spec.columns]))
    if not bad:
        return table, list(range(rows)), []
    keep = [i for i in range(rows) if i not in bad]
    rejects = [(i, f, v, r) for i, (f, v, r) in sorted(bad.items())]
    return table.take(pa.array(keep, pa.int64())), keep, rejects


def has_canonical_types(spec: TableSpec, schema: pa.Schema) -> bool:
    """True when every column of `schema` is a column of `spec` with its exact Arrow type,
    so any engine reading the file sees the values validation saw (no casts to agree on)."""
    return all(f.name in spec.column_index
               and f.type == ARROW_TYPES[spec.column_index[f.name].type] for f in schema)


def is_clean(spec: TableSpec, batch: pa.Table, now: datetime) -> bool:
    """True when validation keeps every row of `batch` exactly as it is (nothing rejected,
    nothing trimmed, upper-cased or cast): the batch may then be stored without a copy."""
    good, _, rejects = validate_batch(spec, batch, now)
    if rejects:
        return False
    return all(good.column(name).equals(batch.column(name)) for name in batch.column_names)
