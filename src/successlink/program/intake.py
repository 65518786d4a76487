"""Billing facts into the app store, a batch of changes at a time.

Every change is keyed by Stripe's own ids and merged order-free (webhooks.py says how), so
applying a batch in one pass gives the rows applying its changes one at a time would. What
a batch names (customers, sales, refunds, disputes, subscriptions, and the clicks,
affiliates and leads that say who referred a customer) is loaded up front in one query per
table, the changes are applied to those rows in memory, in delivery order, and the session
is flushed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from successlink.program.attribution import Evidence, prefer
from successlink.program.records import rows_in, scalars_in
from successlink.program.stripe_events import (
    Change,
    ChargeRefunded,
    CustomerSeen,
    DisputeOpened,
    SalePaid,
    SubscriptionState,
)
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.sales import Dispute, Refund, Sale, Subscription
from successlink.store.tracking import Click, Lead


def store_changes(session: Session, changes: Sequence[Change],
                  attribution: str = "first_click") -> list[Customer]:
    """Store the changes; returns the customers they concern, by external id (a refund or
    dispute concerns the customers whose sales its charge, payment intent or invoice
    belongs to). `attribution` picks the affiliate when evidence names several
    (program/attribution.py)."""
    batch = _Batch(session, changes, attribution)
    touched: set[str] = set()
    with session.no_autoflush:
        for change in changes:
            touched.update(batch.apply(change))
        batch.insert_new_customers()
    session.flush()
    owned = batch.owners()
    touched.update(owned)
    return [batch.customers.get(x) or owned[x] for x in sorted(touched)]


def _refund_key(change: ChargeRefunded) -> str:
    return f"{change.charge_id}:{change.refunded_minor}"


def _named(change: Change) -> tuple[str, datetime] | None:
    """The customer a change names and the time it shows it, if any."""
    if isinstance(change, CustomerSeen):
        return change.external_id, change.created_at
    if isinstance(change, SalePaid):
        return change.customer_external_id, change.paid_at
    if isinstance(change, SubscriptionState):
        return change.customer_external_id, change.event_at
    return None


def _of(changes: Iterable[Change], kind: type[Any]) -> list[Any]:
    return [c for c in changes if isinstance(c, kind)]


class _Batch:
    """The rows a batch of changes reads or writes, keyed by their ids."""

    def __init__(self, session: Session, changes: Sequence[Change],
                 attribution: str = "first_click") -> None:
        self.session = session
        self.changes = changes
        self.attribution = attribution
        seen: list[CustomerSeen] = _of(changes, CustomerSeen)
        sales: list[SalePaid] = _of(changes, SalePaid)
        refunds: list[ChargeRefunded] = _of(changes, ChargeRefunded)
        disputes: list[DisputeOpened] = _of(changes, DisputeOpened)
        subs: list[SubscriptionState] = _of(changes, SubscriptionState)
        named = [n for n in map(_named, changes) if n is not None]
        self.customers: dict[str, Customer] = {c.external_id: c for c in scalars_in(
            session, [x for x, _ in named],
            lambda v: select(Customer).where(Customer.external_id.in_(v)))}
        self.sales: dict[str, Sale] = {s.id: s for s in scalars_in(
            session, [c.sale_id for c in sales], lambda v: select(Sale).where(Sale.id.in_(v)))}
        self.refunds: dict[str, Refund] = {r.id: r for r in scalars_in(
            session, [_refund_key(c) for c in refunds],
            lambda v: select(Refund).where(Refund.id.in_(v)))}
        self.disputes: dict[str, Dispute] = {d.id: d for d in scalars_in(
            session, [c.dispute_id for c in disputes],
            lambda v: select(Dispute).where(Dispute.id.in_(v)))}
        self.subscriptions: dict[str, Subscription] = {s.id: s for s in scalars_in(
            session, [c.subscription_id for c in subs],
            lambda v: select(Subscription).where(Subscription.id.in_(v)))}
        self._load_referrers(seen)
        self._create_customers(named)

    def _load_referrers(self, seen: Sequence[CustomerSeen]) -> None:
        """Clicks, affiliates and leads that can say who referred the customers seen."""
        self.clicks: dict[str, Click] = {c.id: c for c in scalars_in(
            self.session, [c.click_id for c in seen],
            lambda v: select(Click).where(Click.id.in_(v)))}
        self.affiliates: set[str] = set(scalars_in(
            self.session, [c.affiliate_id for c in seen],
            lambda v: select(Affiliate.id).where(Affiliate.id.in_(v))))
        need = [c for c in seen if self._evidence(c) is None]
        emails = [c.email.lower() for c in need if c.email]
        found: dict[int, Lead] = {}
        for piece in rows_in(self.session, [c.external_id for c in need],
                             lambda v: select(Lead).where(Lead.customer_external_id.in_(v))):
            found[piece[0].id] = piece[0]
        for piece in rows_in(self.session, emails,
                             lambda v: select(Lead).where(Lead.email.in_(v))):
            found[piece[0].id] = piece[0]
        # The lead that counts comes first: the earliest (first-click) or the latest.
        self.leads = sorted(found.values(), key=lambda lead: (lead.created_at, lead.id),
                            reverse=self.attribution == "last_click")
        more = [lead.click_id for lead in self.leads if lead.click_id not in self.clicks]
        self.clicks.update((c.id, c) for c in scalars_in(
            self.session, more, lambda v: select(Click).where(Click.id.in_(v))))

    def _create_customers(self, named: Sequence[tuple[str, datetime]]) -> None:
        """Every customer a change names, created bare the first time one does; its
        `created_at` is the earliest time any change showed it (order-free)."""
        self.new: dict[str, Customer] = {}  # not in the session yet: see insert_new_customers
        for external_id, seen_at in named:
            customer = self.customers.get(external_id)
            if customer is None:
                customer = Customer(external_id=external_id, email=None, account_id=None,
                                    affiliate_id=None, click_id=None, referred_at=None,
                                    churned_at=None, created_at=seen_at)
                self.customers[external_id] = self.new[external_id] = customer
            elif seen_at < customer.created_at:
                customer.created_at = seen_at
        self.sale_owners: dict[str, str] = {}  # new sales of new customers: whose they are

    def insert_new_customers(self) -> None:
        """Insert the customers first named in this batch, with everything the batch said
        about them, in one statement (the ORM would insert them one by one to learn their
        ids, then update them); then read them back with their ids, in the order they were
        first named, and point their new sales at them."""
        if not self.new:
            return
        columns = ("external_id", "email", "account_id", "affiliate_id", "click_id",
                   "referred_at", "churned_at", "created_at")
        self.session.connection().execute(insert(cast(Table, Customer.__table__)), [
            {c: getattr(customer, c) for c in columns} for customer in self.new.values()])
        stored = scalars_in(self.session, list(self.new), lambda v: select(Customer)
                            .where(Customer.external_id.in_(v)))
        self.customers.update((c.external_id, c) for c in stored)
        for sale_id, external_id in self.sale_owners.items():
            self.sales[sale_id].customer_id = self.customers[external_id].id

    def apply(self, change: Change) -> list[str]:
        """Store one change; returns the external ids of the customers it names (refunds
        and disputes find theirs in `owners`, once every sale of the batch is stored)."""
        if isinstance(change, CustomerSeen):
            self._seen(change)
            return [change.external_id]
        if isinstance(change, SalePaid):
            self._sale(change)
            return [change.customer_external_id]
        if isinstance(change, ChargeRefunded):
            self._refund(change)
            return []
        if isinstance(change, DisputeOpened):
            if change.dispute_id not in self.disputes:
                dispute = Dispute(id=change.dispute_id, charge_id=change.charge_id,
                                  payment_intent_id=change.payment_intent_id,
                                  opened_at=change.at)
                self.disputes[change.dispute_id] = dispute
                self.session.add(dispute)
            return []
        self._subscription(change)
        return [change.customer_external_id]

    def _seen(self, change: CustomerSeen) -> None:
        customer = self.customers[change.external_id]
        customer.email = change.email.strip().lower() if change.email else customer.email
        customer.account_id = change.account_id or customer.account_id
        evidence = self._evidence(change) or self._lead(change)
        if evidence is None:
            return
        affiliate_id, click_id, at = evidence
        # The earliest (first-click) or latest (last-click) evidence by time wins, whatever
        # order the events came in: `prefer` is a total order.
        current = None
        if customer.affiliate_id is not None and customer.referred_at is not None:
            current = Evidence(customer.affiliate_id, customer.click_id, customer.referred_at)
        winner = prefer(current, Evidence(affiliate_id, click_id, at), self.attribution)
        if winner is not None and winner != current:
            customer.affiliate_id, customer.click_id, customer.referred_at = \
                winner.affiliate_id, winner.click_id, winner.at

    def _evidence(self, change: CustomerSeen) -> tuple[str, str | None, datetime] | None:
        """(affiliate, click, when) from a click id, else an affiliate id in metadata."""
        if change.click_id:
            click = self.clicks.get(change.click_id)
            if click is not None and click.affiliate_id is not None:
                return click.affiliate_id, click.id, click.clicked_at
        if change.affiliate_id and change.affiliate_id in self.affiliates:
            return change.affiliate_id, None, change.created_at
        return None

    def _lead(self, change: CustomerSeen) -> tuple[str, str | None, datetime] | None:
        """The earliest lead (the latest under last-click) for the customer's id or
        e-mail; it counts from its click, as when the lead came first."""
        email = change.email.lower() if change.email else None
        for lead in self.leads:
            if lead.customer_external_id == change.external_id or (
                    email is not None and lead.email == email):
                click = self.clicks.get(lead.click_id) if lead.click_id else None
                return (lead.affiliate_id, lead.click_id,
                        click.clicked_at if click else lead.created_at)
        return None

    def _sale(self, change: SalePaid) -> None:
        sale = self.sales.get(change.sale_id)
        if sale is None:
            owner = change.customer_external_id
            if owner in self.new:  # its id is known once it is inserted
                self.sale_owners[change.sale_id] = owner
            sale = Sale(id=change.sale_id, customer_id=self.customers[owner].id,
                        charge_id=change.charge_id, payment_intent_id=change.payment_intent_id,
                        amount_minor=change.amount_minor, currency=change.currency,
                        paid_at=change.paid_at, product_id=change.product_id,
                        price_id=change.price_id, billing_reason=change.billing_reason)
            self.sales[change.sale_id] = sale
            self.session.add(sale)
        else:  # another event for the same invoice: fill what the first one lacked
            sale.charge_id = sale.charge_id or change.charge_id
            sale.payment_intent_id = sale.payment_intent_id or change.payment_intent_id

    def _refund(self, change: ChargeRefunded) -> None:
        """Each cumulative refund amount of a charge is its own fact (a partial refund and
        the full one later both count, each from its own time); the same amount seen twice
        keeps the earlier time."""
        key = _refund_key(change)
        refund = self.refunds.get(key)
        if refund is None:
            refund = Refund(id=key, charge_id=change.charge_id,
                            payment_intent_id=change.payment_intent_id,
                            invoice_id=change.invoice_id, refunded_minor=change.refunded_minor,
                            currency=change.currency, refunded_at=change.at)
            self.refunds[key] = refund
            self.session.add(refund)
        else:
            refund.refunded_at = min(refund.refunded_at, change.at)
            refund.invoice_id = refund.invoice_id or change.invoice_id
            refund.payment_intent_id = refund.payment_intent_id or change.payment_intent_id

    def _subscription(self, change: SubscriptionState) -> None:
        sub = self.subscriptions.get(change.subscription_id)
        if sub is None:
            sub = Subscription(id=change.subscription_id,
                               customer_external_id=change.customer_external_id,
                               status=change.status, ended_at=change.ended_at,
                               event_at=change.event_at)
            self.subscriptions[change.subscription_id] = sub
            self.session.add(sub)
        elif _newer(change, sub):
            sub.status, sub.ended_at, sub.event_at = change.status, change.ended_at, \
                change.event_at

    def owners(self) -> dict[str, Customer]:
        """The customers whose stored sales the batch's refunds and disputes belong to (by
        charge, payment intent, or for a refund its invoice), by external id."""
        keys: list[tuple[str | None, str | None, str | None]] = [
            (c.charge_id, c.payment_intent_id, c.invoice_id) for c in _of(self.changes,
                                                                          ChargeRefunded)]
        keys += [(c.charge_id, c.payment_intent_id, None)
                 for c in _of(self.changes, DisputeOpened)]
        charges = {k[0] for k in keys if k[0]}
        intents = {k[1] for k in keys if k[1]}
        invoices = {k[2] for k in keys if k[2]}
        out: dict[str, Customer] = {}
        for values, column in ((charges, Sale.charge_id), (intents, Sale.payment_intent_id),
                               (invoices, Sale.id)):
            out.update((c.external_id, c) for c in _customers_with_sales(
                self.session, column, sorted(values)))
        return out


def _customers_with_sales(session: Session, column: InstrumentedAttribute[Any],
                          values: list[str]) -> list[Customer]:
    return scalars_in(session, values, lambda v: select(Customer)
                      .join(Sale, Sale.customer_id == Customer.id).where(column.in_(v)))


def _newer(change: SubscriptionState, stored: Subscription) -> bool:
    """Newest event wins; on a tie (Stripe's `created` is in seconds) an ended state wins,
    so the outcome does not depend on which of the two arrived first."""
    if change.event_at != stored.event_at:
        return change.event_at > stored.event_at
    return change.ended_at is not None and stored.ended_at is None

