"""What settling and fraud-checking referred customers reads from the app store, loaded for
many customers at once.

Settling one customer used to cost about twenty small queries (its sales, their refunds and
disputes, subscriptions, scores, tiers, reviews, ledger entries, and one count per sale for
the affiliate's paying referrals). A batch of webhooks touches hundreds of customers, so each
of those reads is made once for all of them here (`load_records`), and `books.customer_facts`
and `reviews.check_referral` answer from the loaded rows exactly as the per-customer queries
did. Settling one customer loads the records of just that customer: one code path.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Executable, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from successlink.program.buckets import Buckets
from successlink.program.facts import Rejection
from successlink.program.ledger import Entry
from successlink.store.affiliates import Affiliate
from successlink.store.customers import AccountScore, AffiliateTier, Customer
from successlink.store.fraud import FraudFlag, FraudReview
from successlink.store.ledger import LedgerEntry
from successlink.store.sales import Dispute, Refund, Sale, Subscription
from successlink.store.tracking import Click

# Values per IN list: far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
CHUNK = 500

T = TypeVar("T")
_Query = Callable[[list[Any]], Executable]


def ledger_account(customer: Customer) -> str:
    """The account a customer's entries are filed under (its warehouse account when known)."""
    return customer.account_id or f"customer:{customer.external_id}"


def to_row(entry: Entry, recorded_at: datetime) -> LedgerEntry:
    """The stored form of an entry."""
    return LedgerEntry(**entry_values(entry, recorded_at))


def entry_values(entry: Entry, recorded_at: datetime) -> dict[str, Any]:
    """An entry's columns, for a bulk insert."""
    c = entry.change
    return dict(
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


def chunks(values: Iterable[T], size: int = CHUNK) -> list[list[T]]:
    """Distinct values (in first-seen order) cut into IN-list-sized pieces."""
    unique = list(dict.fromkeys(values))
    return [unique[i:i + size] for i in range(0, len(unique), size)]


def rows_in(session: Session, values: Iterable[Any],
            query: _Query) -> list[Any]:
    """Run `query(piece)` for every piece of `values` and gather the results (nothing is
    queried when there are no values)."""
    out: list[Any] = []
    for piece in chunks(v for v in values if v is not None):
        out.extend(session.execute(query(piece)).all())
    return out


def scalars_in(session: Session, values: Iterable[Any],
               query: _Query) -> list[Any]:
    """`rows_in` for single-entity queries: the entities themselves."""
    return [row[0] for row in rows_in(session, values, query)]


@dataclass
class CustomerRecords:
    """The rows about a set of customers that settling and checking them needs.

    Mutable on purpose: settling a customer appends its new entries to `entries` and its new
    flags to `flag_kinds`, so a second customer filed under the same ledger account (two
    billing customers of one warehouse account) sees them, as it would after a flush.
    """

    affiliates: dict[str, Affiliate] = field(default_factory=dict)
    sales: dict[int, list[Sale]] = field(default_factory=dict)
    refunds_by: dict[str, dict[str, list[Refund]]] = field(default_factory=dict)
    disputes_by: dict[str, dict[str, list[Dispute]]] = field(default_factory=dict)
    subscriptions: dict[str, list[Subscription]] = field(default_factory=dict)
    scores: dict[str, list[AccountScore]] = field(default_factory=dict)
    tiers: dict[str, list[AffiliateTier]] = field(default_factory=dict)
    rejections: dict[str, list[Rejection]] = field(default_factory=dict)
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    flag_kinds: dict[str, set[str]] = field(default_factory=dict)
    clicks: dict[str, Click] = field(default_factory=dict)
    # Per affiliate: the earliest sale time of each of its referred customers, and the same
    # times sorted (to count the customers that had paid before an instant).
    first_paid: dict[str, dict[int, datetime]] = field(default_factory=dict)
    first_paid_sorted: dict[str, list[datetime]] = field(default_factory=dict)

    def sales_of(self, customer: Customer) -> list[Sale]:
        return self.sales.get(customer.id, [])

    def refunds_of(self, sales: Sequence[Sale]) -> list[Refund]:
        """Refunds whose invoice is one of the sales, or whose charge or payment intent is
        one of theirs (as `RefundRow.invoice_id IN ... OR charge_id IN ... OR ...`)."""
        keys = {"invoice": [s.id for s in sales],
                "charge": [s.charge_id for s in sales if s.charge_id],
                "intent": [s.payment_intent_id for s in sales if s.payment_intent_id]}
        found: dict[str, Refund] = {}
        for kind, values in keys.items():
            for value in values:
                for row in self.refunds_by.get(kind, {}).get(value, []):
                    found[row.id] = row
        return list(found.values())

    def disputes_of(self, sales: Sequence[Sale]) -> list[Dispute]:
        keys = {"charge": [s.charge_id for s in sales if s.charge_id],
                "intent": [s.payment_intent_id for s in sales if s.payment_intent_id]}
        found: dict[str, Dispute] = {}
        for kind, values in keys.items():
            for value in values:
                for row in self.disputes_by.get(kind, {}).get(value, []):
                    found[row.id] = row
        return list(found.values())

    def paying_referrals_before(self, customer: Customer, at: datetime) -> int:
        """Other customers of the customer's affiliate with a sale paid before `at` (the
        volume tiers' count)."""
        affiliate = customer.affiliate_id
        if affiliate is None:
            return 0
        count = bisect_left(self.first_paid_sorted.get(affiliate, []), at)
        own = self.first_paid.get(affiliate, {}).get(customer.id)
        return count - (1 if own is not None and own < at else 0)


def load_records(session: Session, customers: Sequence[Customer], *,
                 count_referrals: bool = True) -> CustomerRecords:
    """Everything `customer_facts` and `check_referral` read about these customers, in one
    query per table (customers nobody referred need nothing).

    Counting an affiliate's paying referrals (for volume tiers) reads a row per customer of
    every affiliate in the batch, which grows with the affiliates, not the batch; a caller
    whose plans have no tiers passes `count_referrals=False` (every count is then 0, which
    no rule without tiers reads)."""
    referred = [c for c in customers if c.affiliate_id is not None]
    out = CustomerRecords()
    if not referred:
        return out
    affiliate_ids = sorted({str(c.affiliate_id) for c in referred})
    accounts = sorted({ledger_account(c) for c in referred})
    out.affiliates = {a.id: a for a in scalars_in(
        session, affiliate_ids, lambda v: select(Affiliate).where(Affiliate.id.in_(v)))}
    sales: list[Sale] = scalars_in(session, [c.id for c in referred],
                                   lambda v: select(Sale).where(Sale.customer_id.in_(v)))
    for sale in sales:
        out.sales.setdefault(sale.customer_id, []).append(sale)
    _load_refunds(session, sales, out)
    subs = scalars_in(session, [c.external_id for c in referred],
                      lambda v: select(Subscription)
                      .where(Subscription.customer_external_id.in_(v)))
    for sub in subs:
        out.subscriptions.setdefault(sub.customer_external_id, []).append(sub)
    for score in scalars_in(session, accounts, lambda v: select(AccountScore)
                            .where(AccountScore.account_id.in_(v))
                            .order_by(AccountScore.as_of)):
        out.scores.setdefault(score.account_id, []).append(score)
    for tier in scalars_in(session, affiliate_ids, lambda v: select(AffiliateTier)
                           .where(AffiliateTier.affiliate_id.in_(v))
                           .order_by(AffiliateTier.as_of)):
        out.tiers.setdefault(tier.affiliate_id, []).append(tier)
    for subject, at, reason in rows_in(
            session, accounts, lambda v: select(FraudFlag.subject, FraudReview.reviewed_at,
                                                FraudReview.reason)
            .join(FraudFlag, FraudFlag.id == FraudReview.flag_id)
            .where(FraudFlag.subject.in_(v), FraudReview.decision == "reject")):
        out.rejections.setdefault(subject, []).append(Rejection(at, reason))
    _load_entries(session, accounts, out)
    for subject, kind in rows_in(session, accounts, lambda v: select(
            FraudFlag.subject, FraudFlag.kind).where(FraudFlag.subject.in_(v))):
        out.flag_kinds.setdefault(subject, set()).add(kind)
    out.clicks = {c.id: c for c in scalars_in(
        session, [c.click_id for c in referred], lambda v: select(Click).where(Click.id.in_(v)))}
    if count_referrals:
        _load_first_paid(session, affiliate_ids, out)
    return out


def _load_refunds(session: Session, sales: Sequence[Sale], out: CustomerRecords) -> None:
    def matching(table: type[Refund] | type[Dispute],
                 column: InstrumentedAttribute[str | None], values: list[str]) -> list[Any]:
        return scalars_in(session, values, lambda v: select(table).where(column.in_(v)))

    invoices = [s.id for s in sales]
    charges = [s.charge_id for s in sales if s.charge_id]
    intents = [s.payment_intent_id for s in sales if s.payment_intent_id]
    refunds: dict[str, Refund] = {}
    for rows in (matching(Refund, Refund.invoice_id, invoices),
                 matching(Refund, Refund.charge_id, charges),
                 matching(Refund, Refund.payment_intent_id, intents)):
        refunds.update((r.id, r) for r in rows)
    disputes: dict[str, Dispute] = {}
    for rows in (matching(Dispute, Dispute.charge_id, charges),
                 matching(Dispute, Dispute.payment_intent_id, intents)):
        disputes.update((d.id, d) for d in rows)
    out.refunds_by = _index(refunds.values(), {"invoice": lambda r: r.invoice_id,
                                               "charge": lambda r: r.charge_id,
                                               "intent": lambda r: r.payment_intent_id})
    out.disputes_by = _index(disputes.values(), {"charge": lambda d: d.charge_id,
                                                 "intent": lambda d: d.payment_intent_id})


def _index(rows: Iterable[T], keys: dict[str, Callable[[T], str | None]]
           ) -> dict[str, dict[str, list[T]]]:
    out: dict[str, dict[str, list[T]]] = {kind: defaultdict(list) for kind in keys}
    for row in rows:
        for kind, key in keys.items():
            value = key(row)
            if value is not None:
                out[kind][value].append(row)
    return out


def _load_entries(session: Session, accounts: Sequence[str], out: CustomerRecords) -> None:
    rows = scalars_in(session, accounts, lambda v: select(LedgerEntry)
                      .where(LedgerEntry.account_id.in_(v)).order_by(LedgerEntry.id))
    for row in rows:
        out.entries.setdefault(row.account_id, []).append(to_entry(row))


def _load_first_paid(session: Session, affiliate_ids: Sequence[str],
                     out: CustomerRecords) -> None:
    for affiliate, customer_id, first in rows_in(
            session, affiliate_ids, lambda v: select(
                Customer.affiliate_id, Sale.customer_id, func.min(Sale.paid_at))
            .join(Customer, Customer.id == Sale.customer_id)
            .where(Customer.affiliate_id.in_(v))
            .group_by(Customer.affiliate_id, Sale.customer_id)):
        out.first_paid.setdefault(affiliate, {})[customer_id] = first
    out.first_paid_sorted = {a: sorted(times.values()) for a, times in out.first_paid.items()}

