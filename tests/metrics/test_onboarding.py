"""The first days of each account: window edges, completeness, zeros for silence, features."""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pyarrow as pa
import pytest

from successlink.metrics.onboarding import onboarding, onboarding_features
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed, ts
from tests.metrics.test_rollups import event, materialise

AS_OF = date(2024, 3, 31)
DAYS = 7

# a starts 2024-03-01 10:00: its window is 03-01 .. 03-07 (day 1 is the start day).
# b starts 2024-03-25: its 7th day (03-31) is AS_OF itself, so it is complete.
# c starts 2024-03-26: its window ends 04-01, after AS_OF, so it is not judged yet.
# d starts 2024-02-01 and never used the product: zeros.
STARTS = [("a", "2024-03-01 10:00"), ("b", "2024-03-25 00:00"), ("c", "2024-03-26 00:00"),
          ("d", "2024-02-01 00:00"), ("e", None)]

EVENTS = [
    event("a0", "2024-02-28 09:00", "Report Run"),                 # before the start: out
    event("a1", "2024-03-01 08:00", "Invite Sent"),                # start day, before 10:00: in
    event("a2", "2024-03-03 12:00", "Invite Sent", user="u2"),
    event("a3", "2024-03-07 23:59", "API Key Created", user="u3"),  # last minute of day 7
    event("a4", "2024-03-07 12:00", "Home", user="u4", kind="page"),  # a page: not a feature
    event("a5", "2024-03-08 00:00", "Alert Configured", user="u5"),  # day 8: out
    event("b1", "2024-03-31 23:00", "Report Run", account="b", user=None, anon="z"),
    event("c1", "2024-03-27", "Report Run", account="c"),
]


def _starts(wh: Warehouse) -> Any:
    schema = ibis.schema({"account_id": "string", "first_started_at": "timestamp('UTC')"})
    wh.con.create_table("starts", schema=schema, overwrite=True)
    wh.append_arrow("starts", pa.table({
        "account_id": [a for a, _ in STARTS],
        "first_started_at": pa.array([ts(s) if s else None for _, s in STARTS],
                                     pa.timestamp("us", tz="UTC"))}))
    return wh.table("starts")


@pytest.fixture
def tables(wh: Warehouse) -> tuple[Any, Any, Any]:
    seed(wh, "usage_events", EVENTS)
    daily, users = materialise(wh)
    return daily, users, _starts(wh)


def test_onboarding_counts_the_first_days_only(tables: tuple[Any, Any, Any]) -> None:
    daily, users, starts = tables
    rows = {r["account_id"]: r for r in
            onboarding(daily, users, starts, as_of=AS_OF, days=DAYS).to_pyarrow().to_pylist()}
    assert sorted(rows) == ["a", "b", "d"]  # c is still onboarding; e never started
    a = rows["a"]
    assert a["start_day"] == date(2024, 3, 1)
    assert a["onboarding_events"] == 4          # a1 a2 a3 a4
    assert a["onboarding_active_days"] == 3     # 03-01, 03-03, 03-07
    assert a["onboarding_users"] == 4           # u1 u2 u3 u4
    assert a["onboarding_features"] == 2        # Invite Sent, API Key Created (not Home)
    assert (rows["b"]["onboarding_events"], rows["b"]["onboarding_users"]) == (1, 1)
    d = rows["d"]
    assert (d["onboarding_events"], d["onboarding_active_days"], d["onboarding_users"],
            d["onboarding_features"]) == (0, 0, 0, 0)


def test_onboarding_never_reads_after_the_as_of_day(tables: tuple[Any, Any, Any]) -> None:
    daily, users, starts = tables
    early = date(2024, 3, 5)  # a's window is not over yet: a is not judged
    rows = onboarding(daily, users, starts, as_of=early, days=DAYS).to_pyarrow().to_pylist()
    assert sorted(r["account_id"] for r in rows) == ["d"]
    # With a 3-day window a is complete by 03-05 and sees only 03-01 .. 03-03.
    rows = onboarding(daily, users, starts, as_of=early, days=3).to_pyarrow().to_pylist()
    a = next(r for r in rows if r["account_id"] == "a")
    assert (a["onboarding_events"], a["onboarding_users"]) == (2, 2)


def test_onboarding_features_lists_the_track_events_of_the_window(
        tables: tuple[Any, Any, Any]) -> None:
    daily, _, starts = tables
    pairs = onboarding_features(daily, starts, as_of=AS_OF, days=DAYS).to_pyarrow().to_pylist()
    got = sorted((p["account_id"], p["feature"]) for p in pairs)
    assert got == [("a", "API Key Created"), ("a", "Invite Sent"), ("b", "Report Run")]


def test_a_window_needs_a_day(tables: tuple[Any, Any, Any]) -> None:
    daily, users, starts = tables
    with pytest.raises(ValueError, match="at least one day"):
        onboarding(daily, users, starts, as_of=AS_OF, days=0)
