"""Revenue as of a day: MRR rebuilt from the change log, money by the day it moved."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from successlink.metrics.currency import Fx
from successlink.metrics.revenue import revenue
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed_many

AS_OF = date(2024, 6, 30)  # cutoff 2024-07-01; the 90-day window starts 2024-04-02
FX = Fx.of("USD", {"EUR": 1.1})  # no GBP rate


def _sub(sid: str, account: str, started: str, mrr: int, **extra: Any) -> dict[str, Any]:
    return {"subscription_id": sid, "account_id": account, "currency": "USD", "quantity": 1,
            "interval": "month", "interval_count": 1, "mrr_minor": mrr, "status": "active",
            "started_at": started, "updated_at": started, **extra}


def _change(cid: str, sid: str, kind: str, at: str, delta: int) -> dict[str, Any]:
    return {"change_id": cid, "subscription_id": sid, "account_id": "a", "change_type": kind,
            "changed_at": at, "mrr_delta_minor": delta, "currency": "USD"}


def _pay(pid: str, account: str, amount: int, at: str, status: str = "succeeded",
         currency: str = "USD") -> dict[str, Any]:
    return {"payment_id": pid, "account_id": account, "amount_minor": amount,
            "currency": currency, "status": status, "created_at": at, "updated_at": at}


def _back(kind: str, rid: str, account: str, amount: int, at: str, status: str,
          currency: str = "USD") -> dict[str, Any]:
    return {f"{kind}_id": rid, "account_id": account, "amount_minor": amount,
            "currency": currency, "status": status, "created_at": at, "updated_at": at}


WORLD: dict[str, list[dict[str, Any]]] = {
    "subscriptions": [
        # Stored MRR 9000 is the state after a July upgrade; on June 30 it was 5000 + 2000.
        _sub("sa", "a", "2024-01-01", 9000),
        # No change log: the stored MRR, converted at 1.1 USD per EUR.
        _sub("se", "eur", "2024-05-01", 1000, currency="EUR"),
        _sub("st", "trial", "2024-06-20", 3000, trial_end="2024-07-04"),
        _sub("sn", "neg", "2024-02-01", 0),
        # Cancelled in August: still paying on June 30.
        _sub("sl", "later", "2024-01-01", 2000, ended_at="2024-08-01", status="canceled"),
        _sub("sx", "gone", "2024-01-01", 2000, ended_at="2024-04-01", status="canceled"),
    ],
    "subscription_changes": [
        _change("c1", "sa", "new", "2024-01-01", 5000),
        _change("c2", "sa", "upgrade", "2024-03-01", 2000),
        _change("c3", "sa", "upgrade", "2024-07-15", 2000),
        # A log that goes below zero is clamped to no MRR.
        {**_change("c4", "sn", "new", "2024-02-01", 1000), "account_id": "neg"},
        {**_change("c5", "sn", "downgrade", "2024-03-01", -1500), "account_id": "neg"},
    ],
    "payments": [
        _pay("p1", "a", 5000, "2024-01-01"), _pay("p2", "a", 5000, "2024-02-01"),
        _pay("p3", "a", 5000, "2024-05-01", "failed"),
        _pay("p4", "a", 5000, "2024-03-01", "failed"),  # before the 90-day window
        _pay("p5", "a", 7000, "2024-03-01"),
        _pay("p6", "a", 0, "2024-03-01"),  # a zero-amount charge is not a purchase
        _pay("p7", "a", 4000, "2024-04-01", "pending"),
        _pay("e1", "eur", 1000, "2024-05-01", currency="EUR"),
        _pay("g1", "gbp", 1000, "2024-05-01", currency="GBP"),
    ],
    "refunds": [
        _back("refund", "r1", "a", 2000, "2024-03-05", "succeeded"),
        _back("refund", "r2", "a", 1000, "2024-03-06", "failed"),
        # Refund larger than the month's revenue: net goes negative.
        _back("refund", "r3", "eur", 3000, "2024-06-10", "succeeded", "EUR"),
    ],
    "disputes": [
        # Won later, but the money left when the dispute opened; it stays deducted.
        _back("dispute", "d1", "a", 5000, "2024-04-01", "won"),
    ],
}

LATER: dict[str, list[dict[str, Any]]] = {
    "subscriptions": [_sub("sb", "b", "2024-07-02", 1000)],
    "subscription_changes": [_change("c9", "sa", "seat_change", "2024-07-01", 500)],
    "payments": [_pay("p8", "a", 7000, "2024-07-01"), _pay("p9", "a", 100, "2024-07-03",
                                                           "failed")],
    "refunds": [_back("refund", "r9", "a", 100, "2024-07-01", "succeeded")],
    "disputes": [_back("dispute", "d9", "eur", 100, "2024-07-01", "lost")],
}


def _run(wh: Warehouse) -> pd.DataFrame:
    t = revenue(*(wh.table(n) for n in ("subscriptions", "subscription_changes", "payments",
                                        "refunds", "disputes")), as_of=AS_OF, fx=FX)
    return t.execute().set_index("account_id").sort_index()


@pytest.fixture
def rows(wh: Warehouse) -> pd.DataFrame:
    seed_many(wh, WORLD)
    return _run(wh)


def test_mrr_is_rebuilt_from_the_change_log(rows: pd.DataFrame) -> None:
    assert rows.mrr_minor.to_dict() == {"a": 7000, "eur": 1100, "trial": 0, "neg": 0,
                                        "later": 2000, "gbp": 0}
    assert rows.loc["a"].arr_minor == 84_000
    assert "gone" not in rows.index  # ended in April, never paid anything


def test_gross_refunds_disputes_and_net(rows: pd.DataFrame) -> None:
    a = rows.loc["a"]
    # 5000 + 5000 + 7000 + 0 succeeded; the failed and pending attempts are not revenue.
    assert (a.revenue_gross_minor, a.refunds_minor, a.disputed_minor) == (17000, 2000, 5000)
    assert a.revenue_net_minor == 17000 - 2000 - 5000


def test_refund_larger_than_revenue_makes_net_negative(rows: pd.DataFrame) -> None:
    eur = rows.loc["eur"]
    assert (eur.revenue_gross_minor, eur.refunds_minor) == (1100, 3300)
    assert eur.revenue_net_minor == -2200


def test_purchases_average_and_dates(rows: pd.DataFrame) -> None:
    a = rows.loc["a"]
    assert a.purchase_count == 3
    assert a.avg_purchase_minor == 5667  # 17000 / 3 = 5666.67
    assert a.first_payment_at == pd.Timestamp("2024-01-01", tz="UTC")
    assert a.last_payment_at == pd.Timestamp("2024-03-01", tz="UTC")
    assert a.failed_payments_90d == 1  # p3 on May 1; p4 on March 1 is older than 90 days
    # No rate for GBP: the payment drops out of money and counts alike.
    gbp = rows.loc["gbp"]
    assert (gbp.revenue_gross_minor, gbp.purchase_count) == (0, 0)
    assert pd.isna(gbp.avg_purchase_minor)
    assert pd.isna(rows.loc["trial"].first_payment_at)


def test_rows_dated_after_as_of_change_nothing(wh: Warehouse, rows: pd.DataFrame) -> None:
    seed_many(wh, LATER)
    assert _run(wh).equals(rows)
