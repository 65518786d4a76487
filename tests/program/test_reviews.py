"""Flags raised by webhooks hold payouts; approval lifts the hold; rejection reverses the
referral's commissions with the reviewer's reason (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from successlink.errors import ConfigError
from successlink.program.books import run_payouts, settle_all, stored_balances
from successlink.program.buckets import Buckets
from successlink.program.reviews import review_flag
from successlink.store.customers import Customer
from successlink.store.fraud import FraudFlag
from successlink.store.ledger import LedgerEntry
from tests.program.test_webhooks import PLAN, _deliver, _seed_affiliate, _story

PAID = datetime(2020, 6, 27, tzinfo=UTC)


def _flagged_referral(store: Engine) -> int:
    """The story's customer signs up with the affiliate's own address and pays."""
    with Session(store) as s, s.begin():
        _seed_affiliate(s)
    created, paid, _ = _story()
    created = created.replace(b'"email": null', b'"email": "ADA@example.com"')
    _deliver(store, created, datetime(2020, 6, 21, tzinfo=UTC))
    _deliver(store, paid, PAID)
    with Session(store) as s, s.begin():
        settle_all(s, [PLAN], PAID + timedelta(days=31))
        (flag,) = s.scalars(select(FraudFlag)).all()
        assert (flag.kind, flag.status, flag.affiliate_id) == ("self_referral", "open", "aff_1")
        assert flag.details["sentence"] == "the customer's e-mail is the affiliate's own"
        return flag.id


def test_a_flagged_referral_accrues_but_is_not_paid_until_approved(store: Engine) -> None:
    flag = _flagged_referral(store)
    with Session(store) as s, s.begin():
        assert stored_balances(s)[("aff_1", "USD")].vested == 204   # vested on day 30 ...
        assert run_payouts(s, "r1", {"USD": 1}, PAID + timedelta(days=31)) == []  # ... held
        with pytest.raises(ConfigError, match="give a reason"):
            review_flag(s, flag, approve=True, reason=" ", reviewer="lead", now=PAID)
        review_flag(s, flag, approve=True, reason="same company, real purchase",
                    reviewer="lead", now=PAID + timedelta(days=32))
        (payout,) = run_payouts(s, "r2", {"USD": 1}, PAID + timedelta(days=32))
        assert payout.amount_minor == 204


def test_a_rejected_referral_is_reversed_with_the_reason(store: Engine) -> None:
    flag = _flagged_referral(store)
    with Session(store) as s, s.begin():
        review_flag(s, flag, approve=False, reason="the affiliate bought through its own "
                    "link", reviewer="lead", now=PAID + timedelta(days=32))
        settle_all(s, [PLAN], PAID + timedelta(days=33))
        assert stored_balances(s)[("aff_1", "USD")] == Buckets(reversed=600)
        reversal = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "reversal")
                             .order_by(LedgerEntry.entry_key)).first()
        assert reversal is not None and reversal.vested_minor == -204
        assert ("rejected on review on 2020-07-29: the affiliate bought through its own link"
                in reversal.explanation)
        assert run_payouts(s, "r3", {"USD": 1}, PAID + timedelta(days=33)) == []
        with pytest.raises(ConfigError, match="already reviewed"):
            review_flag(s, flag, approve=True, reason="x", reviewer="lead", now=PAID)
        with pytest.raises(ConfigError, match="no fraud flag 999"):
            review_flag(s, 999, approve=True, reason="x", reviewer="lead", now=PAID)


def test_flags_are_raised_once_per_kind(store: Engine) -> None:
    _flagged_referral(store)
    created, _, _ = _story()
    created = created.replace(b'"email": null', b'"email": "ADA@example.com"') \
        .replace(b'"evt_c"', b'"evt_c2"')
    _deliver(store, created, PAID + timedelta(days=40))
    with Session(store) as s:
        assert len(s.scalars(select(FraudFlag)).all()) == 1
        assert s.scalars(select(Customer.email)).one() == "ada@example.com"
