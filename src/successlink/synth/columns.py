"""Arrow columns from numpy arrays in the canonical types (timestamps, dates, optionals)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

I64 = npt.NDArray[np.int64]


def instants(seconds: I64) -> pa.Array:
    """Unix seconds as UTC timestamps (microseconds); negative values are missing."""
    return pa.array(seconds * 1_000_000, pa.int64(), mask=seconds < 0).cast(
        pa.timestamp("us", tz="UTC"))


def dates(seconds: I64) -> pa.Array:
    """The UTC day of each instant."""
    return pa.array(np.floor_divide(seconds, 86400).astype(np.int32), pa.int32()).cast(
        pa.date32())


def optional(values: npt.NDArray[np.generic], missing: npt.NDArray[np.bool_]) -> pa.Array:
    """Values with nulls where `missing`."""
    return pa.array(values, mask=missing)


def constant(value: str, rows: int) -> pa.Array:
    """The same text in every row."""
    return pa.array([value], pa.string()).take(pa.array(np.zeros(rows, np.int64)))
