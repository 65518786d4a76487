"""As-of windows agree on every backend, at the edges of a day."""

from __future__ import annotations

from datetime import date

from successlink.metrics.window import days_until_cutoff, happened_by, within_days
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed

AS_OF = date(2024, 1, 31)


def _events(wh: Warehouse) -> None:
    seed(wh, "usage_events", [
        {"event_id": e, "event_type": "track", "event": "x", "occurred_at": at}
        for e, at in [("jan1", "2024-01-01"), ("jan2", "2024-01-02"),
                      ("last", "2024-01-31 23:59"), ("feb1", "2024-02-01")]
    ])


def test_as_of_includes_the_whole_day_and_nothing_after(wh: Warehouse) -> None:
    _events(wh)
    t = wh.table("usage_events")
    seen = t.filter(happened_by(t.occurred_at, AS_OF)).event_id.execute()
    assert sorted(seen) == ["jan1", "jan2", "last"]


def test_windows_split_the_last_30_days_from_the_30_before(wh: Warehouse) -> None:
    _events(wh)
    t = wh.table("usage_events")
    recent = t.filter(within_days(t.occurred_at, AS_OF, 30)).event_id.execute()
    before = t.filter(within_days(t.occurred_at, AS_OF, 30, offset_days=30)).event_id.execute()
    assert sorted(recent) == ["jan2", "last"]
    assert sorted(before) == ["jan1"]


def test_days_until_cutoff_counts_from_the_next_midnight(wh: Warehouse) -> None:
    _events(wh)
    t = wh.table("usage_events")
    days = dict(t.select("event_id", d=days_until_cutoff(t.occurred_at, AS_OF)).execute()
                .itertuples(index=False))
    assert days["jan1"] == 31.0
    assert abs(days["last"] - 1 / 24 / 60) < 1e-9
