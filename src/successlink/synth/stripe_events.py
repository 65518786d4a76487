"""Each account's Stripe webhook events, written in time order in its API version's shape.

The facts (subscriptions, invoices, charges, changes...) are turned into *moments*, sorted per
account by time and by the order things happen within one second (the customer exists
before its subscription, an invoice opens before it is charged...). Walking the moments
keeps the current state of every subscription, invoice and charge, so each event carries
the object as Stripe would send it at that instant, with `previous_attributes` on updates.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from successlink.synth import catalog
from successlink.synth import stripe_objects as so
from successlink.synth import stripe_payments as sp
from successlink.synth.billing import DISPUTE_REASONS, FAILURE_CODES, REFUND_REASONS, Billing
from successlink.synth.lives import INVOLUNTARY, TRIAL_LAPSED, Lifecycle
from successlink.synth.periods import add_months
from successlink.synth.strings import stripe_id
from successlink.synth.stripe_ids import StripeIds
from successlink.synth.world import Accounts, Window

I64 = npt.NDArray[np.int64]
Json = dict[str, Any]
Emit = Callable[[bytes, bytes], None]
# Moment kinds, in the order they apply within one second.
(CUSTOMER, SUB_CREATED, OPEN_INVOICE, FREE_PAID, TRIAL_END, CHANGE, CANCEL_REQUEST, ATTEMPT,
 WRITE_OFF, CHECKOUT, REFUND, DISPUTE, DELETED) = range(13)
EVENTS_PER_ACCOUNT = 1 << 16


def moments(accounts: Accounts, life: Lifecycle, billing: Billing,
            window: Window) -> tuple[I64, I64, I64, I64]:
    """(account row, time, kind, row in the kind's table), sorted for the walk."""
    lives, inv, ch = life.lives, billing.invoices, billing.charges
    rows = np.arange(len(accounts), dtype=np.int64)
    converted = (lives.trial & (lives.mode != TRIAL_LAPSED)
                 & (lives.anchor < window.horizon))
    parts = [
        (rows, accounts.acquired_at, CUSTOMER, rows),
        (rows, accounts.acquired_at + 60, CHECKOUT, rows),
        (lives.account, lives.started_at, SUB_CREATED, None),
        (lives.account[converted], lives.anchor[converted], TRIAL_END,
         np.flatnonzero(converted)),
        _where(lives.account, lives.cancel_requested_at, CANCEL_REQUEST),
        _where(lives.account, lives.ended_at, DELETED),
        (inv.account, inv.created, OPEN_INVOICE, None),
        (inv.account[inv.total == 0], inv.created[inv.total == 0], FREE_PAID,
         np.flatnonzero(inv.total == 0)),
        _where(inv.account, inv.written_off_at, WRITE_OFF),
        (ch.account, ch.created, ATTEMPT, None),
        (life.changes.account, life.changes.at, CHANGE, None),
        (billing.refunds.account, billing.refunds.created, REFUND, None),
        (billing.disputes.account, billing.disputes.created, DISPUTE, None),
    ]
    account = np.concatenate([p[0] for p in parts])
    time = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[2], np.int64) for p in parts])
    ref = np.concatenate([np.arange(len(p[0])) if p[3] is None else p[3] for p in parts])
    order = np.lexsort((ref, kind, time, account))
    return account[order], time[order], kind[order], ref[order].astype(np.int64)


def _where(account: I64, at: I64, kind: int) -> tuple[I64, I64, int, I64]:
    chosen = np.flatnonzero(at >= 0)
    return account[chosen], at[chosen], kind, chosen


def write_events(accounts: Accounts, life: Lifecycle, billing: Billing, window: Window,
                 seed: int, affiliate_ids: list[str], emit: Emit) -> int:
    """Emit every event of the chunk as (sort key, JSON line); returns how many."""
    walker = _Walker(accounts, life, billing, window, seed, emit)
    walker.facts.affiliates = [affiliate_ids[a] if a >= 0 else None
                               for a in accounts.affiliate.tolist()]
    account, time, kind, ref = moments(accounts, life, billing, window)
    handlers = walker.handlers()
    current = -1
    for a, t, k, r in zip(account.tolist(), time.tolist(), kind.tolist(), ref.tolist(),
                          strict=True):
        if a != current:
            walker.start_account(a)
            current = a
        handlers[k](t, r)
    return walker.count


class _Walker:
    """Replays one chunk's moments account by account, keeping object state."""

    def __init__(self, accounts: Accounts, life: Lifecycle, billing: Billing, window: Window,
                 seed: int, emit: Emit) -> None:
        self.ids = StripeIds.build(accounts, life, billing, seed)
        self.facts = _Facts(accounts, life, billing)
        self.catalog_created = window.start
        self.seed, self.emit, self.count = seed, emit, 0
        self.row, self.seq = -1, 0
        self.basil, self.api = False, so.OLD_API
        self.subs: dict[int, so.SubscriptionState] = {}
        self.invoices: dict[int, sp.InvoiceState] = {}
        self.charges: dict[int, sp.ChargeState] = {}
        first_end = add_months(life.lives.anchor, np.where(
            accounts.annual[life.lives.account], 12, 1))
        self.first_end = np.where(life.lives.trial, life.lives.anchor, first_end).tolist()

    def handlers(self) -> dict[int, Callable[[int, int], None]]:
        """The handler of each moment kind."""
        return {CUSTOMER: self.customer, SUB_CREATED: self.sub_created,
                OPEN_INVOICE: self.open_invoice, FREE_PAID: self.free_paid,
                TRIAL_END: self.trial_end, CHANGE: self.change,
                CANCEL_REQUEST: self.cancel_request, ATTEMPT: self.attempt,
                WRITE_OFF: self.write_off, CHECKOUT: self.checkout, REFUND: self.refund,
                DISPUTE: self.dispute, DELETED: self.deleted}

    def start_account(self, row: int) -> None:
        """Forget the previous account's objects; the next moments are this one's."""
        self.row, self.seq = row, 0
        self.subs.clear()
        self.invoices.clear()
        self.charges.clear()
        self.basil = self.facts.basil[row]
        self.api = so.BASIL_API if self.basil else so.OLD_API

    def _event(self, kind: str, at: int, obj: Json, previous: Json | None = None) -> None:
        index = self.facts.index[self.row]
        event_id = stripe_id("evt", index * EVENTS_PER_ACCOUNT + self.seq, self.seed)
        data: Json = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        line = orjson.dumps({"id": event_id, "object": "event", "api_version": self.api,
                             "created": at, "data": data, "livemode": False,
                             "pending_webhooks": 1,
                             "request": {"id": None, "idempotency_key": None}, "type": kind})
        self.emit(b"%011d%08d%05d" % (at, index, self.seq), line)
        self.seq += 1
        self.count += 1

    def _sub(self, at: int, sub: so.SubscriptionState, kind: str = "updated",
             previous: Json | None = None) -> None:
        obj = so.subscription(sub, self.basil, self.catalog_created)
        self._event(f"customer.subscription.{kind}", at, obj, previous)

    def customer(self, at: int, row: int) -> None:
        """customer.created: the account signs up."""
        f = self.facts
        self._event("customer.created", at, so.customer(
            self.ids.customers[row], f.account_ids[row], f.affiliates[row], f.emails[row],
            f.names[row], f.countries[row], at, self.ids.prefixes[row]))

    def checkout(self, at: int, row: int) -> None:
        """checkout.session.completed: the session carries the referral code."""
        f = self.facts
        self._event("checkout.session.completed", at, so.checkout_session(
            self.ids.sessions[row], self.ids.customers[row], self.ids.subscriptions[
                f.first_life[row]], f.affiliates[row], f.emails[row], f.names[row],
            f.first_total[row], f.eur[row], at - 60))

    def sub_created(self, at: int, life: int) -> None:
        """customer.subscription.created: trialing, or active from the first invoice."""
        f, row = self.facts, self.row
        trial = f.life_trial[life]
        anchor = f.life_anchor[life]
        sub = so.SubscriptionState(
            id=self.ids.subscriptions[life], customer=self.ids.customers[row],
            items=list(self.ids.items[life]), created=at, anchor=anchor,
            trial_start=at if trial else None, trial_end=anchor if trial else None,
            status="trialing" if trial else "active", tier=f.life_tier[life],
            seats=f.life_seats[life], addon=False, annual=f.annual[row], eur=f.eur[row],
            period_start=at if trial else anchor, period_end=self.first_end[life])
        self.subs[f.life_no[life]] = sub
        self._sub(at, sub, "created")

    def open_invoice(self, at: int, row: int) -> None:
        """A new billing period: Stripe announces a renewal with a subscription update."""
        f = self.facts
        sub = self.subs[f.inv_life[row]]
        renewal = not f.inv_first[row] and sub.status != "trialing"
        previous: Json = {"latest_invoice": sub.latest_invoice}
        if self.basil:
            previous["items"] = so.items(sub, True, self.catalog_created)
        else:
            previous.update(current_period_end=sub.period_end,
                            current_period_start=sub.period_start)
        sub.period_start, sub.period_end = f.inv_start[row], f.inv_end[row]
        sub.latest_invoice = self.ids.invoices[row]
        if renewal:
            self._sub(at, sub, previous=previous)
        self.invoices[row] = sp.InvoiceState(
            id=self.ids.invoices[row], number=f"{self.ids.prefixes[self.row]}-"
            f"{f.inv_number[row] + 1:04d}", line_ids=self.ids.lines[row], created=at,
            period_start=f.inv_start[row], period_end=f.inv_end[row], total=f.inv_total[row],
            first=f.inv_first[row], payment_intent=self.ids.intents[row],
            billed=copy.copy(sub))

    def free_paid(self, at: int, row: int) -> None:
        """invoice.paid for the zero invoice that opens a trial."""
        inv = self.invoices[row]
        inv.status, inv.paid_at = "paid", at
        self._invoice_event("invoice.paid", at, inv)

    def _invoice_event(self, kind: str, at: int, inv: sp.InvoiceState) -> None:
        f = self.facts
        self._event(kind, at, sp.invoice(inv, f.emails[self.row], f.names[self.row],
                                         self.basil, self.catalog_created))

    def trial_end(self, at: int, life: int) -> None:
        """customer.subscription.updated: the trial converts."""
        sub = self.subs[self.facts.life_no[life]]
        sub.status = "active"
        previous: Json = {"status": "trialing"}
        if not self.basil:
            previous.update(current_period_start=sub.created, current_period_end=at)
        self._sub(at, sub, previous=previous)

    def change(self, at: int, row: int) -> None:
        """customer.subscription.updated with the old items (and plan, quantity) as before."""
        f = self.facts
        sub = self.subs[f.change_life[row]]
        old_items = so.items(sub, self.basil, self.catalog_created)
        old_plan, old_quantity = so.top_level(sub, self.catalog_created)
        sub.tier, sub.seats, sub.addon = f.change_tier[row], f.change_seats[row], f.change_addon[
            row]
        previous: Json = {"items": old_items}
        if not self.basil:
            new_plan, new_quantity = so.top_level(sub, self.catalog_created)
            if old_plan != new_plan:
                previous["plan"] = old_plan
            if old_quantity != new_quantity:
                previous["quantity"] = old_quantity
        self._sub(at, sub, previous=previous)

    def cancel_request(self, at: int, life: int) -> None:
        """customer.subscription.updated: cancellation at period end requested."""
        sub = self.subs[self.facts.life_no[life]]
        sub.cancel_at, sub.canceled_at = self.facts.life_ended[life], at
        self._sub(at, sub, previous={"cancel_at": None, "cancel_at_period_end": False,
                                     "canceled_at": None})

    def deleted(self, at: int, life: int) -> None:
        """customer.subscription.deleted, with the reason and the customer's feedback."""
        f = self.facts
        sub = self.subs[f.life_no[life]]
        sub.status, sub.ended_at = "canceled", at
        sub.canceled_at = sub.canceled_at or at
        if f.life_mode[life] == INVOLUNTARY:
            sub.reason, sub.feedback = "payment_failed", None
        else:
            sub.reason = "cancellation_requested"
            sub.feedback = catalog.CANCEL_REASONS[f.life_reason[life]]
        self._sub(at, sub, "deleted")

    def attempt(self, at: int, row: int) -> None:
        """A payment attempt: charge.succeeded / charge.failed and the invoice's event."""
        f = self.facts
        inv = self.invoices[f.charge_invoice[row]]
        failure = f.charge_failure[row]
        ch = sp.ChargeState(self.ids.charges[row], self.ids.customers[self.row], inv.id,
                            inv.payment_intent, f.charge_amount[row],
                            so.currency(f.eur[self.row]), at,
                            None if failure < 0 else FAILURE_CODES[failure], refunds=[])
        self.charges[row] = ch
        inv.attempts += 1
        inv.charge = ch.id
        sub = self.subs[f.inv_life[f.charge_invoice[row]]]
        if failure >= 0:
            self._failed(at, inv, ch, sub, f.charge_next[row])
        else:
            self._paid(at, inv, ch, sub, row)

    def _failed(self, at: int, inv: sp.InvoiceState, ch: sp.ChargeState,
                sub: so.SubscriptionState, next_attempt: int) -> None:
        inv.next_attempt = next_attempt if next_attempt >= 0 else None
        self._event("charge.failed", at, sp.charge(ch, self.facts.emails[self.row], self.basil))
        self._invoice_event("invoice.payment_failed", at, inv)
        if sub.status == "active":
            sub.status = "past_due"
            self._sub(at, sub, previous={"status": "active"})

    def _paid(self, at: int, inv: sp.InvoiceState, ch: sp.ChargeState,
              sub: so.SubscriptionState, row: int) -> None:
        inv.status, inv.paid_at, inv.next_attempt = "paid", at, None
        self._event("charge.succeeded", at,
                    sp.charge(ch, self.facts.emails[self.row], self.basil))
        if self.basil:
            payment = sp.invoice_payment(self.ids.invoice_payments[row], inv, ch.id,
                                         ch.currency, at)
            inv.payments = [payment]
            self._invoice_event("invoice.paid", at, inv)
            self._event("invoice_payment.paid", at, payment)
        else:
            self._invoice_event("invoice.paid", at, inv)
        if sub.status == "past_due":
            sub.status = "active"
            self._sub(at, sub, previous={"status": "past_due"})

    def write_off(self, at: int, row: int) -> None:
        """invoice.marked_uncollectible when dunning ends the subscription."""
        inv = self.invoices[row]
        inv.status, inv.written_off_at, inv.next_attempt = "uncollectible", at, None
        self._invoice_event("invoice.marked_uncollectible", at, inv)

    def refund(self, at: int, row: int) -> None:
        """charge.refunded (and refund.created in the Basil shape)."""
        f = self.facts
        ch = self.charges[f.refund_charge[row]]
        before, old_refunds = ch.refunded, list(ch.refunds or [])
        obj = sp.refund(self.ids.refunds[row], ch, f.refund_amount[row],
                        REFUND_REASONS[f.refund_reason[row]], at)
        ch.refunded += f.refund_amount[row]
        previous: Json = {"amount_refunded": before, "refunded": False}
        if not self.basil:
            ch.refunds = [*old_refunds, obj]
            previous["refunds"] = {"data": old_refunds, "total_count": len(old_refunds)}
        self._event("charge.refunded", at, sp.charge(ch, f.emails[self.row], self.basil),
                    previous)
        if self.basil:
            self._event("refund.created", at, obj)

    def dispute(self, at: int, row: int) -> None:
        """charge.dispute.created."""
        f = self.facts
        ch = self.charges[f.dispute_charge[row]]
        ch.disputed = True
        self._event("charge.dispute.created", at, sp.dispute(
            self.ids.disputes[row], ch, DISPUTE_REASONS[f.dispute_reason[row]], at))


class _Facts:
    """The chunk's columns as Python lists, for fast access while walking."""

    def __init__(self, accounts: Accounts, life: Lifecycle, billing: Billing) -> None:
        lives, inv, ch, changes = life.lives, billing.invoices, billing.charges, life.changes
        self.index = accounts.index.tolist()
        self.account_ids = accounts.ids.to_pylist()
        self.emails = accounts.billing_emails.to_pylist()
        self.names = accounts.names.to_pylist()
        self.countries = [catalog.COUNTRIES[c][1] for c in accounts.country.tolist()]
        self.affiliates: list[str | None] = [None] * len(accounts)
        self.basil, self.annual = accounts.basil.tolist(), accounts.annual.tolist()
        self.eur = accounts.eur.tolist()
        self.life_no, self.life_trial = lives.life.tolist(), lives.trial.tolist()
        self.life_anchor, self.life_tier = lives.anchor.tolist(), lives.tier.tolist()
        self.life_seats, self.life_ended = lives.seats.tolist(), lives.ended_at.tolist()
        self.life_mode, self.life_reason = lives.mode.tolist(), lives.reason.tolist()
        self.first_life = np.searchsorted(lives.account * 4 + lives.life,
                                          np.arange(len(accounts)) * 4).tolist()
        first = inv.first & (inv.life == 0)
        totals = np.zeros(len(accounts), np.int64)
        totals[inv.account[first]] = inv.total[first]
        self.first_total = totals.tolist()
        self.inv_life, self.inv_start = inv.life.tolist(), inv.period_start.tolist()
        self.inv_end, self.inv_total = inv.period_end.tolist(), inv.total.tolist()
        self.inv_first, self.inv_number = inv.first.tolist(), inv.number.tolist()
        self.charge_invoice, self.charge_amount = ch.invoice.tolist(), ch.amount.tolist()
        self.charge_failure = ch.failure.tolist()
        self.charge_next = _next_attempt(ch.invoice, ch.created).tolist()
        self.change_life, self.change_tier = changes.life.tolist(), changes.tier_after.tolist()
        self.change_seats = changes.seats_after.tolist()
        self.change_addon = changes.addon_after.tolist()
        self.refund_charge = billing.refunds.charge.tolist()
        self.refund_amount = billing.refunds.amount.tolist()
        self.refund_reason = billing.refunds.reason.tolist()
        self.dispute_charge = billing.disputes.charge.tolist()
        self.dispute_reason = billing.disputes.reason.tolist()


def _next_attempt(invoice: I64, created: I64) -> I64:
    """For each charge, the time of the next attempt on the same invoice (-1 if none)."""
    order = np.lexsort((created, invoice))
    following = np.full(len(invoice), -1, np.int64)
    same = invoice[order][1:] == invoice[order][:-1]
    following[order[:-1][same]] = created[order][1:][same]
    return following
