"""Support as of a day: tickets rebuilt to their state at the cutoff from their latest state."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from successlink.metrics.support import support
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed

# Cutoff 2024-07-01 00:00; the 90-day window starts 2024-04-02 00:00.
AS_OF = date(2024, 6, 30)


def ticket(tid: str, created: str, *, account: str | None = "a", solved: str | None = None,
           status: str = "solved", priority: str = "normal", csat: int | None = None,
           updated: str | None = None, email: str | None = None) -> dict[str, Any]:
    """One support_tickets row in its latest state (updated_at defaults to the last event)."""
    return {"ticket_id": tid, "account_id": account, "created_at": created,
            "solved_at": solved, "status": status, "priority": priority, "csat_score": csat,
            "updated_at": updated or solved or created, "requester_email": email}


TICKETS = [
    ticket("t1", "2024-06-01 08:00", solved="2024-06-02 08:00", csat=1),          # 24 h, good
    # Solved and rated bad after the cutoff: open, urgent and unrated on June 30.
    ticket("t2", "2024-06-10", solved="2024-07-05", priority="urgent", csat=0),
    # Created just before the window, solved inside it (36 h), rated bad.
    ticket("t3", "2024-04-01 23:59", solved="2024-04-03 11:59", status="closed",
           priority="high", csat=0),
    ticket("t4", "2024-05-01", status="open", priority="high"),                  # open, high
    # Closed without a solve (merged/spam) on May 6: not open, no resolution time.
    ticket("t5", "2024-05-05", status="closed", updated="2024-05-06"),
    # Closed without a solve only on July 10: still open (and urgent) on June 30.
    ticket("t6", "2024-06-20", status="closed", priority="urgent", updated="2024-07-10"),
    ticket("t7", "2024-01-10", solved="2024-01-11", csat=1),                       # old
    ticket("t9", "2024-06-30 23:59", status="new", priority="low"),               # last minute
    ticket("c1", "2023-03-01", account="c", solved="2023-03-02"),                  # only old
    ticket("n1", "2024-06-01", account=None, status="open", priority="urgent"),  # unmatched
]
LATER = [
    ticket("t8", "2024-07-02", status="open", priority="urgent"),
    ticket("b1", "2024-07-02", account="b"),
]


def _support(wh: Warehouse, rows: list[dict[str, Any]], **kw: Any) -> dict[str, dict[str, Any]]:
    seed(wh, "support_tickets", rows)
    df = support(wh.table("support_tickets"), as_of=AS_OF, **kw).execute()
    return {r["account_id"]: r for r in df.to_dict("records")}


def assert_same(left: dict[str, dict[str, Any]], right: dict[str, dict[str, Any]]) -> None:
    """Equal results, where a null equals a null (NaN != NaN in a plain comparison)."""
    pd.testing.assert_frame_equal(pd.DataFrame(left).sort_index(axis=1),
                                  pd.DataFrame(right).sort_index(axis=1))


def test_support_counts_rebuild_the_state_at_the_cutoff(wh: Warehouse) -> None:
    a = _support(wh, TICKETS)["a"]
    assert a["tickets_total"] == 8                # all but t8 (later) and the other accounts
    assert a["tickets_90d"] == 6                  # t1 t2 t4 t5 t6 t9 (t3 is a minute early)
    assert a["open_tickets"] == 4                 # t2 t4 t6 t9
    assert a["open_urgent_tickets"] == 2          # t2 t6
    assert a["open_high_priority_tickets"] == 1   # t4
    assert a["escalations_90d"] == 2              # t2 t6: urgent and created in the window
    assert a["mean_resolution_hours_90d"] == pytest.approx(30.0)   # t1 24 h, t3 36 h
    assert (a["csat_good_90d"], a["csat_bad_90d"]) == (1, 1)       # t1, t3; t2 rated later
    assert a["ticket_csat_pct_90d"] == pytest.approx(50.0)


def test_an_account_with_only_old_tickets_has_no_recent_measures(wh: Warehouse) -> None:
    c = _support(wh, TICKETS)["c"]
    assert (c["tickets_total"], c["tickets_90d"], c["open_tickets"]) == (1, 0, 0)
    assert (c["csat_good_90d"], c["csat_bad_90d"], c["escalations_90d"]) == (0, 0, 0)
    assert pd.isna(c["mean_resolution_hours_90d"]) and pd.isna(c["ticket_csat_pct_90d"])


def test_later_tickets_change_nothing(wh: Warehouse) -> None:
    before = _support(wh, TICKETS)
    after = _support(wh, LATER)
    assert set(after) == {"a", "c"}
    assert_same(after, before)


def test_a_tickets_later_state_gives_the_same_result_as_its_state_then(
        wh: Warehouse) -> None:
    # t2 and t6 as the helpdesk showed them on June 30, and as they are now.
    then = [ticket("t2", "2024-06-10", status="open", priority="urgent", updated="2024-06-11"),
            ticket("t6", "2024-06-20", status="pending", priority="urgent")]
    now = [TICKETS[1], TICKETS[5]]
    at_the_time = _support(wh, then)
    wh.execute("DELETE FROM support_tickets")
    assert_same(_support(wh, now), at_the_time)


def test_window_days_sets_the_recent_window(wh: Warehouse) -> None:
    # 30 days: 2024-06-01 .. 2024-06-30: t1 t2 t6 t9 created, t1 solved.
    a = _support(wh, TICKETS, window_days=30)["a"]
    assert (a["tickets_90d"], a["escalations_90d"]) == (4, 2)
    assert (a["csat_good_90d"], a["csat_bad_90d"]) == (1, 0)
    assert a["ticket_csat_pct_90d"] == pytest.approx(100.0)
    assert a["mean_resolution_hours_90d"] == pytest.approx(24.0)
    assert a["open_tickets"] == 4                 # not windowed


def test_output_columns_have_their_declared_types(wh: Warehouse) -> None:
    seed(wh, "support_tickets", TICKETS)
    schema = {k: str(v) for k, v in
              support(wh.table("support_tickets"), as_of=AS_OF).schema().items()}
    assert schema == {
        "account_id": "string", "tickets_90d": "int64", "tickets_total": "int64",
        "open_tickets": "int64", "open_urgent_tickets": "int64",
        "open_high_priority_tickets": "int64", "mean_resolution_hours_90d": "float64",
        "csat_good_90d": "int64", "csat_bad_90d": "int64", "ticket_csat_pct_90d": "float64",
        "escalations_90d": "int64"}
