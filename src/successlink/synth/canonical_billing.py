"""The billing facts as canonical tables: what the Stripe adapter would store, resolved.

Used by the Parquet format, where a world is too large to go through vendor files. Values
follow the adapter's conventions: upper-case currencies, MRR normalised to a month, invoice
and payment states as of the horizon, and the same Stripe ids as the event stream.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.synth import catalog
from successlink.synth.billing import (
    DISPUTE_REASONS,
    PAID,
    REFUND_REASONS,
    Billing,
    Returns,
    amounts,
)
from successlink.synth.columns import constant, instants
from successlink.synth.lives import TRIAL_LAPSED, VOLUNTARY, Lifecycle, rank_within
from successlink.synth.strings import concat, mix64, numbered, pick, stripe_ids
from successlink.synth.stripe_ids import (
    charge_ids,
    dispute_ids,
    invoice_ids,
    refund_ids,
    subscription_ids,
)
from successlink.synth.stripe_payments import FAILURE_MESSAGES
from successlink.synth.world import Accounts, Window

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
Columns = dict[str, Any]
_CURRENCIES = ("USD", "EUR")
_INVOICE_STATUSES = ("paid", "open", "uncollectible")
_REASONS = (*catalog.CANCEL_REASONS, "payment_failed")


def price_ids(tier: I64, annual: B, eur: B) -> pa.Array:
    """Core plan price ids (see catalog.price_id)."""
    return concat("price_", pick(catalog.TIERS, tier), "_",
                  pick(("month", "year"), annual.astype(np.int64)), "_",
                  pick(catalog.CURRENCIES, eur.astype(np.int64)))


def mrr(tier: I64, seats: I64, addon: B, annual: B) -> I64:
    """Monthly recurring revenue in minor units, halves rounded up."""
    total = amounts(tier, seats, addon, annual)
    months = np.where(annual, 12, 1)
    rounded: I64 = (2 * total + months) // (2 * months)
    return rounded


def _final_state(life: Lifecycle) -> tuple[I64, I64, B]:
    """Plan of each subscription once all its changes applied."""
    lives, changes = life.lives, life.changes
    tier, seats, addon = lives.tier.copy(), lives.seats.copy(), np.zeros(len(lives), bool)
    key = changes.account * 4 + changes.life
    if len(key):
        last = np.r_[key[1:] != key[:-1], True]
        at = np.searchsorted(lives.account * 4 + lives.life, key[last])
        tier[at], seats[at] = changes.tier_after[last], changes.seats_after[last]
        addon[at] = changes.addon_after[last]
    return tier, seats, addon


def subscriptions(accounts: Accounts, life: Lifecycle, billing: Billing, window: Window,
                  seed: int) -> Columns:
    """One row per subscription, in its state at the horizon (as its last event shows it)."""
    lives, inv = life.lives, billing.invoices
    a = lives.account
    annual, eur = accounts.annual[a], accounts.eur[a]
    tier, seats, addon = _final_state(life)
    latest = _latest_invoice(life, billing)
    ended = lives.ended_at >= 0
    failed = np.zeros(len(inv.account), bool)
    failed[billing.charges.invoice[~billing.charges.succeeded]] = True
    overdue = failed[latest] & (inv.status[latest] != PAID)
    status = np.where(ended, "canceled", np.where(
        lives.trial & (lives.anchor >= window.horizon), "trialing",
        np.where(overdue, "past_due", "active")))
    voluntary = lives.mode == VOLUNTARY
    unit = catalog.SEAT_PRICE_MONTHLY[tier] * np.where(annual, catalog.ANNUAL_MONTHS_BILLED, 1)
    return {
        "subscription_id": subscription_ids(accounts.index[a], lives.life, seed),
        "account_id": accounts.ids.take(pa.array(a)),
        "customer_key": accounts.customer_ids.take(pa.array(a)),
        "plan_id": price_ids(tier, annual, eur),
        "plan_name": concat(pick(catalog.TIER_NAMES, tier), " (",
                            pick(("monthly", "yearly"), annual.astype(np.int64)), ")"),
        "product_id": constant(catalog.CORE_PRODUCT[0], len(lives)),
        "unit_amount_minor": unit, "currency": pick(_CURRENCIES, eur.astype(np.int64)),
        "quantity": seats, "interval": pick(("month", "year"), annual.astype(np.int64)),
        "interval_count": np.ones(len(lives), np.int64),
        "mrr_minor": mrr(tier, seats, addon, annual), "status": pa.array(status.tolist()),
        "started_at": instants(lives.started_at),
        "trial_start": instants(np.where(lives.trial, lives.started_at, -1)),
        "trial_end": instants(np.where(lives.trial, lives.anchor, -1)),
        "current_period_start": instants(inv.period_start[latest]),
        "current_period_end": instants(inv.period_end[latest]),
        "canceled_at": instants(np.where(voluntary, lives.cancel_requested_at, lives.ended_at)),
        "cancel_at": instants(np.where(voluntary, lives.ended_at, -1)),
        "ended_at": instants(lives.ended_at),
        "cancellation_reason": pc.if_else(pa.array(lives.reason >= 0), pick(
            _REASONS, np.maximum(lives.reason, 0)), None),
        "updated_at": instants(_last_update(life, billing, window)),
        "source": constant("stripe", len(lives)),
    }


def _life_rows(life: Lifecycle, account: I64, life_no: I64) -> I64:
    """Row in the lives table of each (account, life) pair."""
    rows: I64 = np.searchsorted(life.lives.account * 4 + life.lives.life, account * 4 + life_no)
    return rows


def _latest_invoice(life: Lifecycle, billing: Billing) -> I64:
    """Each subscription's latest invoice (every subscription has at least one)."""
    key = billing.invoices.account * 4 + billing.invoices.life
    latest: I64 = np.searchsorted(key, life.lives.account * 4 + life.lives.life,
                                  side="right") - 1
    return latest


def _last_update(life: Lifecycle, billing: Billing, window: Window) -> I64:
    """When each subscription's last event happened: creation, trial end, renewal, plan
    change, status change on a failed or recovered payment, cancellation or deletion."""
    lives, inv, ch, changes = life.lives, billing.invoices, billing.charges, life.changes
    converted = lives.trial & (lives.mode != TRIAL_LAPSED) & (lives.anchor < window.horizon)
    out: I64 = np.maximum.reduce([lives.started_at, np.where(converted, lives.anchor, -1),
                                  lives.cancel_requested_at, lives.ended_at])
    renewals = ~inv.first
    np.maximum.at(out, _life_rows(life, inv.account[renewals], inv.life[renewals]),
                  inv.created[renewals])
    order = np.lexsort((ch.created, ch.invoice))
    attempt = np.empty(len(order), np.int64)
    attempt[order] = rank_within(ch.invoice[order])
    flips = (~ch.succeeded & (attempt == 0)) | (ch.succeeded & (attempt > 0))
    np.maximum.at(out, _life_rows(life, ch.account[flips], inv.life[ch.invoice[flips]]),
                  ch.created[flips])
    np.maximum.at(out, _life_rows(life, changes.account, changes.life), changes.at)
    return out


def changes(accounts: Accounts, life: Lifecycle, seed: int) -> Columns:
    """New subscriptions, plan changes and cancellations with their MRR movement."""
    lives, c = life.lives, life.changes
    tier, seats, addon = _final_state(life)
    ended = np.flatnonzero(lives.ended_at >= 0)
    a = np.r_[lives.account, c.account, lives.account[ended]]
    annual, eur = accounts.annual[a], accounts.eur[a]
    n_new = len(lives)
    life_no = np.r_[lives.life, c.life, lives.life[ended]]
    at = np.r_[lives.started_at, c.at, lives.ended_at[ended]]
    zero = np.zeros(n_new, bool)
    before = (np.r_[lives.tier, c.tier_before, tier[ended]],
              np.r_[np.zeros(n_new, np.int64), c.seats_before, seats[ended]],
              np.r_[zero, c.addon_before, addon[ended]])
    after = (np.r_[lives.tier, c.tier_after, tier[ended]],
             np.r_[lives.seats, c.seats_after, np.zeros(len(ended), np.int64)],
             np.r_[zero, c.addon_after, np.zeros(len(ended), bool)])
    delta = mrr(*after, annual) - mrr(*before, annual)
    kinds = np.r_[np.zeros(n_new, np.int64), c.kind + 1, np.full(len(ended), 6)]
    names = ("new", "upgrade", "downgrade", "seat_change", "cross_sell", "downgrade", "cancel")
    order = np.lexsort((kinds, at, a))
    number = rank_within(a[order])
    columns = _change_columns(accounts, a, life_no, at, kinds, names, before, after, delta,
                              annual, eur, seed)
    table = {name: _take(values, order) for name, values in columns.items()}
    table["change_id"] = stripe_ids("chg", accounts.index[a[order]] * 65536 + number, seed)
    return table


def _take(values: Any, order: I64) -> Any:
    if isinstance(values, pa.Array):
        return values.take(pa.array(order))
    return np.asarray(values)[order]


def _change_columns(accounts: Accounts, a: I64, life_no: I64, at: I64, kinds: I64,
                    names: tuple[str, ...], before: tuple[I64, I64, B],
                    after: tuple[I64, I64, B], delta: I64, annual: B, eur: B,
                    seed: int) -> Columns:
    addon_price = concat("price_insights_", pick(("month", "year"), annual.astype(np.int64)),
                         "_", pick(catalog.CURRENCIES, eur.astype(np.int64)))
    cross = pa.array(kinds == 4)
    new, cancel = pa.array(kinds == 0), pa.array(kinds == 6)
    from_plan = pc.if_else(pc.or_(new, cross), None, price_ids(before[0], annual, eur))
    to_plan = pc.if_else(cancel, None, pc.if_else(cross, addon_price,
                                                  price_ids(after[0], annual, eur)))
    return {
        "subscription_id": subscription_ids(accounts.index[a], life_no, seed),
        "account_id": accounts.ids.take(pa.array(a)),
        "customer_key": accounts.customer_ids.take(pa.array(a)), "changed_at": instants(at),
        "change_type": pick(names, kinds), "from_plan_id": from_plan, "to_plan_id": to_plan,
        "from_quantity": pa.array(before[1], mask=kinds == 4),
        "to_quantity": np.where(kinds == 4, 1, after[1]), "mrr_delta_minor": delta,
        "currency": pick(_CURRENCIES, eur.astype(np.int64)),
        "source": constant("stripe", len(a)),
    }


def invoices(accounts: Accounts, billing: Billing, seed: int) -> Columns:
    """Invoices as of the horizon."""
    inv, ch = billing.invoices, billing.charges
    a, index = inv.account, accounts.index[inv.account]
    last_try = np.full(len(a), -1, np.int64)
    np.maximum.at(last_try, ch.invoice, ch.created)
    prefix = pa.array([f"{v:08X}" for v in (mix64(accounts.index, seed)
                                             >> np.uint64(32)).tolist()], pa.string())
    return {
        "invoice_id": invoice_ids(index, inv.number, seed),
        "account_id": accounts.ids.take(pa.array(a)),
        "customer_key": accounts.customer_ids.take(pa.array(a)),
        "subscription_id": subscription_ids(index, inv.life, seed),
        "number": concat(prefix.take(pa.array(a)), "-", numbered("", inv.number + 1, 4)),
        "status": pick(_INVOICE_STATUSES, inv.status),
        "billing_reason": pick(("subscription_cycle", "subscription_create"),
                               inv.first.astype(np.int64)),
        "currency": pick(_CURRENCIES, accounts.eur[a].astype(np.int64)),
        "subtotal_minor": inv.total, "total_minor": inv.total,
        "amount_paid_minor": np.where(inv.status == PAID, inv.total, 0),
        "amount_due_minor": inv.total, "created_at": instants(inv.created),
        "period_start": instants(inv.period_start), "period_end": instants(inv.period_end),
        "paid_at": instants(inv.paid_at),
        "updated_at": instants(np.maximum.reduce([inv.created, inv.paid_at, inv.written_off_at,
                                                  last_try])),
        "source": constant("stripe", len(a)),
    }


def payments(accounts: Accounts, billing: Billing, seed: int) -> Columns:
    """Charges with the amount refunded so far."""
    ch, inv, refunds = billing.charges, billing.invoices, billing.refunds
    index = accounts.index[ch.account]
    refunded = np.zeros(len(ch.account), np.int64)
    np.add.at(refunded, refunds.charge, refunds.amount)
    touched = ch.created.copy()
    np.maximum.at(touched, refunds.charge, refunds.created)
    messages = [FAILURE_MESSAGES[code] for code in
                ("card_declined", "insufficient_funds", "expired_card")]
    return {
        "payment_id": charge_ids(index, ch.number, seed),
        "account_id": accounts.ids.take(pa.array(ch.account)),
        "customer_key": accounts.customer_ids.take(pa.array(ch.account)),
        "invoice_id": invoice_ids(index, inv.number[ch.invoice], seed),
        "amount_minor": ch.amount, "amount_refunded_minor": refunded,
        "currency": pick(_CURRENCIES, accounts.eur[ch.account].astype(np.int64)),
        "status": pick(("failed", "succeeded"), ch.succeeded.astype(np.int64)),
        "failure_reason": pc.if_else(pa.array(ch.succeeded), None,
                                     pick(messages, np.maximum(ch.failure, 0))),
        "created_at": instants(ch.created), "updated_at": instants(touched),
        "source": constant("stripe", len(ch.account)),
    }


def returns(accounts: Accounts, billing: Billing, taken: Returns, seed: int,
            *, dispute: bool) -> Columns:
    """Refunds or disputes, keyed by their own ids."""
    ch = billing.charges
    index = accounts.index[taken.account]
    ids = (dispute_ids if dispute else refund_ids)(index, taken.number, seed)
    reasons = DISPUTE_REASONS if dispute else REFUND_REASONS
    key = "dispute_id" if dispute else "refund_id"
    return {
        key: ids, "payment_id": charge_ids(index, ch.number[taken.charge], seed),
        "account_id": accounts.ids.take(pa.array(taken.account)),
        "customer_key": accounts.customer_ids.take(pa.array(taken.account)),
        "amount_minor": taken.amount,
        "currency": pick(_CURRENCIES, accounts.eur[taken.account].astype(np.int64)),
        "status": constant("needs_response" if dispute else "succeeded", len(taken.account)),
        "reason": pick(reasons, taken.reason), "created_at": instants(taken.created),
        "updated_at": instants(taken.created), "source": constant("stripe", len(taken.account)),
    }

