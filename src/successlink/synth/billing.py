"""Money: invoices, payment attempts, refunds and disputes derived from the lifecycles.

An invoice opens at the start of every billed period (a zero invoice at the start of a
trial). Its charge is attempted an hour later; a failed card is retried a few days later and
recovers, except in the dunning period of an involuntary churn, where every retry fails and
the invoice is written off when the subscription ends. Refunds and disputes are rare, except
for fraudulent referrals, whose first payment is refunded or disputed within days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.synth import catalog
from successlink.synth.lives import Lifecycle, rank_within
from successlink.synth.periods import DAY, add_months
from successlink.synth.world import Accounts, Window

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

PAID, OPEN, UNCOLLECTIBLE = 0, 1, 2
FAILURE_CODES = ("card_declined", "insufficient_funds", "expired_card")
REFUND_REASONS = ("requested_by_customer", "duplicate", "fraudulent")
DISPUTE_REASONS = ("fraudulent", "product_not_received", "subscription_canceled",
                   "unrecognized", "general")
MAX_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Invoices:
    """One row per invoice, by account then time; `number` counts an account's invoices."""

    account: I64
    life: I64
    number: I64
    created: I64
    period_start: I64
    period_end: I64
    total: I64
    tier: I64
    seats: I64
    addon: B
    annual: B
    first: B  # billing_reason subscription_create (else subscription_cycle)
    status: I64  # PAID, OPEN or UNCOLLECTIBLE at the horizon
    paid_at: I64  # -1 unless paid
    written_off_at: I64  # -1 unless uncollectible


@dataclass(frozen=True, slots=True)
class Charges:
    """One row per payment attempt, by account then time."""

    account: I64
    invoice: I64  # row in Invoices
    number: I64
    created: I64
    amount: I64
    succeeded: B
    failure: I64  # FAILURE_CODES index, -1 when it succeeded


@dataclass(frozen=True, slots=True)
class Returns:
    """Refunds or disputes: money taken back from a charge."""

    account: I64
    charge: I64  # row in Charges
    number: I64
    created: I64
    amount: I64
    reason: I64  # REFUND_REASONS or DISPUTE_REASONS index


@dataclass(frozen=True, slots=True)
class Billing:
    """All money movements of a chunk."""

    invoices: Invoices
    charges: Charges
    refunds: Returns
    disputes: Returns


def amounts(tier: I64, seats: I64, addon: B, annual: B) -> I64:
    """Invoice total of a plan state, in minor units (same numbers in USD and EUR)."""
    months = np.where(annual, catalog.ANNUAL_MONTHS_BILLED, 1)
    total: I64 = (catalog.SEAT_PRICE_MONTHLY[tier] * seats
                  + addon * catalog.ADDON_PRICE_MONTHLY) * months
    return total.astype(np.int64)


def bill(accounts: Accounts, life: Lifecycle, window: Window,
         rng: np.random.Generator) -> Billing:
    """Every invoice, charge, refund and dispute of the chunk."""
    invoices, health, dunning_end = _invoices(accounts, life)
    charges, invoices = _attempts(invoices, health, dunning_end, window, rng)
    refunds, disputes = _returns(accounts, charges, life, window, rng)
    return Billing(invoices, charges, refunds, disputes)


def _invoices(accounts: Accounts, life: Lifecycle) -> tuple[Invoices, npt.NDArray[np.float64],
                                                           I64]:
    """Invoice rows (unpaid yet), each one's health, and the end of dunning (-1 if none)."""
    p, lives = life.periods, life.lives
    billed = np.flatnonzero(p.billed)
    trials = np.flatnonzero(lives.trial)
    account = np.r_[p.account[billed], lives.account[trials]]
    life_no = np.r_[p.life[billed], lives.life[trials]]
    created = np.r_[p.start[billed], lives.started_at[trials]]
    annual = accounts.annual[account]
    life_index = np.searchsorted(lives.account * 4 + lives.life, account * 4 + life_no)
    anchor = lives.anchor[life_index]
    k = np.r_[p.k[billed], np.full(len(trials), -1)]
    end = np.where(annual & (k >= 0), add_months(anchor, k + 12), np.r_[
        p.period_end[billed], lives.anchor[trials]])
    is_trial = np.r_[np.zeros(len(billed), bool), np.ones(len(trials), bool)]
    tier = np.r_[p.tier[billed], lives.tier[trials]]
    seats = np.r_[p.seats[billed], lives.seats[trials]]
    addon = np.r_[p.addon[billed], np.zeros(len(trials), bool)]
    total = np.where(is_trial, 0, amounts(tier, seats, addon, annual))
    first = is_trial | ((k == 0) & ~lives.trial[life_index])
    dunning = np.r_[p.dunning[billed], np.zeros(len(trials), bool)]
    dunning_end = np.where(dunning, lives.ended_at[life_index], -1)
    dunning_end = np.where(dunning & (dunning_end < 0), np.iinfo(np.int64).max, dunning_end)
    health = np.r_[p.health[billed], np.zeros(len(trials))]
    order = np.lexsort((created, account))
    n = len(order)
    invoices = Invoices(
        account[order], life_no[order], rank_within(account[order]), created[order],
        created[order], end[order], total[order], tier[order], seats[order], addon[order],
        annual[order], first[order], np.full(n, OPEN, np.int64), np.full(n, -1, np.int64),
        np.full(n, -1, np.int64))
    return invoices, health[order], dunning_end[order]


def _attempts(inv: Invoices, health: npt.NDArray[np.float64], dunning_end: I64,
              window: Window, rng: np.random.Generator) -> tuple[Charges, Invoices]:
    """Payment attempts of every non-zero invoice, and the invoices' final states."""
    n = len(inv.account)
    dunning = dunning_end >= 0
    failing = rng.random(n) < 0.025 + 0.06 / (1 + np.exp(2 * health))
    fails = np.where(failing, np.where(rng.random(n) < 0.7, 1, 2), 0)
    tries = np.where(dunning, MAX_ATTEMPTS, fails + 1)
    tries = np.where(inv.total > 0, tries, 0)
    gaps = rng.uniform([0, 2, 3, 4], [0, 5, 6, 8], (n, MAX_ATTEMPTS)) * DAY
    # Checkout pays the first invoice at once; renewals are charged an hour after they open.
    delay = np.where(inv.first, 30, 3600)
    offsets = (delay[:, None] + np.cumsum(gaps, axis=1)).astype(np.int64)
    row = np.repeat(np.arange(n), tries)
    attempt = rank_within(row)
    at = inv.created[row] + offsets[row, attempt]
    limit = np.where(dunning[row], np.minimum(dunning_end[row], window.horizon), window.horizon)
    keep = at < limit
    order = np.lexsort((at[keep], inv.account[row[keep]]))
    row, attempt, at = row[keep][order], attempt[keep][order], at[keep][order]
    succeeded = ~dunning[row] & (attempt == tries[row] - 1)
    failure = np.where(succeeded, -1, rng.integers(0, len(FAILURE_CODES), len(row)))
    charges = Charges(inv.account[row], row, rank_within(inv.account[row]), at,
                      inv.total[row], succeeded, failure)
    return charges, _settle(inv, charges, dunning, dunning_end, window)


def _settle(inv: Invoices, charges: Charges, dunning: B, dunning_end: I64,
            window: Window) -> Invoices:
    """Status at the horizon: paid, open, or written off when a dunning ended the subscription."""
    paid_at = inv.paid_at.copy()
    paid_at[charges.invoice[charges.succeeded]] = charges.created[charges.succeeded]
    free = inv.total == 0
    paid_at[free] = inv.created[free]
    written = dunning & (dunning_end < window.horizon)
    status = np.where(paid_at >= 0, PAID, np.where(written, UNCOLLECTIBLE, OPEN))
    return Invoices(inv.account, inv.life, inv.number, inv.created, inv.period_start,
                    inv.period_end, inv.total, inv.tier, inv.seats, inv.addon, inv.annual,
                    inv.first, status, paid_at, np.where(written, dunning_end, -1))


def _returns(accounts: Accounts, charges: Charges, life: Lifecycle, window: Window,
             rng: np.random.Generator) -> tuple[Returns, Returns]:
    """Refunds and disputes of successful charges; fraud refunds or disputes its first one."""
    ok = np.flatnonzero(charges.succeeded)
    n = len(ok)
    account = charges.account[ok]
    fraud = accounts.fraud[account]
    first_paid = np.r_[True, account[1:] != account[:-1]] if n else np.zeros(0, bool)
    draw = rng.random(n)
    fraud_first = fraud & first_paid
    refund = np.where(fraud_first, draw < 0.55, draw < 0.004)
    dispute = np.where(fraud_first, (draw >= 0.55) & (draw < 0.9), draw > 0.999)
    refund_delay = np.where(fraud_first, rng.uniform(1, 5, n), rng.uniform(1, 20, n)) * DAY
    dispute_delay = rng.uniform(3, 20, n) * DAY
    half = ~fraud_first & (rng.random(n) < 0.4)
    refund_amount = np.where(half, charges.amount[ok] // 2, charges.amount[ok])
    refund_reason = np.where(fraud_first, np.where(rng.random(n) < 0.3, 2, 0), 0)
    dispute_reason = np.where(fraud_first, 0, rng.integers(1, len(DISPUTE_REASONS), n))
    refunds = _taken(ok, account, charges.created[ok] + refund_delay.astype(np.int64), refund,
                     refund_amount, refund_reason, window)
    disputes = _taken(ok, account, charges.created[ok] + dispute_delay.astype(np.int64),
                      dispute, charges.amount[ok], dispute_reason, window)
    return refunds, disputes


def _taken(charge: I64, account: I64, at: I64, chosen: B, amount: I64, reason: I64,
           window: Window) -> Returns:
    keep = chosen & (at < window.horizon)
    return Returns(account[keep], charge[keep], rank_within(account[keep]), at[keep],
                   amount[keep], reason[keep].astype(np.int64))
