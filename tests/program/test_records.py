"""Rows loaded for many customers at once (SQLite and PostgreSQL): each customer gets the
facts it gets alone, and the volume-tier count is right by hand."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from successlink.program.books import customer_facts
from successlink.program.records import chunks, load_records
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.sales import Dispute, Refund, Sale, Subscription
from tests.program.plans import T0, day


def _affiliate(s: Session, affiliate_id: str) -> None:
    s.add(Affiliate(id=affiliate_id, name=affiliate_id, email=f"{affiliate_id}@example.com",
                    status="active", group_name=None, quality_tier=None,
                    quality_tier_as_of=None, plan_id="quality", payout_method="wise",
                    payout_details={}, account_id=None, created_at=T0))


def _customer(s: Session, external_id: str, affiliate_id: str,
              account_id: str | None = None) -> Customer:
    customer = Customer(external_id=external_id, email=None, account_id=account_id,
                        affiliate_id=affiliate_id, click_id=None, referred_at=T0,
                        churned_at=None, created_at=T0)
    s.add(customer)
    s.flush()
    return customer


def _sale(s: Session, customer: Customer, sale_id: str, at: float,
          charge: str | None = None, intent: str | None = None) -> None:
    s.add(Sale(id=sale_id, customer_id=customer.id, charge_id=charge,
               payment_intent_id=intent, amount_minor=10_000, currency="USD", paid_at=day(at),
               product_id=None, price_id=None, billing_reason=None))


def _seed(store: Engine) -> None:
    with Session(store) as s, s.begin():
        _affiliate(s, "aff_1")
        _affiliate(s, "aff_2")
        s.flush()
        a, b = _customer(s, "cus_a", "aff_1"), _customer(s, "cus_b", "aff_1", "acc_b")
        c, other = _customer(s, "cus_c", "aff_1"), _customer(s, "cus_x", "aff_2")
        _sale(s, a, "in_a0", 0, charge="ch_a0")
        _sale(s, a, "in_a30", 30, intent="pi_a30")
        _sale(s, b, "in_b5", 5, charge="ch_b5")
        _sale(s, b, "in_b20", 20)
        _sale(s, c, "in_c10", 10)
        _sale(s, other, "in_x1", 1)       # another affiliate's customer never counts
        s.add_all([
            Refund(id="ch_a0:500", charge_id="ch_a0", payment_intent_id=None, invoice_id=None,
                   refunded_minor=500, currency="USD", refunded_at=day(3)),
            Refund(id="r_by_invoice", charge_id="ch_elsewhere", payment_intent_id=None,
                   invoice_id="in_b20", refunded_minor=100, currency="USD",
                   refunded_at=day(21)),
            Dispute(id="dp_1", charge_id=None, payment_intent_id="pi_a30", opened_at=day(31)),
            Subscription(id="sub_c", customer_external_id="cus_c", status="canceled",
                         ended_at=day(40), event_at=day(40))])


def test_loaded_together_each_customer_has_the_facts_it_has_alone(store: Engine) -> None:
    _seed(store)
    with Session(store) as s:
        customers = s.scalars(select(Customer).order_by(Customer.external_id)).all()
        together = load_records(s, customers)
        for customer in customers:
            alone = customer_facts(s, customer, None)
            assert customer_facts(s, customer, None, together) == alone
        facts = {c.external_id: customer_facts(s, c, None, together) for c in customers}
    a, b, c = facts["cus_a"], facts["cus_b"], facts["cus_c"]
    assert a is not None and b is not None and c is not None
    # paying referrals of aff_1 before each sale: a first paid on day 0, b on 5, c on 10
    counts = {s.sale_id: s.active_referrals for f in (a, b, c) for s in f.sales}
    assert counts == {"in_a0": 0, "in_a30": 2, "in_b5": 1, "in_b20": 2, "in_c10": 2}
    assert {(r.sale_id, r.refunded_minor) for r in a.refunds} == {("in_a0", 500)}
    assert {(r.sale_id, r.refunded_minor) for r in b.refunds} == {("in_b20", 100)}
    assert {d.sale_id for d in a.disputes} == {"in_a30"} and not b.disputes
    assert c.churns == frozenset({day(40)}) and not a.churns
    assert b.referral.account_id == "acc_b" and a.referral.account_id == "customer:cus_a"


def test_chunks_keep_first_seen_order_without_repeats() -> None:
    assert chunks([3, 1, 3, 2, 1], size=2) == [[3, 1], [2]]
    assert chunks([]) == []
