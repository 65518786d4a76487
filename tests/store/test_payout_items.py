"""Migration 0006: an entry is in at most one payout that is not cancelled (the database
refuses a second), a cancelled payout's entries can be paid again, and a cancelled payout
stays cancelled; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from successlink.store.ledger import LedgerEntry
from successlink.store.payouts import Payout, PayoutItem
from tests.store.test_append_only import T, _seed


def _new_payout(s: Session, run: str) -> Payout:
    payout = Payout(run_id=run, affiliate_id="aff_1", currency="USD", amount_minor=1000,
                    method="paypal", status="pending", reference=None, created_at=T,
                    paid_at=None)
    s.add(payout)
    s.flush()
    return payout


def _item(s: Session, payout: Payout) -> None:
    entry = s.scalars(select(LedgerEntry)).one()
    s.add(PayoutItem(payout_id=payout.id, entry_id=entry.id, amount_minor=1000,
                     currency="USD"))
    s.flush()


def test_an_entry_in_a_live_payout_cannot_join_another(store: Engine) -> None:
    _seed(store)  # the entry is in payout 1, pending
    with pytest.raises(DBAPIError, match="never paid twice"), Session(store) as s, s.begin():
        _item(s, _new_payout(s, "r2"))
    with Session(store) as s, s.begin():  # nor once the first payout is paid
        s.execute(text("UPDATE payouts SET status = 'paid' WHERE id = 1"))
    with pytest.raises(DBAPIError, match="never paid twice"), Session(store) as s, s.begin():
        _item(s, _new_payout(s, "r3"))


def test_a_cancelled_payouts_entry_can_be_paid_again_and_it_stays_cancelled(
        store: Engine) -> None:
    _seed(store)
    with Session(store) as s, s.begin():
        s.execute(text("UPDATE payouts SET status = 'cancelled', cancel_reason = 'closed' "
                       "WHERE id = 1"))
    with Session(store) as s, s.begin():
        _item(s, _new_payout(s, "r2"))
    with Session(store) as s:
        assert len(s.scalars(select(PayoutItem)).all()) == 2
    with pytest.raises(DBAPIError, match="stays cancelled"), store.begin() as con:
        con.execute(text("UPDATE payouts SET status = 'pending' WHERE id = 1"))
    with store.begin() as con:  # other edits of a cancelled payout are allowed
        con.execute(text("UPDATE payouts SET cancel_reason = 'account closed' WHERE id = 1"))
