from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from successlink.store.tables import Affiliate, LedgerEntry, Payout, PayoutItem
from tests.conftest import NOW


def _affiliate(id_: str = "aff_1", **over: object) -> Affiliate:
    fields: dict[str, object] = dict(
        id=id_, name="Ada", email=f"{id_}@example.com", status="active", group_name=None,
        quality_tier=None, quality_tier_as_of=None, plan_id=None, payout_method="paypal",
        payout_details={"email": "ada@example.com"}, account_id=None, created_at=NOW)
    fields.update(over)
    return Affiliate(**fields)


def _entry(key: str) -> LedgerEntry:
    return LedgerEntry(
        entry_key=key, tranche_key="in_1:0", kind="accrual", affiliate_id="aff_1",
        account_id="acc_1", sale_id="in_1", currency="USD", unvested_minor=100,
        vested_minor=0, lapsed_minor=0, reversed_minor=0, plan_id="std", plan_version=1,
        inputs={"amount_minor": 1000}, explanation="10% of 10.00 USD.", effective_at=NOW,
        recorded_at=NOW)


def test_timestamps_come_back_as_the_same_utc_instant(store: Engine) -> None:
    paris = timezone(timedelta(hours=1))
    created = datetime(2026, 3, 1, 13, 30, tzinfo=paris)
    with Session(store) as s, s.begin():
        s.add(_affiliate(created_at=created))
    with Session(store) as s:
        back = s.scalars(select(Affiliate.created_at)).one()
    assert back == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert back.tzinfo is not None and back.utcoffset() == timedelta(0)


def test_a_naive_timestamp_is_refused(store: Engine) -> None:
    with Session(store) as s, pytest.raises(StatementError, match="naive datetime"):
        s.add(_affiliate(created_at=datetime(2026, 3, 1, 12, 0)))
        s.flush()


def test_an_unknown_status_is_refused_by_the_database(store: Engine) -> None:
    with Session(store) as s, pytest.raises(IntegrityError):
        s.add(_affiliate(status="sleeping"))
        s.flush()


def test_a_ledger_entry_key_is_stored_once(store: Engine) -> None:
    with Session(store) as s, s.begin():
        s.add(_affiliate())
        s.add(_entry("in_1:0:0"))
    with Session(store) as s, pytest.raises(IntegrityError):
        s.add(_entry("in_1:0:0"))
        s.flush()


def test_an_entry_can_be_paid_only_once(store: Engine) -> None:
    with Session(store) as s, s.begin():
        s.add(_affiliate())
        entry = _entry("in_1:0:0")
        s.add(entry)
        s.flush()
        payouts = [Payout(run_id=f"run{i}", affiliate_id="aff_1", currency="USD",
                          amount_minor=100, method="paypal", status="pending", reference=None,
                          created_at=NOW, paid_at=None) for i in (1, 2)]
        s.add_all(payouts)
        s.flush()
        s.add(PayoutItem(payout_id=payouts[0].id, entry_id=entry.id, amount_minor=100,
                         currency="USD"))
        s.flush()
        with pytest.raises(IntegrityError), s.begin_nested():
            s.add(PayoutItem(payout_id=payouts[1].id, entry_id=entry.id, amount_minor=100,
                             currency="USD"))
            s.flush()
