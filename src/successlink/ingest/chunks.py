"""One table's pending rows as adapters gave them, turned into columns once per chunk.

Adapters hand the sink one mapping per row. Pivoting a chunk of them to columns is the
loader's largest cost after parsing, so it is done in as few Python steps per value as
possible: Arrow converts the text columns of every row in one C++ pass, and the other
columns are read with `dict.get` mapped over the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import chain, repeat
from typing import Any

import orjson
import pyarrow as pa

from successlink.warehouse.tables import TableSpec

Columns = dict[str, list[Any] | pa.Array]
# Arrow would store these as text; validation refuses them, so their chunk is pivoted.
_NOT_TEXT = frozenset({bytes, bytearray, memoryview})


class RowChunk:
    """Rows for one table, with the line each came from.

    Keeping the mappings and pivoting them once per chunk costs well under a microsecond
    a row; appending to a list per column on every row cost ten.
    """

    def __init__(self, spec: TableSpec):
        self.spec = spec
        self.rows: list[Mapping[str, Any]] = []
        self.lines: list[int] = []

    def columns(self) -> Columns:
        """Every column of the spec: text columns as Arrow strings when the rows allow,
        the others as Python lists (JSON columns already serialised)."""
        rows, spec = self.rows, self.spec
        unknown = set().union(*rows).difference(spec.column_index)
        if unknown:
            raise KeyError(f"{spec.name} has no column(s) {sorted(unknown)}")
        plain = set(map(type, rows)) == {dict}
        get: Callable[[Any, str], Any] = dict.get if plain else _get
        text = _text_columns(spec, rows) if plain else None
        out: Columns = {}
        for column in spec.columns:
            if text is not None and column.type == "string":
                out[column.name] = text.field(column.name)
                continue
            values = list(map(get, rows, repeat(column.name)))
            out[column.name] = json_text(values) if column.type == "json" else values
        return out


def _get(row: Mapping[str, Any], name: str) -> Any:
    return row.get(name)


def _text_columns(spec: TableSpec, rows: list[Mapping[str, Any]]) -> pa.StructArray | None:
    """The spec's string columns as one struct array, or None when a value is not text.

    Arrow refuses numbers and booleans for a string field, so those chunks take the
    per-column path and validation coerces or rejects each value as always; bytes it
    would accept, so a chunk holding any is sent the same way.
    """
    names = [c.name for c in spec.columns if c.type == "string"]
    if not names or not _NOT_TEXT.isdisjoint(map(type, chain.from_iterable(
            map(dict.values, rows)))):  # type: ignore[arg-type]
        return None
    try:
        return pa.array(rows, type=pa.struct([(n, pa.string()) for n in names]))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError,
            ValueError, OverflowError):
        return None


def json_text(values: list[Any]) -> list[Any]:
    """JSON columns hold text: serialise structured values once, at flush time."""
    dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
    try:  # one comprehension: no method call per value in the common case
        return [v if v is None or isinstance(v, str) else dumps(v, option=sort).decode()
                for v in values]
    except TypeError:
        pass
    out: list[Any] = []
    for value in values:
        if value is None or isinstance(value, str):
            out.append(value)
            continue
        try:
            out.append(dumps(value, option=sort).decode())
        except TypeError:
            out.append(value)  # left for the per-value check to reject with a reason
    return out
