"""The engine's output in the app store (SQLite and PostgreSQL): entries appended once,
balances summed by the database, payouts that never pay an entry twice."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from successlink.errors import ConfigError
from successlink.program.books import (
    entries_for,
    load_plans,
    mark_paid,
    paid_minor,
    run_payouts,
    save_plan,
    settle_customer,
    stored_balances,
)
from successlink.program.buckets import Buckets
from successlink.program.ledger import balances
from successlink.program.plans import load_plan
from successlink.store.affiliates import Affiliate
from successlink.store.customers import AccountScore, Customer
from successlink.store.ledger import LedgerEntry
from successlink.store.payouts import Payout, PayoutItem
from successlink.store.sales import Refund, Sale
from tests.program.plans import QUALITY_PLAN, T0, day


def _seed(s: Session) -> Customer:
    save_plan(s, load_plan(QUALITY_PLAN), QUALITY_PLAN, T0)
    s.add(Affiliate(id="aff_1", name="Ada", email="ada@example.com", status="active",
                    group_name=None, quality_tier="gold", quality_tier_as_of=T0,
                    plan_id="quality", payout_method="paypal",
                    payout_details={"email": "ada@example.com"}, account_id=None,
                    created_at=T0))
    customer = Customer(external_id="cus_1", email="bo@acme.test", account_id="acc_1",
                        affiliate_id="aff_1", click_id=None, referred_at=T0, churned_at=None,
                        created_at=T0)
    s.add(customer)
    s.flush()
    s.add(_sale(customer, "in_1", 0, first=True))
    return customer


def _sale(customer: Customer, sale_id: str, at: float, *, first: bool) -> Sale:
    return Sale(id=sale_id, customer_id=customer.id, charge_id=f"ch_{sale_id}",
                payment_intent_id=None, amount_minor=10_000, currency="USD", paid_at=day(at),
                product_id=None, price_id=None,
                billing_reason="subscription_create" if first else "subscription_cycle")


def _settle(store: Engine, at: float) -> int:
    with Session(store) as s, s.begin():
        customer = s.scalars(select(Customer)).one()
        return len(settle_customer(s, customer, load_plans(s), day(at)))


def test_entries_are_stored_once_and_the_database_sums_them(store: Engine) -> None:
    with Session(store) as s, s.begin():
        _seed(s)
    assert _settle(store, 40) == 4        # three accruals and the day-30 vesting
    assert _settle(store, 40) == 0        # settling again stores nothing
    with Session(store) as s:
        stored = stored_balances(s)
        assert stored == {("aff_1", "USD"): Buckets(unvested=1980, vested=1020)}
        assert stored == balances(entries_for(s, "acc_1"))
        first = s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).first()
        assert first is not None and first.plan_version == 1
        assert first.effective_at == T0 and "earns 30%" in first.explanation


def test_a_refund_after_a_payout_is_carried_into_the_next_one(store: Engine) -> None:
    with Session(store) as s, s.begin():
        _seed(s)
    _settle(store, 40)
    with Session(store) as s, s.begin():
        (payout,) = run_payouts(s, "run-1", {"USD": 500}, day(40))
        assert payout.amount_minor == 1020 and payout.method == "paypal"
        assert run_payouts(s, "run-1b", {"USD": 1}, day(40)) == []   # nothing paid twice
        mark_paid(s, payout.id, "PAYPAL-1", day(41))
    with Session(store) as s, s.begin():
        customer = s.scalars(select(Customer)).one()
        s.add(_sale(customer, "in_2", 60, first=False))
        s.add(Refund(id="ch_in_1", charge_id="ch_in_1", payment_intent_id=None, invoice_id=None,
                     refunded_minor=10_000, currency="USD", refunded_at=day(50)))
    _settle(store, 100)
    with Session(store) as s, s.begin():
        # 10.20 clawed back after it was paid, 6.80 vested since: -3.40 carried
        assert stored_balances(s)[("aff_1", "USD")].vested == 1020 - 1020 + 680
        assert paid_minor(s) == {("aff_1", "USD"): 1020}
        assert run_payouts(s, "run-2", {"USD": 1}, day(100)) == []
    _settle(store, 160)
    with Session(store) as s, s.begin():
        (payout,) = run_payouts(s, "run-3", {"USD": 1}, day(160))
        assert payout.amount_minor == 320
        items = s.scalars(select(PayoutItem.amount_minor).where(
            PayoutItem.payout_id == payout.id).order_by(PayoutItem.amount_minor)).all()
        assert items == [-1020, 660, 680]
        assert s.scalar(select(func.count()).select_from(Payout)) == 2


def test_health_synced_from_the_warehouse_decides_vesting(store: Engine) -> None:
    with Session(store) as s, s.begin():
        _seed(s)
        s.add(AccountScore(account_id="acc_1", as_of=date(2026, 4, 20), health_band="red",
                           activated=True, churn_risk=0.4))
    _settle(store, 100)
    with Session(store) as s:
        kinds = s.scalars(select(LedgerEntry.kind).where(LedgerEntry.tranche_key == "in_1:1")
                          .order_by(LedgerEntry.id)).all()
    assert kinds == ["accrual", "lapse"]   # red on its day-90 vesting day (2026-05-02)


def test_a_stored_plan_version_cannot_change(store: Engine) -> None:
    with Session(store) as s, s.begin():
        assert save_plan(s, load_plan(QUALITY_PLAN), QUALITY_PLAN, T0) is True
        assert save_plan(s, load_plan(QUALITY_PLAN), QUALITY_PLAN, T0) is False
        changed = QUALITY_PLAN.replace("percent = 30", "percent = 35")
        with pytest.raises(ConfigError, match="already stored with different rules"):
            save_plan(s, load_plan(changed), changed, T0)


def test_mark_paid_refuses_a_missing_or_settled_payout(store: Engine) -> None:
    with Session(store) as s, s.begin(), pytest.raises(ConfigError, match="no payout 99"):
        mark_paid(s, 99, None, T0)


def test_a_sale_is_paid_by_the_tier_and_health_in_force_when_it_was_paid(store: Engine) -> None:
    from successlink.store.customers import AffiliateTier

    with Session(store) as s, s.begin():
        customer = _seed(s)
        s.add(_sale(customer, "in_2", 60, first=False))
        # gold from the day before the first sale; red health only after it
        s.add(AffiliateTier(affiliate_id="aff_1", as_of=date(2026, 1, 31), tier="gold"))
        s.add(AccountScore(account_id="acc_1", as_of=date(2026, 3, 1), health_band="red",
                           activated=True, churn_risk=None))
    _settle(store, 61)
    with Session(store) as s:
        accrued = s.execute(select(LedgerEntry.sale_id, func.sum(LedgerEntry.unvested_minor))
                            .where(LedgerEntry.kind == "accrual")
                            .group_by(LedgerEntry.sale_id).order_by(LedgerEntry.sale_id)).all()
        lapsed = s.scalars(select(LedgerEntry.tranche_key).where(LedgerEntry.kind == "lapse"))
        # red on 2026-03-01 is below the floor when in_1's first tranche vests (2026-03-03)
        assert list(lapsed) == ["in_1:0"]
    # in_1: 30% x 1.1 gold = 33.00; in_2: 20% x 1.1 gold x 0.5 red = 11.00
    assert [(sale, int(total)) for sale, total in accrued] == [("in_1", 3300), ("in_2", 1100)]
