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


def _cast(column: Column, values: pa.Array) -> pa.Array | None:
    """The column cast to its canonical type, or None when some value does not cast."""
    target = ARROW_TYPES[column.type]
    if values.type == target:
        return values
    if pa.types.is_timestamp(values.type) and pa.types.is_timestamp(target):
        if values.type.tz is None:
            values = pc.assume_timezone(values, "UTC")
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


def _slow_column(column: Column, values: pa.Array, now: datetime,
                 bad: dict[int, tuple[str, Any, str]]) -> pa.Array:
    out: list[Any] = []
    for i, value in enumerate(values.to_pylist()):
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
        bad.setdefault(index, (column.name, raw[index].as_py(), reason))


def _checks(column: Column, col: pa.Array, raw: pa.Array, now: datetime,
            bad: dict[int, tuple[str, Any, str]]) -> pa.Array:
    if column.required:
        _mark(pc.is_null(col), column, raw, "is required but missing", bad)
    if column.currency:
        col = pc.utf8_upper(col)
        _mark(pc.invert(pc.is_in(col, value_set=_CURRENCIES)), column, raw,
              "is not an ISO 4217 currency code (e.g. USD, EUR, JPY)", bad)
    if column.choices is not None:
        _mark(pc.invert(pc.is_in(col, value_set=pa.array(column.choices))), column, raw,
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


def validate_batch(spec: TableSpec, batch: pa.Table,
                   now: datetime) -> tuple[pa.Table, list[int], list[BatchReject]]:
    """Good rows as a table in canonical schema, their batch indices, and the rejects."""
    unknown = set(batch.column_names) - set(spec.column_index)
    if unknown:
        raise KeyError(f"{spec.name} has no column(s) {sorted(unknown)}")
    bad: dict[int, tuple[str, Any, str]] = {}
    arrays: list[pa.Array] = []
    for column in spec.columns:
        if column.name in batch.column_names:
            raw = batch.column(column.name).combine_chunks()
        else:
            raw = pa.nulls(batch.num_rows, ARROW_TYPES[column.type])
        cast = _cast(column, raw)
        col = _slow_column(column, raw, now, bad) if cast is None else cast
        arrays.append(_checks(column, col, raw, now, bad))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(
        [pa.field(c.name, ARROW_TYPES[c.type]) for c in spec.columns]))
    if not bad:
        return table, list(range(batch.num_rows)), []
    keep = [i for i in range(batch.num_rows) if i not in bad]
    rejects = [(i, f, v, r) for i, (f, v, r) in sorted(bad.items())]
    return table.take(pa.array(keep, pa.int64())), keep, rejects
