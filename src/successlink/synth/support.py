"""Support tickets: how many, how urgent, how fast solved, and how the customer rated them.

Tickets per period grow with seats and with low health; unhealthy accounts escalate more
and rate worse. A ticket is solved after a lognormal number of hours, closed four days
later; tickets still open at the horizon keep an open status. Solved tickets are offered a
satisfaction survey; some are rated good or bad (Zendesk's CSAT), some stay `offered`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.synth import catalog
from successlink.synth.lives import Periods, rank_within
from successlink.synth.world import Accounts, Window

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
TICKETS_PER_MONTH = 0.3
MAX_TICKETS = 1000  # per account: ticket ids are account * 1000 + number
TICKET_ID_BASE = 1_000_000
ORGANIZATION_ID_BASE = 360_000_000_000
REQUESTER_ID_BASE = 9_000_000_000
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
RATINGS = ("unoffered", "offered", "good", "bad")
HOUR = 3600


@dataclass(frozen=True, slots=True)
class Tickets:
    """One row per ticket, by account then creation time."""

    account: I64
    number: I64
    created: I64
    solved: I64  # -1 when not solved by the horizon
    updated: I64
    status: I64  # STATUSES index
    priority: I64  # catalog.PRIORITIES index
    channel: I64  # catalog.TICKET_CHANNELS index
    subject: I64  # catalog.TICKET_SUBJECTS index
    person: I64  # requester: the account's person number
    linked: B  # the ticket names the requester's Zendesk organization
    rating: I64  # RATINGS index
    comment: I64  # index into GOOD_COMMENTS or BAD_COMMENTS for rated tickets
    health: F64  # of the account when the ticket was opened

    def __len__(self) -> int:
        return len(self.account)


def has_organization(accounts: Accounts, rng: np.random.Generator) -> B:
    """Which accounts exist as a Zendesk organization."""
    return rng.random(len(accounts)) < 0.95


def draw_tickets(accounts: Accounts, periods: Periods, organizations: B, window: Window,
                 rng: np.random.Generator) -> Tickets:
    """Every ticket the chunk's accounts opened."""
    months = (periods.end - periods.start) / catalog.MONTH_SECONDS
    rate = TICKETS_PER_MONTH * periods.seats ** 0.3 * np.exp(-0.7 * periods.health)
    counts = rng.poisson(rate * months)
    p = np.repeat(np.arange(len(periods)), counts)
    n = len(p)
    created = periods.start[p] + (rng.random(n) * (periods.end - periods.start)[p]).astype(
        np.int64)
    order = np.lexsort((created, periods.account[p]))
    p, created = p[order], created[order]
    account, health, tier = periods.account[p], periods.health[p], periods.tier[p]
    number = rank_within(account)
    keep = number < MAX_TICKETS
    priority = _priorities(health, tier, rng)
    hours = rng.lognormal(np.log(10.0) - 0.5 * priority, 1.1)
    solved = created + (hours * HOUR).astype(np.int64)
    done = solved < window.horizon
    status, updated = _status(created, solved, done, window, rng)
    rating, comment, rated = _ratings(health, hours, done, solved, window, rng)
    subject = rng.integers(0, len(catalog.TICKET_SUBJECTS) - 1, n)
    subject = np.where(accounts.fraud[account] & (number == 0), len(catalog.TICKET_SUBJECTS) - 1,
                       subject)
    seats = periods.seats[p]
    tickets = Tickets(
        account, number, created, np.where(done, solved, -1), np.maximum(updated, rated),
        status, priority,
        rng.choice(len(catalog.TICKET_CHANNELS), size=n, p=catalog.TICKET_CHANNEL_WEIGHTS),
        subject, (rng.random(n) * np.minimum(seats, 3)).astype(np.int64),
        organizations[account] & (rng.random(n) < 0.9), rating, comment, health)
    return Tickets(**{f.name: getattr(tickets, f.name)[keep] for f in dataclasses.fields(tickets)})


def _priorities(health: F64, tier: I64, rng: np.random.Generator) -> I64:
    """low/normal/high/urgent: bigger plans and unhealthy accounts escalate more."""
    shift = 0.25 * tier - 0.5 * health
    score = rng.normal(shift, 1.0)
    return np.digitize(score, [-0.7, 1.0, 2.0]).astype(np.int64)


def _status(created: I64, solved: I64, done: B, window: Window,
            rng: np.random.Generator) -> tuple[I64, I64]:
    """Status at the horizon and last update time."""
    closed_at = solved + 4 * 86400
    closed = done & (closed_at < window.horizon)
    waiting = rng.choice(4, size=len(created), p=[0.15, 0.45, 0.3, 0.1])
    status = np.where(closed, 5, np.where(done, 4, waiting))
    open_update = created + (rng.random(len(created)) * (window.horizon - created)).astype(
        np.int64)
    updated = np.where(closed, closed_at, np.where(done, solved, open_update))
    return status.astype(np.int64), updated


def _ratings(health: F64, hours: F64, done: B, solved: I64, window: Window,
             rng: np.random.Generator) -> tuple[I64, I64, I64]:
    """(rating, comment, rated_at): offered after solving, answered by some."""
    n = len(health)
    offered = done & (rng.random(n) < 0.8)
    rated_at = solved + (rng.uniform(1, 72, n) * HOUR).astype(np.int64)
    answered = offered & (rng.random(n) < 0.35) & (rated_at < window.horizon)
    good = rng.random(n) < 1 / (1 + np.exp(-(1.6 + 1.3 * health - hours / 48)))
    rating = np.where(answered, np.where(good, 2, 3), np.where(offered, 1, 0))
    comments = np.where(good, len(catalog.GOOD_COMMENTS), len(catalog.BAD_COMMENTS))
    comment = (rng.random(n) * comments).astype(np.int64)
    return rating.astype(np.int64), comment, np.where(answered, rated_at, -1)
