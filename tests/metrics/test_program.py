"""Program-level figures with hand-made numbers: logo churn, GRR and NRR, CRC per customer."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from successlink.metrics.currency import Fx
from successlink.metrics.program import crc_per_customer, logo_churn, revenue_retention
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed, seed_many

AS_OF = date(2024, 12, 31)
FX = Fx.of("USD", {"EUR": 1.1})


def _sub(sid: str, account: str, started: str, ended: str | None = None,
         **extra: Any) -> dict[str, Any]:
    return {"subscription_id": sid, "account_id": account, "currency": "USD", "quantity": 1,
            "interval": "month", "interval_count": 1, "mrr_minor": 1000, "status": "active",
            "started_at": started, "ended_at": ended, "updated_at": started, **extra}


def _change(sid: str, kind: str, at: str, delta: int) -> dict[str, Any]:
    return {"change_id": f"{sid}-{at}", "subscription_id": sid, "account_id": sid,
            "change_type": kind, "changed_at": at, "mrr_delta_minor": delta, "currency": "USD"}


# The 90-day window starts at 2024-10-03 00:00 (the cutoff of 2024-10-02).
LOGOS = [
    _sub("a", "A", "2024-01-01"),
    _sub("b", "B", "2024-01-01", "2024-11-15"),           # churned in the window
    _sub("c1", "C", "2024-01-01", "2024-11-01"),          # left and came back: retained
    _sub("c2", "C", "2024-12-01"),
    _sub("d", "D", "2024-11-01", "2024-12-01"),           # joined inside: not in the cohort
    _sub("e", "E", "2024-01-01", "2024-09-01"),           # gone before the window
    _sub("f", "F", "2024-06-01", "2025-02-01"),           # cancelled after as_of: retained
]


def test_logo_churn_over_90_days(wh: Warehouse) -> None:
    seed(wh, "subscriptions", LOGOS)
    row = logo_churn(wh.table("subscriptions"), as_of=AS_OF).execute().iloc[0]
    assert (row.accounts_at_start, row.churned) == (4, 1)  # A, B, C, F; B left
    assert row.churn_rate == 0.25
    # 1 - 0.75 ** (30.4375 / 90) = 1 - exp(0.338194 x -0.287682) = 1 - exp(-0.097292)
    assert row.monthly_churn_rate == pytest.approx(0.092709, abs=1e-5)


def test_logo_churn_without_a_cohort_is_null(wh: Warehouse) -> None:
    seed(wh, "subscriptions", [_sub("d", "D", "2024-11-01")])
    row = logo_churn(wh.table("subscriptions"), as_of=AS_OF).execute().iloc[0]
    assert (row.accounts_at_start, row.churned) == (0, 0)
    assert row.churn_rate != row.churn_rate  # NaN: no rate without a cohort


# as_of - 365 days = 2024-01-01: MRR at its cutoff (2024-01-02) is the starting MRR.
RETENTION: dict[str, list[dict[str, Any]]] = {
    "subscriptions": [
        _sub("G", "G", "2023-06-01"), _sub("H", "H", "2023-06-01"),
        _sub("I", "I", "2023-06-01", "2024-06-01"), _sub("J", "J", "2024-03-01"),
        # In trial on 2024-01-01 (no MRR yet): not in the cohort.
        _sub("K", "K", "2023-12-01", mrr_minor=3000, trial_end="2024-01-15"),
    ],
    "subscription_changes": [
        _change("G", "new", "2023-06-01", 1000), _change("G", "upgrade", "2024-05-01", 500),
        _change("H", "new", "2023-06-01", 2000), _change("H", "downgrade", "2024-03-01", -500),
        _change("I", "new", "2023-06-01", 1000), _change("I", "cancel", "2024-06-01", -1000),
        _change("J", "new", "2024-03-01", 5000),
    ],
}


def test_grr_and_nrr_over_twelve_months(wh: Warehouse) -> None:
    seed_many(wh, RETENTION)
    row = revenue_retention(wh.table("subscriptions"), wh.table("subscription_changes"),
                            as_of=AS_OF, fx=FX).execute().iloc[0]
    # Cohort G 1000, H 2000, I 1000 = 4000; today G 1500, H 1500, I 0 = 3000;
    # capped at the start: G 1000, H 1500, I 0 = 2500.
    assert (row.accounts, row.start_mrr_minor, row.current_mrr_minor,
            row.retained_mrr_minor) == (3, 4000, 3000, 2500)
    assert row.grr == 0.625
    assert row.nrr == 0.75
    assert row.revenue_churn == 0.375


def test_crc_per_customer_over_the_window(wh: Warehouse) -> None:
    seed_many(wh, {"subscriptions": LOGOS, "cs_costs": [
        {"cost_id": "pooled", "incurred_on": "2024-03-01", "amount_minor": 3000,
         "currency": "USD", "cost_type": "tooling"},
        {"cost_id": "direct", "incurred_on": "2024-06-01", "amount_minor": 1000,
         "currency": "EUR", "cost_type": "onboarding", "account_id": "A"},
        {"cost_id": "old", "incurred_on": "2023-12-31", "amount_minor": 500,
         "currency": "USD", "cost_type": "tooling"},
        {"cost_id": "later", "incurred_on": "2025-01-01", "amount_minor": 500,
         "currency": "USD", "cost_type": "tooling"},
    ]})
    row = crc_per_customer(wh.table("cs_costs"), wh.table("subscriptions"), as_of=AS_OF,
                           fx=FX).execute().iloc[0]
    # 3000 + 1100 over the six accounts that ran during 2024 = 683.33.
    assert (row.cost_minor, row.accounts, row.crc_per_customer_minor) == (4100, 6, 683)
