"""The ledger and plans in the app store: load facts, settle, append entries, pay out.

The only module of `program` that touches the database; the decisions are made by the pure
modules. Call each function inside one transaction (`with Session(engine).begin()`): a
settlement and its entries, or a payout and its items, are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from successlink.errors import ConfigError
from successlink.program.buckets import Buckets
from successlink.program.engine import settle
from successlink.program.facts import (
    AccountFacts,
    Dispute,
    HealthReading,
    Referral,
    Refund,
    Rejection,
    Sale,
)
from successlink.program.ledger import Entry
from successlink.program.payouts import propose_payouts
from successlink.program.plans import Plan, load_plan
from successlink.store.affiliates import Affiliate
from successlink.store.customers import AccountScore, AffiliateTier, Customer
from successlink.store.fraud import FraudFlag, FraudReview
from successlink.store.ledger import LedgerEntry
from successlink.store.payouts import Payout, PayoutItem
from successlink.store.plans import CommissionPlan
from successlink.store.sales import Dispute as DisputeRow
from successlink.store.sales import Refund as RefundRow
from successlink.store.sales import Sale as SaleRow
from successlink.store.sales import Subscription
from successlink.timeline import end_of_day

PAYABLE_STATUSES = ("active",)
_Dated = AccountScore | AffiliateTier


def save_plan(session: Session, plan: Plan, source_toml: str, now: datetime) -> bool:
    """Store a plan version; False when that exact version is already stored. A version is
    never changed: different rules under a stored version number are refused."""
    stored = session.get(CommissionPlan, (plan.id, plan.version))
    if stored is not None:
        if load_plan(stored.source_toml) != plan:
            raise ConfigError(f"plan {plan.id} version {plan.version} is already stored with "
                              "different rules",
                              hint="Plans are versioned: give the new rules the next version "
                                   "number and an effective_from date.")
        return False
    session.add(CommissionPlan(plan_id=plan.id, version=plan.version, name=plan.name,
                               effective_from=plan.effective_from, source_toml=source_toml,
                               created_at=now))
    return True


def load_plans(session: Session) -> list[Plan]:
    """Every stored plan version."""
    rows = session.scalars(select(CommissionPlan).order_by(CommissionPlan.plan_id,
                                                           CommissionPlan.version))
    return [load_plan(r.source_toml) for r in rows]


def ledger_account(customer: Customer) -> str:
    """The account a customer's entries are filed under (its warehouse account when known)."""
    return customer.account_id or f"customer:{customer.external_id}"


def customer_facts(session: Session, customer: Customer,
                   default_plan: str | None) -> AccountFacts | None:
    """What the store knows about a referred customer; None when no affiliate referred it."""
    if customer.affiliate_id is None or customer.referred_at is None:
        return None
    affiliate = session.get(Affiliate, customer.affiliate_id)
    plan_id = (affiliate.plan_id if affiliate else None) or default_plan
    if plan_id is None:
        raise ConfigError(f"affiliate {customer.affiliate_id} has no commission plan",
                          hint="Set default_plan in the program section of successlink.toml, "
                               "or give the affiliate a plan.")
    sales = session.scalars(select(SaleRow).where(SaleRow.customer_id == customer.id)).all()
    # The customer's first payment is its earliest sale (ties by id), whatever order they
    # were delivered in.
    first = min(((s.paid_at, s.id) for s in sales), default=(None, None))[1]
    account = ledger_account(customer)
    scores = session.scalars(select(AccountScore).where(AccountScore.account_id == account)
                             .order_by(AccountScore.as_of)).all()
    tiers = session.scalars(select(AffiliateTier).where(
        AffiliateTier.affiliate_id == customer.affiliate_id).order_by(AffiliateTier.as_of)).all()
    return AccountFacts(
        referral=Referral(account, customer.affiliate_id, plan_id, customer.referred_at),
        sales=frozenset(_sale(session, s, customer, scores, tiers, first=s.id == first)
                        for s in sales),
        refunds=frozenset(_refunds(session, sales)),
        disputes=frozenset(_disputes(session, sales)),
        churns=frozenset(_churns(session, customer)),
        rejections=frozenset(_rejections(session, account)),
        health=frozenset(HealthReading(str(s.health_band), end_of_day(s.as_of))
                         for s in scores if s.health_band is not None))


def _latest(rows: Sequence[_Dated], at: datetime) -> _Dated | None:
    """The newest row scored as of a day that had ended by `at` (no look-ahead)."""
    return next((r for r in reversed(rows) if end_of_day(r.as_of) <= at), None)


def _sale(session: Session, row: SaleRow, customer: Customer,
          scores: Sequence[AccountScore], tiers: Sequence[AffiliateTier], *,
          first: bool) -> Sale:
    """A sale with its quality inputs as they stood when it was paid."""
    score = _latest(scores, row.paid_at)
    tier = _latest(tiers, row.paid_at)
    others = select(func.count(func.distinct(SaleRow.customer_id))) \
        .join(Customer, Customer.id == SaleRow.customer_id) \
        .where(Customer.affiliate_id == customer.affiliate_id, Customer.id != customer.id,
               SaleRow.paid_at < row.paid_at)
    return Sale(sale_id=row.id, amount_minor=row.amount_minor, currency=row.currency,
                paid_at=row.paid_at, first_payment=first,
                product_id=row.product_id, price_id=row.price_id,
                affiliate_tier=tier.tier if isinstance(tier, AffiliateTier) else None,
                health_band=score.health_band if isinstance(score, AccountScore) else None,
                activated=score.activated if isinstance(score, AccountScore) else None,
                active_referrals=int(session.scalar(others) or 0))


def _sale_of(sales: Sequence[SaleRow], invoice_id: str | None, charge_id: str | None,
             payment_intent_id: str | None) -> str | None:
    """The sale a refund or dispute belongs to: by invoice, else charge, else payment intent
    (the most specific link first; the smallest id on a tie, never the load order)."""
    for matches in (lambda s: invoice_id is not None and s.id == invoice_id,
                    lambda s: charge_id is not None and s.charge_id == charge_id,
                    lambda s: payment_intent_id is not None
                    and s.payment_intent_id == payment_intent_id):
        found = sorted(s.id for s in sales if matches(s))
        if found:
            return found[0]
    return None


def linked_refunds(session: Session, sales: Sequence[SaleRow]) -> list[Refund]:
    """The refunds of these sales, each tied to its sale."""
    return _refunds(session, sales)


def _refunds(session: Session, sales: Sequence[SaleRow]) -> list[Refund]:
    rows = session.scalars(select(RefundRow).where(or_(
        RefundRow.invoice_id.in_([s.id for s in sales]),
        RefundRow.charge_id.in_([s.charge_id for s in sales if s.charge_id]),
        RefundRow.payment_intent_id.in_([s.payment_intent_id for s in sales
                                         if s.payment_intent_id])))).all()
    out = []
    for r in rows:
        sale_id = _sale_of(sales, r.invoice_id, r.charge_id, r.payment_intent_id)
        if sale_id is not None:
            out.append(Refund(sale_id, r.refunded_minor, r.refunded_at))
    return out


def _disputes(session: Session, sales: Sequence[SaleRow]) -> list[Dispute]:
    rows = session.scalars(select(DisputeRow).where(or_(
        DisputeRow.charge_id.in_([s.charge_id for s in sales if s.charge_id]),
        DisputeRow.payment_intent_id.in_([s.payment_intent_id for s in sales
                                          if s.payment_intent_id])))).all()
    out = []
    for d in rows:
        sale_id = _sale_of(sales, None, d.charge_id, d.payment_intent_id)
        if sale_id is not None:
            out.append(Dispute(sale_id, d.opened_at))
    return out


def subscription_churns(session: Session, customer: Customer) -> list[datetime]:
    """The customer's churn: set by hand (or sync), or when every subscription has ended."""
    return _churns(session, customer)


def _churns(session: Session, customer: Customer) -> list[datetime]:
    out = [customer.churned_at] if customer.churned_at else []
    subs = session.scalars(select(Subscription).where(
        Subscription.customer_external_id == customer.external_id)).all()
    ended = [s.ended_at for s in subs if s.ended_at is not None]
    if subs and len(ended) == len(subs):
        out.append(max(ended))
    return out


def _rejections(session: Session, account: str) -> list[Rejection]:
    q = select(FraudReview.reviewed_at, FraudReview.reason) \
        .join(FraudFlag, FraudFlag.id == FraudReview.flag_id) \
        .where(FraudFlag.subject == account, FraudReview.decision == "reject")
    return [Rejection(at, reason) for at, reason in session.execute(q)]


def held_accounts(session: Session) -> set[str]:
    """Ledger accounts with an open fraud flag: their commissions wait for the review."""
    return set(session.scalars(select(FraudFlag.subject).where(FraudFlag.status == "open")))


def entries_for(session: Session, account_id: str) -> list[Entry]:
    """The account's ledger entries, oldest first."""
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account_id)
                           .order_by(LedgerEntry.id))
    return [to_entry(r) for r in rows]


def settle_customer(session: Session, customer: Customer, plans: Sequence[Plan],
                    now: datetime, default_plan: str | None = None) -> list[Entry]:
    """Append the entries the customer's facts call for as of `now`; returns them."""
    facts = customer_facts(session, customer, default_plan)
    if facts is None:
        return []
    new = settle(facts, plans, now, entries_for(session, facts.referral.account_id))
    session.add_all(to_row(e, now) for e in new)
    session.flush()
    return new


def to_row(entry: Entry, recorded_at: datetime) -> LedgerEntry:
    """The stored form of an entry."""
    c = entry.change
    return LedgerEntry(
        entry_key=entry.entry_key, tranche_key=entry.tranche_key, kind=entry.kind,
        affiliate_id=entry.affiliate_id, account_id=entry.account_id, sale_id=entry.sale_id,
        currency=entry.currency, unvested_minor=c.unvested, vested_minor=c.vested,
        lapsed_minor=c.lapsed, reversed_minor=c.reversed, plan_id=entry.plan_id,
        plan_version=entry.plan_version, inputs=dict(entry.inputs),
        explanation=entry.explanation, effective_at=entry.effective_at,
        recorded_at=recorded_at)


def to_entry(row: LedgerEntry) -> Entry:
    """An entry from its stored form."""
    return Entry(
        entry_key=row.entry_key, tranche_key=row.tranche_key, kind=row.kind,
        affiliate_id=row.affiliate_id, account_id=row.account_id, sale_id=row.sale_id,
        currency=row.currency,
        change=Buckets(row.unvested_minor, row.vested_minor, row.lapsed_minor,
                       row.reversed_minor),
        plan_id=row.plan_id, plan_version=row.plan_version, effective_at=row.effective_at,
        explanation=row.explanation, inputs=row.inputs)


def stored_balances(session: Session) -> dict[tuple[str, str], Buckets]:
    """Per (affiliate, currency), summed by the database."""
    q = select(LedgerEntry.affiliate_id, LedgerEntry.currency,
               func.sum(LedgerEntry.unvested_minor), func.sum(LedgerEntry.vested_minor),
               func.sum(LedgerEntry.lapsed_minor), func.sum(LedgerEntry.reversed_minor)) \
        .group_by(LedgerEntry.affiliate_id, LedgerEntry.currency)
    return {(a, c): Buckets(int(u), int(v), int(lp), int(r))
            for a, c, u, v, lp, r in session.execute(q)}


def paid_minor(session: Session) -> dict[tuple[str, str], int]:
    """Per (affiliate, currency): money in payouts (pending or paid)."""
    q = select(Payout.affiliate_id, Payout.currency, func.sum(PayoutItem.amount_minor)) \
        .join(PayoutItem, PayoutItem.payout_id == Payout.id) \
        .where(Payout.status != "cancelled").group_by(Payout.affiliate_id, Payout.currency)
    return {(a, c): int(total) for a, c, total in session.execute(q)}


def run_payouts(session: Session, run_id: str, minimum_minor: dict[str, int],
                now: datetime, hold: timedelta = timedelta(0)) -> list[Payout]:
    """Create pending payouts for every affiliate owed at least the minimum; an entry already
    in a (non-cancelled) payout is never counted again, and money that vested less than
    `hold` ago waits for a later run."""
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.vested_minor != 0)).all()
    paid_ids = set(session.scalars(
        select(PayoutItem.entry_id).join(Payout, PayoutItem.payout_id == Payout.id)
        .where(Payout.status != "cancelled")))
    held_accounts_now = held_accounts(session)
    rows = [r for r in rows if r.account_id not in held_accounts_now]
    by_key = {r.entry_key: r for r in rows}
    paid = {r.entry_key for r in rows if r.id in paid_ids}
    affiliates = {a.id: a for a in session.scalars(select(Affiliate))}
    held = {a for a, row in affiliates.items() if row.status not in PAYABLE_STATUSES}
    out = []
    for proposal in propose_payouts([to_entry(r) for r in rows], paid, minimum_minor,
                                    held=held, vested_by=now - hold):
        payout = Payout(run_id=run_id, affiliate_id=proposal.affiliate_id,
                        currency=proposal.currency, amount_minor=proposal.amount_minor,
                        method=affiliates[proposal.affiliate_id].payout_method,
                        status="pending", reference=None, created_at=now, paid_at=None)
        session.add(payout)
        session.flush()
        session.add_all(PayoutItem(payout_id=payout.id, entry_id=by_key[k].id,
                                   amount_minor=by_key[k].vested_minor,
                                   currency=proposal.currency)
                        for k in proposal.entry_keys)
        out.append(payout)
    session.flush()
    return out


def mark_paid(session: Session, payout_id: int, reference: str | None, now: datetime) -> Payout:
    """Record that a pending payout was sent."""
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise ConfigError(f"there is no payout {payout_id}",
                          hint="List payouts with `successlink payouts export`.")
    if payout.status != "pending":
        raise ConfigError(f"payout {payout_id} is {payout.status}, not pending",
                          hint="Only a pending payout can be marked paid.")
    payout.status, payout.reference, payout.paid_at = "paid", reference, now
    return payout


def settle_all(session: Session, plans: Sequence[Plan], now: datetime,
               default_plan: str | None = None) -> list[Entry]:
    """Settle every referred customer as of `now` (the periodic job: vesting days pass
    without any webhook to trigger them)."""
    customers = session.scalars(select(Customer).where(Customer.affiliate_id.is_not(None))
                                .order_by(Customer.id)).all()
    out: list[Entry] = []
    for customer in customers:
        out.extend(settle_customer(session, customer, plans, now, default_plan))
    return out


def referral_facts(session: Session, default_plan: str | None = None,
                   since: datetime | None = None) -> list[AccountFacts]:
    """The facts of every referred customer (sales paid from `since` on), for simulations."""
    customers = session.scalars(select(Customer).where(Customer.affiliate_id.is_not(None))
                                .order_by(Customer.id)).all()
    out = []
    for customer in customers:
        facts = customer_facts(session, customer, default_plan)
        if facts is None:
            continue
        if since is not None:
            facts = replace(facts, sales=frozenset(s for s in facts.sales if s.paid_at >= since))
        if facts.sales:
            out.append(facts)
    return out
