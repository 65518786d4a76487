"""Expansion history as of a day, from the change log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from successlink.metrics.currency import Fx
from successlink.metrics.expansion import expansion
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed

AS_OF = date(2024, 6, 30)  # cutoff 2024-07-01; the 365-day window starts 2023-07-02
FX = Fx.of("USD", {"EUR": 1.1})


def _c(cid: str, account: str, kind: str, at: str, delta: int, seats: tuple[int, int] | None
       = None, currency: str = "USD") -> dict[str, Any]:
    row = {"change_id": cid, "subscription_id": f"s-{account}", "account_id": account,
           "change_type": kind, "changed_at": at, "mrr_delta_minor": delta,
           "currency": currency}
    if seats:
        row.update(from_quantity=seats[0], to_quantity=seats[1])
    return row


CHANGES = [
    _c("x1", "x", "new", "2023-01-01", 5000),
    _c("x2", "x", "upgrade", "2023-03-01", 2000),  # older than 365 days
    _c("x3", "x", "seat_change", "2024-01-10", 1000, (3, 5)),
    _c("x4", "x", "cross_sell", "2024-02-01", 1500),
    _c("x5", "x", "downgrade", "2024-03-01", -800),
    _c("x6", "x", "seat_change", "2024-04-01", -500, (5, 4)),
    _c("x7", "x", "reactivation", "2024-05-01", 3000),
    _c("x8", "x", "cancel", "2024-05-20", -3000),
    _c("x9", "x", "seat_change", "2024-06-30 23:00", 200),  # no seat counts: by the sign
    _c("y1", "y", "upgrade", "2024-05-01", 1000, currency="EUR"),
    _c("z1", "z", "new", "2024-05-01", 1000),
]
LATER = [_c("x10", "x", "upgrade", "2024-07-05", 9999),
         _c("z2", "z", "downgrade", "2024-07-01", -100)]


def _run(wh: Warehouse) -> pd.DataFrame:
    t = expansion(wh.table("subscription_changes"), as_of=AS_OF, fx=FX)
    return t.execute().set_index("account_id").sort_index()


@pytest.fixture
def rows(wh: Warehouse) -> pd.DataFrame:
    seed(wh, "subscription_changes", CHANGES)
    return _run(wh)


def test_counts_and_mrr_of_expansion_and_contraction(rows: pd.DataFrame) -> None:
    x = rows.loc["x"]
    # Upsells: the 2023 upgrade and two seat increases; 'new' and 'reactivation' are not.
    assert (x.upsell_count, x.cross_sell_count) == (3, 1)
    assert x.expansion_mrr_minor == 2000 + 1000 + 1500 + 200
    # The downgrade and one seat decrease; 'cancel' is churn, not contraction.
    assert (x.downgrade_count, x.contraction_mrr_minor) == (2, 800 + 500)
    assert x.expansion_count_365d == 3  # x3, x4, x9
    assert x.last_expansion_at == pd.Timestamp("2024-06-30 23:00", tz="UTC")


def test_other_currencies_and_accounts_without_expansion(rows: pd.DataFrame) -> None:
    assert rows.loc["y"].expansion_mrr_minor == 1100
    z = rows.loc["z"]
    assert (z.upsell_count, z.expansion_mrr_minor, z.downgrade_count) == (0, 0, 0)
    assert pd.isna(z.last_expansion_at)


def test_rows_dated_after_as_of_change_nothing(wh: Warehouse, rows: pd.DataFrame) -> None:
    seed(wh, "subscription_changes", LATER)
    assert _run(wh).equals(rows)
