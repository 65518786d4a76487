"""The ledger and plans in the app store: load facts, settle, append entries, pay out.

The only module of `program` that touches the database; the decisions are made by the pure
modules. Call each function inside one transaction (`with Session(engine).begin()`): a
settlement and its entries, or a payout and its items, are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
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
    Sale,
)
from successlink.program.ledger import Entry
from successlink.program.payouts import due_now, propose_payouts
from successlink.program.plans import Plan, load_plan
from successlink.program.records import (
    CustomerRecords,
    chunks,
    ledger_account,
    load_records,
    to_entry,
    to_row,
)
from successlink.store.affiliates import Affiliate
from successlink.store.customers import AccountScore, AffiliateTier, Customer
from successlink.store.fraud import FraudFlag
from successlink.store.ledger import LedgerEntry
from successlink.store.payouts import Payout, PayoutItem
from successlink.store.plans import CommissionPlan
from successlink.store.sales import Sale as SaleRow
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


def customer_facts(session: Session, customer: Customer, default_plan: str | None,
                   records: CustomerRecords | None = None) -> AccountFacts | None:
    """What the store knows about a referred customer; None when no affiliate referred it.

    `records` are the rows loaded for a whole batch of customers (records.py); without
    them this customer's are loaded."""
    if customer.affiliate_id is None or customer.referred_at is None:
        return None
    if records is None:
        records = load_records(session, [customer])
    affiliate = records.affiliates.get(customer.affiliate_id)
    plan_id = (affiliate.plan_id if affiliate else None) or default_plan
    if plan_id is None:
        raise ConfigError(f"affiliate {customer.affiliate_id} has no commission plan",
                          hint="Set default_plan in the program section of successlink.toml, "
                               "or give the affiliate a plan.")
    sales = records.sales_of(customer)
    # The customer's first payment is its earliest sale (ties by id), whatever order they
    # were delivered in.
    first = min(((s.paid_at, s.id) for s in sales), default=(None, None))[1]
    account = ledger_account(customer)
    scores = records.scores.get(account, [])
    tiers = records.tiers.get(customer.affiliate_id, [])
    return AccountFacts(
        referral=Referral(account, customer.affiliate_id, plan_id, customer.referred_at),
        sales=frozenset(_sale(records, s, customer, scores, tiers, first=s.id == first)
                        for s in sales),
        refunds=frozenset(linked_refunds(records, sales)),
        disputes=frozenset(_disputes(records, sales)),
        churns=frozenset(subscription_churns(records, customer)),
        rejections=frozenset(records.rejections.get(account, [])),
        health=frozenset(HealthReading(str(s.health_band), end_of_day(s.as_of))
                         for s in scores if s.health_band is not None))


def _latest(rows: Sequence[_Dated], at: datetime) -> _Dated | None:
    """The newest row scored as of a day that had ended by `at` (no look-ahead)."""
    return next((r for r in reversed(rows) if end_of_day(r.as_of) <= at), None)


def _sale(records: CustomerRecords, row: SaleRow, customer: Customer,
          scores: Sequence[AccountScore], tiers: Sequence[AffiliateTier], *,
          first: bool) -> Sale:
    """A sale with its quality inputs as they stood when it was paid."""
    score = _latest(scores, row.paid_at)
    tier = _latest(tiers, row.paid_at)
    return Sale(sale_id=row.id, amount_minor=row.amount_minor, currency=row.currency,
                paid_at=row.paid_at, first_payment=first,
                product_id=row.product_id, price_id=row.price_id,
                affiliate_tier=tier.tier if isinstance(tier, AffiliateTier) else None,
                health_band=score.health_band if isinstance(score, AccountScore) else None,
                activated=score.activated if isinstance(score, AccountScore) else None,
                active_referrals=records.paying_referrals_before(customer, row.paid_at))


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


def linked_refunds(records: CustomerRecords, sales: Sequence[SaleRow]) -> list[Refund]:
    """The refunds of these sales, each tied to its sale."""
    out = []
    for r in records.refunds_of(sales):
        sale_id = _sale_of(sales, r.invoice_id, r.charge_id, r.payment_intent_id)
        if sale_id is not None:
            out.append(Refund(sale_id, r.refunded_minor, r.refunded_at))
    return out


def _disputes(records: CustomerRecords, sales: Sequence[SaleRow]) -> list[Dispute]:
    out = []
    for d in records.disputes_of(sales):
        sale_id = _sale_of(sales, None, d.charge_id, d.payment_intent_id)
        if sale_id is not None:
            out.append(Dispute(sale_id, d.opened_at))
    return out


def subscription_churns(records: CustomerRecords, customer: Customer) -> list[datetime]:
    """The customer's churn: set by hand (or sync), or when every subscription has ended."""
    out = [customer.churned_at] if customer.churned_at else []
    subs = records.subscriptions.get(customer.external_id, [])
    ended = [s.ended_at for s in subs if s.ended_at is not None]
    if subs and len(ended) == len(subs):
        out.append(max(ended))
    return out


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
    new = customer_entries(session, customer, plans, now, default_plan,
                           load_records(session, [customer]))
    session.add_all(to_row(e, now) for e in new)
    session.flush()
    return new


def customer_entries(session: Session, customer: Customer, plans: Sequence[Plan],
                     now: datetime, default_plan: str | None,
                     records: CustomerRecords) -> list[Entry]:
    """The entries settling the customer as of `now` calls for, not yet stored: the caller
    adds them (`to_row`). Nothing is written, so a ConfigError leaves nothing half done.
    They are appended to `records`, so a customer settled next under the same ledger
    account sees them."""
    facts = customer_facts(session, customer, default_plan, records)
    if facts is None:
        return []
    account = facts.referral.account_id
    new = settle(facts, plans, now, records.entries.get(account, []))
    records.entries.setdefault(account, []).extend(new)
    return new


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


@dataclass(frozen=True)
class _PayoutInputs:
    """What a payout run selects from: the entries that moved vested money (referrals held
    for review left out), those already in a live payout, and who may not be paid now."""

    rows: list[LedgerEntry]
    paid: set[str]
    held: set[str]
    affiliates: dict[str, Affiliate]


def _payout_inputs(session: Session) -> _PayoutInputs:
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.vested_minor != 0)).all()
    paid_ids = set(session.scalars(
        select(PayoutItem.entry_id).join(Payout, PayoutItem.payout_id == Payout.id)
        .where(Payout.status != "cancelled")))
    held_accounts_now = held_accounts(session)
    rows = [r for r in rows if r.account_id not in held_accounts_now]
    affiliates = {a.id: a for a in session.scalars(select(Affiliate))}
    return _PayoutInputs(
        rows=rows, paid={r.entry_key for r in rows if r.id in paid_ids},
        held={a for a, row in affiliates.items() if row.status not in PAYABLE_STATUSES},
        affiliates=affiliates)


def payable_now(session: Session, now: datetime, hold: timedelta = timedelta(0)
                ) -> dict[tuple[str, str], int]:
    """Per (affiliate, currency): what a payout run now would pay, before the minimum (it
    may be negative: a clawback carried to the next payout). The rest of the unpaid vested
    money is waiting: inside the hold window, on a referral under review, or owed to an
    affiliate who may not be paid now."""
    inputs = _payout_inputs(session)
    out: dict[tuple[str, str], int] = {}
    for e in due_now([to_entry(r) for r in inputs.rows], inputs.paid, held=inputs.held,
                     vested_by=now - hold):
        key = (e.affiliate_id, e.currency)
        out[key] = out.get(key, 0) + e.change.vested
    return out


def run_payouts(session: Session, run_id: str, minimum_minor: dict[str, int],
                now: datetime, hold: timedelta = timedelta(0)) -> list[Payout]:
    """Create pending payouts for every affiliate owed at least the minimum; an entry already
    in a (non-cancelled) payout is never counted again, and money that vested less than
    `hold` ago waits for a later run."""
    if session.get_bind().dialect.name == "postgresql":
        # Two runs at once would each see the other's entries as unpaid; the second waits
        # here until the first commits (SQLite writers take turns anyway). The database
        # refuses a second live payout item for an entry in any case.
        session.execute(text("LOCK TABLE payout_items IN SHARE ROW EXCLUSIVE MODE"))
    inputs = _payout_inputs(session)
    by_key = {r.entry_key: r for r in inputs.rows}
    out = []
    for proposal in propose_payouts([to_entry(r) for r in inputs.rows], inputs.paid,
                                    minimum_minor, held=inputs.held, vested_by=now - hold):
        payout = Payout(run_id=run_id, affiliate_id=proposal.affiliate_id,
                        currency=proposal.currency, amount_minor=proposal.amount_minor,
                        method=inputs.affiliates[proposal.affiliate_id].payout_method,
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


def cancel_payout(session: Session, payout_id: int, reason: str, now: datetime) -> Payout:
    """Cancel a pending payout (the payment failed or will not be sent): its entries count
    as unpaid again, so the next payout run pays them. A paid payout cannot be cancelled:
    money that came back is an adjustment in the ledger."""
    if not reason.strip():
        raise ConfigError("say why the payout is cancelled",
                          hint="The affiliate sees the reason: --reason \"PayPal account "
                               "closed\".")
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise ConfigError(f"there is no payout {payout_id}",
                          hint="List payouts with `successlink payouts list`.")
    if payout.status != "pending":
        raise ConfigError(f"payout {payout_id} is {payout.status}, not pending",
                          hint="Only a pending payout can be cancelled; money returned "
                               "after a payment is an adjustment in the ledger.")
    payout.status, payout.cancel_reason, payout.cancelled_at = "cancelled", reason.strip(), now
    return payout


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
    without any webhook to trigger them). Their rows are read a chunk of customers at a
    time (records.py)."""
    customers = session.scalars(select(Customer).where(Customer.affiliate_id.is_not(None))
                                .order_by(Customer.id)).all()
    out: list[Entry] = []
    for chunk in chunks(customers):
        records = load_records(session, chunk)
        new = [e for customer in chunk for e in
               customer_entries(session, customer, plans, now, default_plan, records)]
        session.add_all(to_row(e, now) for e in new)
        session.flush()  # the next chunk's records read these entries
        out.extend(new)
    return out


def referral_facts(session: Session, default_plan: str | None = None,
                   since: datetime | None = None) -> list[AccountFacts]:
    """The facts of every referred customer (sales paid from `since` on), for simulations."""
    customers = session.scalars(select(Customer).where(Customer.affiliate_id.is_not(None))
                                .order_by(Customer.id)).all()
    out = []
    for chunk in chunks(customers):
        records = load_records(session, chunk)
        for customer in chunk:
            facts = customer_facts(session, customer, default_plan, records)
            if facts is None:
                continue
            if since is not None:
                facts = replace(facts, sales=frozenset(s for s in facts.sales
                                                       if s.paid_at >= since))
            if facts.sales:
                out.append(facts)
    return out
