"""Retention cost per account: direct costs plus pooled costs spread by drivers, per month."""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pandas as pd
import pytest

from successlink.errors import ConfigError
from successlink.metrics.costs import costs, unallocated_costs
from successlink.metrics.currency import Fx
from successlink.warehouse.connect import Warehouse, ibis_schema
from successlink.warehouse.tables import TABLES
from tests.metrics.seed import seed_many

AS_OF = date(2024, 3, 31)  # the 90-day window holds 2024-01-02 .. 2024-03-31
FX = Fx.of("USD", {"EUR": 1.1})
DRIVERS = {"support": "tickets", "onboarding": "new_accounts", "csm_salary": "seats",
           "*": "even"}


def _sub(account: str, started: str, seats: int, ended: str | None = None) -> dict[str, Any]:
    return {"subscription_id": f"s-{account}", "account_id": account, "currency": "USD",
            "quantity": seats, "interval": "month", "interval_count": 1,
            "mrr_minor": 1000 * seats, "status": "active", "started_at": started,
            "ended_at": ended, "updated_at": started}


def _cost(cid: str, on: str, amount: int, kind: str, account: str | None = None,
          currency: str = "USD") -> dict[str, Any]:
    return {"cost_id": cid, "incurred_on": on, "amount_minor": amount, "currency": currency,
            "cost_type": kind, "account_id": account}


def _ticket(tid: str, account: str, at: str) -> dict[str, Any]:
    return {"ticket_id": tid, "account_id": account, "status": "open", "created_at": at,
            "updated_at": at}


# Running: December A; January A, B; February A, B, C; March A, C.
WORLD: dict[str, list[dict[str, Any]]] = {
    "subscriptions": [_sub("A", "2023-12-15", 3), _sub("B", "2024-01-20", 1, "2024-02-10"),
                      _sub("C", "2024-02-05", 6)],
    "support_tickets": [_ticket("t1", "A", "2024-01-03"), _ticket("t2", "B", "2024-01-04"),
                        _ticket("t3", "B", "2024-01-05"), _ticket("t4", "B", "2024-01-06"),
                        _ticket("t5", "C", "2024-02-07"), _ticket("t6", "C", "2024-02-08"),
                        _ticket("t7", "A", "2024-03-31 23:00")],
    "cs_costs": [
        _cost("k1", "2024-01-01", 1000, "tooling"),      # even: A 500, B 500 (before 90 days)
        _cost("k2", "2024-02-01", 900, "tooling"),       # even: A, B, C 300 each
        _cost("k3", "2024-01-31", 400, "support"),       # tickets 1:3 -> A 100, B 300
        _cost("k4", "2024-02-20", 500, "support"),       # only C had tickets -> C 500
        _cost("k5", "2024-03-10", 600, "support"),       # only A had tickets -> A 600
        _cost("k6", "2024-02-28", 800, "onboarding"),    # C is February's new account
        _cost("k7", "2024-03-15", 300, "onboarding"),    # nobody new: even, A 150, C 150
        _cost("k8", "2024-03-01", 900, "csm_salary"),    # seats 3:6 -> A 300, C 600
        _cost("k9", "2024-03-20", 100, "tooling", currency="EUR"),  # 110 USD: A 55, C 55
        _cost("k10", "2023-11-10", 700, "tooling"),      # nobody running: unallocated
        _cost("d1", "2024-01-01", 200, "onboarding", "A"),  # direct, before 90 days
        _cost("d2", "2024-03-01", 100, "onboarding", "A"),
    ],
}
LATER: dict[str, list[dict[str, Any]]] = {
    "subscriptions": [_sub("D", "2024-04-05", 2)],
    "support_tickets": [_ticket("t8", "C", "2024-04-01"), _ticket("t9", "A", "2024-04-02")],
    "cs_costs": [_cost("k11", "2024-04-10", 1000, "tooling"),
                 _cost("d3", "2024-04-01", 500, "support", "B")],
}


def _tables(wh: Warehouse) -> list[Any]:
    names = ("cs_costs", "support_tickets", "subscriptions", "subscription_changes")
    return [wh.table(n) for n in names]


def _run(wh: Warehouse, drivers: dict[str, str] = DRIVERS) -> pd.DataFrame:
    t = costs(*_tables(wh), as_of=AS_OF, fx=FX, drivers=drivers)
    return t.execute().set_index("account_id").sort_index()


@pytest.fixture
def rows(wh: Warehouse) -> pd.DataFrame:
    seed_many(wh, WORLD)
    return _run(wh)


def test_pooled_costs_follow_each_cost_types_driver(rows: pd.DataFrame) -> None:
    assert rows.crc_pooled_minor.to_dict() == {
        "A": 500 + 300 + 100 + 600 + 150 + 300 + 55,
        "B": 500 + 300 + 300,
        "C": 300 + 500 + 800 + 150 + 600 + 55}
    assert rows.crc_direct_minor.to_dict() == {"A": 300, "B": 0, "C": 0}
    assert (rows.crc_minor == rows.crc_direct_minor + rows.crc_pooled_minor).all()


def test_last_90_days_leave_out_older_costs(rows: pd.DataFrame) -> None:
    # k1 (500 each to A and B) and d1 (200 to A) were booked on 2024-01-01.
    assert rows.crc_90d_minor.to_dict() == {"A": 2005 - 500 + 100, "B": 1100 - 500, "C": 2405}


def test_allocations_add_up_to_the_pooled_costs(wh: Warehouse, rows: pd.DataFrame) -> None:
    lost = unallocated_costs(*_tables(wh), as_of=AS_OF, fx=FX, drivers=DRIVERS).execute()
    assert lost.to_dict("records") == [
        {"month_index": 2023 * 12 + 10, "cost_type": "tooling", "unallocated_minor": 700}]
    pooled = 1000 + 900 + 400 + 500 + 600 + 800 + 300 + 900 + 110 + 700
    assert rows.crc_pooled_minor.sum() + lost.unallocated_minor.sum() == pooled


def test_shares_round_once_per_account(wh: Warehouse) -> None:
    seed_many(wh, {"subscriptions": [_sub(a, "2024-01-01", 1) for a in "XYZ"],
                   "cs_costs": [_cost("k1", "2024-02-01", 100, "tooling"),
                                _cost("k2", "2024-03-01", 100, "tooling")]})
    rows = _run(wh, {"*": "even"})
    # 100 / 3 twice: 66.67 each, rounded once to 67 (not 33 + 33); 201 vs 200 pooled.
    assert rows.crc_pooled_minor.to_dict() == {"X": 67, "Y": 67, "Z": 67}


def test_mrr_driver_reads_the_change_log_month_by_month(wh: Warehouse) -> None:
    log = [("new", "2024-01-01", 1000), ("upgrade", "2024-03-20", 500),
           ("upgrade", "2024-04-10", 2000)]  # the last is after as_of
    seed_many(wh, {
        # Stored MRR is the latest state: A 3000 (after April), C 6000 (no change log).
        "subscriptions": [_sub("A", "2024-01-01", 3), _sub("C", "2024-01-01", 6)],
        "subscription_changes": [
            {"change_id": f"c{i}", "subscription_id": "s-A", "account_id": "A",
             "change_type": kind, "changed_at": at, "mrr_delta_minor": delta,
             "currency": "USD"} for i, (kind, at, delta) in enumerate(log)],
        "cs_costs": [_cost("k1", "2024-02-10", 700, "desk"),
                     _cost("k2", "2024-03-05", 1300, "desk")]})
    rows = _run(wh, {"desk": "mrr"})
    # February: A 1000 vs C 6000 -> 100 / 600. March (upgrade counts for the whole month):
    # A 1500 vs C 6000 -> 260 / 1040.
    assert rows.crc_pooled_minor.to_dict() == {"A": 100 + 260, "C": 600 + 1040}


def test_without_a_default_driver_costs_split_evenly(wh: Warehouse) -> None:
    seed_many(wh, WORLD)
    rows = _run(wh, {})
    # Everything even: A takes half of January, a third of February, half of March.
    assert rows.crc_pooled_minor.to_dict()["B"] == (1000 + 400) // 2 + (900 + 500 + 800) // 3


def test_unknown_driver_is_a_config_error() -> None:
    tables = [ibis.table(ibis_schema(TABLES[n]), name=n)
              for n in ("cs_costs", "support_tickets", "subscriptions", "subscription_changes")]
    with pytest.raises(ConfigError, match="headcount"):
        costs(*tables, as_of=AS_OF, fx=FX, drivers={"*": "headcount"})


def test_rows_dated_after_as_of_change_nothing(wh: Warehouse, rows: pd.DataFrame) -> None:
    seed_many(wh, LATER)
    assert _run(wh).equals(rows)
