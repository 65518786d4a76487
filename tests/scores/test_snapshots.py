"""A score run replaces exactly its own day's snapshot, keeps other days, and is atomic."""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa
import pytest

from successlink.errors import WarehouseError
from successlink.scores.snapshots import (
    count_snapshot,
    read_snapshot,
    replace_snapshot,
    replace_snapshot_arrow,
    snapshot_days,
)
from successlink.warehouse.connect import Warehouse

D1, D2 = date(2024, 1, 31), date(2024, 2, 29)


def _rows(day: date, values: list[int]) -> pa.Table:
    return pa.table({"as_of": pa.array([day] * len(values), pa.date32()),
                     "account_id": pa.array([f"a{v}" for v in values]),
                     "value": pa.array(values, pa.int64())})


def test_rescoring_a_day_replaces_only_that_day(wh: Warehouse) -> None:
    replace_snapshot_arrow(wh, "snap", _rows(D1, [1, 2, 3]), D1)
    replace_snapshot_arrow(wh, "snap", _rows(D2, [4]), D2)
    assert replace_snapshot_arrow(wh, "snap", _rows(D1, [5, 6]), D1) == 2
    assert count_snapshot(wh, "snap", D2) == 1
    assert snapshot_days(wh, "snap") == [D1, D2]
    assert sorted(read_snapshot(wh, "snap", D1).value.to_pyarrow().to_pylist()) == [5, 6]


def test_an_expression_snapshot_is_inserted_by_the_warehouse(wh: Warehouse) -> None:
    wh.con.create_table("src", obj=_rows(D1, [1, 2, 3]).drop(["as_of"]))
    src = wh.table("src")
    expr = src.filter(src.value >= 2).select(as_of=ibis.literal(D1), account_id=src.account_id,
                                              value=src.value * 10)
    assert replace_snapshot(wh, "snap", expr, D1) == 2
    assert replace_snapshot(wh, "snap", expr, D1) == 2  # idempotent
    assert sorted(read_snapshot(wh, "snap", D1).value.to_pyarrow().to_pylist()) == [20, 30]


def test_a_failed_insert_keeps_the_previous_snapshot(wh: Warehouse,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    replace_snapshot_arrow(wh, "snap", _rows(D1, [1, 2]), D1)

    def broken_append(name: str, batch: pa.Table) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(wh, "append_arrow", broken_append)
    with pytest.raises(RuntimeError, match="disk full"):
        replace_snapshot_arrow(wh, "snap", _rows(D1, [7]), D1)
    assert count_snapshot(wh, "snap", D1) == 2


def test_a_table_with_other_columns_is_not_overwritten(wh: Warehouse) -> None:
    replace_snapshot_arrow(wh, "snap", _rows(D1, [1]), D1)
    other = _rows(D1, [1]).append_column("extra", pa.array([1.0]))
    with pytest.raises(WarehouseError, match="another version"):
        replace_snapshot_arrow(wh, "snap", other, D1)
