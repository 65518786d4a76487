"""Fraud flags in the app store: raise them on a referral, hold its commissions, review them.

A flag never rejects anything by itself: the referral's commissions keep accruing and vesting
in the ledger but are left out of payouts while any flag on it is open. A reviewer approves
(the hold lifts) or rejects with a reason; a rejection reverses every commission on the
referral, and the reason is in the reversal's sentence for the affiliate to read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from successlink.errors import ConfigError
from successlink.program.books import linked_refunds, subscription_churns
from successlink.program.fraud import FraudRules, Referral, suspicions
from successlink.program.records import CustomerRecords, ledger_account, load_records
from successlink.program.terms_store import fraud_rules
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.fraud import FraudFlag, FraudReview
from successlink.store.tracking import Click


def check_referral(session: Session, customer: Customer, now: datetime,
                   rules: FraudRules | None = None) -> list[FraudFlag]:
    """Raise the flags that fire for a referred customer and are not raised yet, by `rules`
    (default: the program's settings, `successlink program set fraud.*`)."""
    flags = [FraudFlag(**values) for values in
             new_flags(session, customer, now, load_records(session, [customer]),
                       rules or fraud_rules(session))]
    session.add_all(flags)
    session.flush()
    return flags


def new_flags(session: Session, customer: Customer, now: datetime, records: CustomerRecords,
              rules: FraudRules) -> list[dict[str, Any]]:
    """The columns of the flags `check_referral` raises, from rows loaded for a batch of
    customers; the caller stores them (a bulk insert) and reads `rules` once per batch
    (`terms_store.fraud_rules`). Their kinds are added to `records`, so a customer checked
    next under the same ledger account does not raise them again."""
    if customer.affiliate_id is None:
        return []
    affiliate = records.affiliates.get(customer.affiliate_id)
    if affiliate is None:
        return []
    referral = _referral(session, customer, affiliate, records, rules)
    subject = ledger_account(customer)
    known = records.flag_kinds.setdefault(subject, set())
    out = []
    for s in suspicions(referral, rules):
        if s.kind in known:
            continue
        known.add(s.kind)
        out.append({"affiliate_id": affiliate.id, "kind": s.kind, "subject": subject,
                    "details": {**s.details, "sentence": s.sentence,
                                "customer": customer.external_id},
                    "status": "open", "created_at": now})
    return out


def _referral(session: Session, customer: Customer, affiliate: Affiliate,
              records: CustomerRecords, rules: FraudRules) -> Referral:
    click = records.clicks.get(customer.click_id) if customer.click_id else None
    flood = 0
    if click is not None and click.ip_anon is not None:
        flood = int(session.scalar(select(func.count()).select_from(Click).where(
            Click.affiliate_id == affiliate.id, Click.ip_anon == click.ip_anon,
            Click.clicked_at > click.clicked_at - rules.flood_window,
            Click.clicked_at <= click.clicked_at + rules.flood_window)) or 0)
    sales = records.sales_of(customer)
    refunds = [r.at for r in linked_refunds(records, sales) if r.refunded_minor > 0]
    churns = subscription_churns(records, customer)
    return Referral(
        affiliate_email=affiliate.email, customer_email=customer.email,
        click_ip=click.ip_anon if click else None,
        clicks_from_ip_in_window=flood, has_click=click is not None,
        first_paid_at=min((s.paid_at for s in sales), default=None),
        refunded_at=min(refunds, default=None), churned_at=min(churns, default=None))


def review_flag(session: Session, flag_id: int, *, approve: bool, reason: str,
                reviewer: str, now: datetime) -> FraudFlag:
    """Settle an open flag. Rejecting reverses the referral's commissions at the next
    settlement; the reason is what the affiliate reads."""
    flag = session.get(FraudFlag, flag_id)
    if flag is None:
        raise ConfigError(f"there is no fraud flag {flag_id}",
                          hint="List them with `successlink fraud list`.")
    if flag.status != "open":
        raise ConfigError(f"flag {flag_id} was already reviewed ({flag.status})")
    if not reason.strip():
        raise ConfigError("give a reason: the affiliate is shown it")
    flag.status = "approved" if approve else "rejected"
    session.add(FraudReview(flag_id=flag.id, decision="approve" if approve else "reject",
                            reason=reason.strip(), reviewer=reviewer, reviewed_at=now))
    session.flush()
    return flag


def customer_of(session: Session, subject: str) -> Customer | None:
    """The customer a flag's subject (a ledger account) stands for."""
    if subject.startswith("customer:"):
        external = subject.removeprefix("customer:")
        return session.scalars(select(Customer).where(Customer.external_id == external)) \
            .one_or_none()
    return session.scalars(select(Customer).where(Customer.account_id == subject)
                           .order_by(Customer.id)).first()
