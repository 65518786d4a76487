"""Lifecycle as of a day: status rebuilt from timestamps, never from the stored status."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from successlink.metrics.lifecycle import lifecycle
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed_many

AS_OF = date(2024, 6, 30)  # cutoff 2024-07-01 00:00 UTC


def _sub(sid: str, account: str, started: str, **extra: Any) -> dict[str, Any]:
    row = {"subscription_id": sid, "account_id": account, "currency": "USD", "quantity": 1,
           "interval": "month", "interval_count": 1, "mrr_minor": 1000, "status": "active",
           "started_at": started, "updated_at": started, "plan_name": "Basic"}
    return {**row, **extra}


WORLD: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        {"account_id": "churn", "created_at": "2023-12-20"},
        {"account_id": "never", "created_at": "2024-05-01"},
        {"account_id": "bare", "created_at": "2024-06-01"},
    ],
    "acquisitions": [
        {"acquisition_id": "q1", "account_id": "active", "channel": "affiliate",
         "affiliate_id": "aff1", "campaign": "spring", "acquired_at": "2024-01-10"},
        {"acquisition_id": "q2", "account_id": "active", "channel": "paid",
         "acquired_at": "2024-03-01"},
        {"acquisition_id": "q3", "account_id": "never", "channel": "organic_search",
         "acquired_at": "2024-05-02"},
    ],
    "subscriptions": [
        _sub("s1", "active", "2024-01-15", plan_name="Pro", quantity=3, mrr_minor=5000),
        # Stored status says active (latest state); on June 30 it was still in trial.
        _sub("s2", "trial", "2024-06-20", trial_end="2024-07-04"),
        _sub("s3", "churn", "2024-01-01", ended_at="2024-03-01", status="canceled",
             cancellation_reason="too_expensive"),
        _sub("s4", "churn", "2024-04-01", ended_at="2024-05-15", status="canceled",
             cancellation_reason="switched", interval="year", plan_name="Biz"),
        # Ended after the as-of day: it was running on June 30.
        _sub("s5", "later", "2024-02-01", ended_at="2024-08-01", status="canceled",
             cancellation_reason="moved"),
        _sub("s6", "never", "2024-05-02", status="incomplete"),
        _sub("s7", "two", "2024-03-01", quantity=2, mrr_minor=1000),
        _sub("s8", "two", "2024-03-05", quantity=5, mrr_minor=3000, interval="year",
             plan_name="Pro"),
        # A trial that converted: the trial is over by June 30, so the account pays.
        _sub("s9", "paid_trial", "2024-06-01", trial_end="2024-06-15"),
    ],
}

LATER: dict[str, list[dict[str, Any]]] = {
    "accounts": [{"account_id": "newcomer", "created_at": "2024-07-05"}],
    "acquisitions": [{"acquisition_id": "q9", "account_id": "bare", "channel": "paid",
                      "acquired_at": "2024-07-02"}],
    "subscriptions": [_sub("s10", "churn", "2024-07-10"),
                      _sub("s11", "newcomer", "2024-07-06")],
}


def _run(wh: Warehouse) -> pd.DataFrame:
    t = lifecycle(wh.table("accounts"), wh.table("subscriptions"), wh.table("acquisitions"),
                  as_of=AS_OF)
    return t.execute().set_index("account_id").sort_index()


@pytest.fixture
def rows(wh: Warehouse) -> pd.DataFrame:
    seed_many(wh, WORLD)
    return _run(wh)


def test_status_is_rebuilt_at_the_as_of_day(rows: pd.DataFrame) -> None:
    assert rows.status.to_dict() == {
        "active": "active", "trial": "trialing", "churn": "churned", "later": "active",
        "never": "never_subscribed", "bare": "never_subscribed", "two": "active",
        "paid_trial": "active"}
    assert rows.is_active.to_dict() == {k: v in ("active", "trialing")
                                        for k, v in rows.status.items()}


def test_churn_date_reason_and_reactivation(rows: pd.DataFrame) -> None:
    churn = rows.loc["churn"]
    assert churn.churned_at == pd.Timestamp("2024-05-15", tz="UTC")
    assert churn.cancellation_reason == "switched"  # of the last subscription to end
    assert bool(churn.reactivated)  # s4 started after s3 had ended
    # Cancelled after the as-of day: neither churned nor a reason yet.
    assert pd.isna(rows.loc["later"].churned_at)
    assert pd.isna(rows.loc["later"].cancellation_reason)
    assert not rows.drop(index="churn").reactivated.any()


def test_acquisition_channel_and_dates(rows: pd.DataFrame) -> None:
    active = rows.loc["active"]
    assert (active.channel, active.affiliate_id, active.campaign) == ("affiliate", "aff1",
                                                                      "spring")
    assert active.acquired_at == pd.Timestamp("2024-01-10", tz="UTC")
    # No acquisition: the first subscription start wins over the account's creation.
    assert rows.loc["churn"].acquired_at == pd.Timestamp("2024-01-01", tz="UTC")
    assert rows.loc["churn"].channel == "unknown"
    assert rows.loc["bare"].acquired_at == pd.Timestamp("2024-06-01", tz="UTC")
    # An incomplete checkout never started anything.
    assert pd.isna(rows.loc["never"].first_started_at)


def test_tenure_counts_days_to_the_cutoff(rows: pd.DataFrame) -> None:
    # From the first start 2024-01-15 to 2024-07-01: 17 + 29 + 31 + 30 + 31 + 30 = 168 days.
    assert rows.loc["active"].tenure_days == 168.0
    # No subscription: from the acquisition 2024-05-02 to 2024-07-01 = 30 + 30 days.
    assert rows.loc["never"].tenure_days == 60.0
    assert rows.loc["bare"].tenure_days == 30.0


def test_plan_seats_and_interval(rows: pd.DataFrame) -> None:
    two = rows.loc["two"]
    assert (two.plan_name, two.interval, two.seats, bool(two.is_annual)) == ("Pro", "year",
                                                                             7, True)
    churn = rows.loc["churn"]  # nothing running: the last subscription started
    assert (churn.plan_name, churn.interval, churn.seats, bool(churn.is_annual)) == (
        "Biz", "year", 0, True)
    assert rows.loc["active"].seats == 3
    assert not rows.loc["active"].is_annual


def test_rows_dated_after_as_of_change_nothing(wh: Warehouse, rows: pd.DataFrame) -> None:
    seed_many(wh, LATER)
    assert _run(wh).equals(rows)
