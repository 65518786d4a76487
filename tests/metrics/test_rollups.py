"""Daily usage rollups: one row per account, UTC day and event (or user), matched events only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from successlink.metrics.rollups import usage_daily, user_daily
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed


def event(eid: str, at: str, name: str = "Invite Sent", *, account: str | None = "a",
          user: str | None = "u1", anon: str | None = None, kind: str = "track") -> dict[str, Any]:
    """One usage_events row; tests elsewhere reuse this to keep fixtures one line each."""
    return {"event_id": eid, "account_id": account, "user_id": user, "anonymous_id": anon,
            "event_type": kind, "event": name, "occurred_at": at}


def materialise(wh: Warehouse) -> tuple[Any, Any]:
    """Store both rollups as tables, as a score run does, and return them."""
    events = wh.table("usage_events")
    wh.con.create_table("rollup_day_event", usage_daily(events), overwrite=True)
    wh.con.create_table("rollup_day_user", user_daily(events), overwrite=True)
    return wh.table("rollup_day_event"), wh.table("rollup_day_user")


def _rows(table: Any) -> list[tuple[Any, ...]]:
    df = table.execute()
    df["day"] = [pd.Timestamp(d).date() for d in df["day"]]
    return sorted(tuple(r) for r in df.itertuples(index=False))


EVENTS = [
    event("e1", "2024-03-31 23:59"),
    event("e2", "2024-03-31 00:00"),                  # same UTC day, same event: one row of 2
    event("e3", "2024-03-31 12:00", "Home", kind="page"),
    event("e4", "2024-03-30 12:00", user=None, anon="z1"),
    event("e5", "2024-03-30 13:00", user=None, anon=None),  # nobody: events yes, users no
    event("e6", "2024-03-30 14:00", account=None),    # unmatched: in neither rollup
    event("e7", "2024-03-30 15:00", account="b", user="u9"),
]


def test_usage_daily_counts_events_per_account_day_and_event(wh: Warehouse) -> None:
    seed(wh, "usage_events", EVENTS)
    daily, _ = materialise(wh)
    assert _rows(daily) == [
        ("a", date(2024, 3, 30), "track", "Invite Sent", 2),   # e4, e5
        ("a", date(2024, 3, 31), "page", "Home", 1),           # e3
        ("a", date(2024, 3, 31), "track", "Invite Sent", 2),   # e1, e2
        ("b", date(2024, 3, 30), "track", "Invite Sent", 1),   # e7
    ]


def test_user_daily_falls_back_to_the_anonymous_id(wh: Warehouse) -> None:
    seed(wh, "usage_events", EVENTS)
    _, users = materialise(wh)
    assert _rows(users) == [
        ("a", date(2024, 3, 30), "z1", 1),   # e4 by its anonymous id; e5 has no id at all
        ("a", date(2024, 3, 31), "u1", 3),   # e1, e2, e3
        ("b", date(2024, 3, 30), "u9", 1),
    ]


def test_rollup_columns_have_their_declared_types(wh: Warehouse) -> None:
    seed(wh, "usage_events", EVENTS)
    daily, users = materialise(wh)
    assert {k: str(v) for k, v in daily.schema().items()} == {
        "account_id": "string", "day": "date", "event_type": "string", "event": "string",
        "events": "int64"}
    assert {k: str(v) for k, v in users.schema().items()} == {
        "account_id": "string", "day": "date", "user_id": "string", "events": "int64"}
