"""Account lifecycles: monthly latent health, plan changes and churn, vectorised per month.

Each account holds one subscription (a *life*), rarely two when it comes back after churning.
A life is simulated one billing period at a time for all accounts together: health drifts as
a random walk pulled towards the account's quality; plan, seat and add-on changes depend on
quality and health; at the end of a period a hazard decides churn (annual plans only at
renewal). In the one to three periods before a churn, health is pushed down, so usage,
tickets and surveys show the decline that precedes churn in real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.synth import catalog
from successlink.synth.lives import (
    ALIVE,
    INVOLUNTARY,
    NO_CHANGE,
    TRIAL_LAPSED,
    VOLUNTARY,
    Changes,
    Lifecycle,
    Lives,
    Periods,
    concat,
    decline_before_churn,
    sort_periods,
    take,
)
from successlink.synth.periods import DAY, add_months
from successlink.synth.world import Accounts, Window

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

BASE_HAZARD = 0.03
HAZARD_QUALITY = 0.6
HAZARD_HEALTH = 0.7
HEALTH_PULL = 0.3
HEALTH_TARGET = 0.45  # health drifts towards this multiple of quality
HEALTH_NOISE = 0.3
INVOLUNTARY_SHARE = 0.2
DUNNING_DAYS = (10, 24)
REACTIVATION_RATE = 0.05
PAYMENT_FAILED_REASON = len(catalog.CANCEL_REASONS)  # reason index of involuntary churn


def hazard(quality: F64, health: F64, tier: I64) -> F64:
    """Monthly churn hazard: lower for better quality, health and larger plans."""
    raw = BASE_HAZARD * catalog.TIER_HAZARD[tier] * np.exp(
        -HAZARD_QUALITY * quality - HAZARD_HEALTH * health)
    return np.minimum(raw, 0.9)


@dataclass(slots=True)
class _Cohort:
    """Accounts living one life together (mutable while the months are simulated)."""

    rows: I64  # account rows in the chunk
    life: int
    started: I64
    anchor: I64
    trial: B
    quality: F64
    annual: B
    fraud: B
    tier: I64
    seats: I64
    addon: B
    health: F64
    alive: B
    ended_at: I64
    requested: I64
    mode: I64
    reason: I64

    def lives(self, tier0: I64, seats0: I64) -> Lives:
        """The cohort's subscriptions once simulated."""
        n = len(self.rows)
        return Lives(self.rows, np.full(n, self.life, np.int64), self.started, self.anchor,
                     self.trial, tier0, seats0, self.ended_at, self.requested, self.mode,
                     self.reason)


def _cohort(rows: I64, life: int, started: I64, anchor: I64, trial: B, accounts: Accounts,
            tier: I64, seats: I64, health: F64, alive: B) -> _Cohort:
    n = len(rows)
    return _Cohort(rows, life, started, anchor, trial, accounts.quality[rows],
                   accounts.annual[rows], accounts.fraud[rows] & (life == 0), tier, seats,
                   np.zeros(n, dtype=bool), health, alive, np.full(n, -1, np.int64),
                   np.full(n, -1, np.int64), np.full(n, ALIVE, np.int64),
                   np.full(n, -1, np.int64))


def simulate(accounts: Accounts, window: Window, rng: np.random.Generator) -> Lifecycle:
    """The lifecycle of every account in the chunk."""
    n = len(accounts)
    rows = np.arange(n, dtype=np.int64)
    anchor = accounts.acquired_at + np.where(accounts.trial, catalog.TRIAL_DAYS * DAY, 0)
    health = HEALTH_TARGET * accounts.quality + rng.normal(0.0, 0.45, n)
    first = _cohort(rows, 0, accounts.acquired_at, anchor, accounts.trial, accounts,
                    accounts.tier.copy(), accounts.seats.copy(), health,
                    accounts.converts & (anchor < window.horizon))
    blocks: list[Periods | Changes] = [_trial_periods(first, window)]
    _lapse_trials(first, accounts.converts, window, rng)
    blocks += _run(first, window, rng)
    lives = [first.lives(accounts.tier, accounts.seats)]
    second = _reactivate(first, accounts, window, rng)
    if second is not None:
        tier0, seats0 = second.tier.copy(), second.seats.copy()
        blocks += _run(second, window, rng)
        lives.append(second.lives(tier0, seats0))
    life_table = concat(Lives, lives)
    life_table = take(life_table, np.lexsort((life_table.life, life_table.account)))
    periods = sort_periods(concat(Periods, [b for b in blocks if isinstance(b, Periods)]))
    changes = concat(Changes, [b for b in blocks if isinstance(b, Changes)])
    changes = take(changes, np.lexsort((changes.at, changes.account)))
    return Lifecycle(decline_before_churn(periods, life_table, rng), changes, life_table)


def _trial_periods(cohort: _Cohort, window: Window) -> Periods:
    """The free-trial period of every trialling account (period -1, never billed)."""
    rows = np.flatnonzero(cohort.trial)
    stop = np.minimum(cohort.anchor[rows], window.horizon)
    return _period_block(cohort, rows, -1, cohort.started[rows], stop, cohort.anchor[rows],
                         billed=np.zeros(len(rows), dtype=bool))


def _lapse_trials(cohort: _Cohort, converts: B, window: Window,
                  rng: np.random.Generator) -> None:
    """Trials that never convert end at the trial's end with a cancellation reason."""
    lapsed = cohort.trial & ~converts & (cohort.anchor < window.horizon)
    cohort.mode[lapsed] = TRIAL_LAPSED
    cohort.ended_at[lapsed] = cohort.anchor[lapsed]
    cohort.reason[lapsed] = _reasons(cohort.health[lapsed], cohort.tier[lapsed], rng)


def _period_block(cohort: _Cohort, rows: I64, k: int, start: I64, stop: I64,
                  nominal_end: I64, *, billed: B, dunning: bool = False) -> Periods:
    """Period rows for the cohort positions `rows`, in their current state."""
    n = len(rows)
    return Periods(
        cohort.rows[rows], np.full(n, cohort.life, np.int64), np.full(n, k, np.int64),
        start, stop, nominal_end, cohort.health[rows].copy(), cohort.tier[rows].copy(),
        cohort.seats[rows].copy(), cohort.addon[rows].copy(), billed,
        np.full(n, dunning, dtype=bool),
        hazard(cohort.quality[rows], cohort.health[rows], cohort.tier[rows]))


def _run(cohort: _Cohort, window: Window, rng: np.random.Generator) -> list[Periods | Changes]:
    """Simulate the cohort's paid periods until every account has churned or time is up."""
    blocks: list[Periods | Changes] = []
    k = 0
    while True:
        start = add_months(cohort.anchor, k)
        live = np.flatnonzero(cohort.alive & (start < window.horizon))
        if len(live) == 0:
            return blocks
        start = start[live]
        end = add_months(cohort.anchor[live], k + 1)
        annual = cohort.annual[live]
        if k > 0 and k % 12 == 0:  # annual plans change at renewal, before it is invoiced
            blocks.append(_changes(cohort, live[annual], k, start[annual], end[annual],
                                   window, rng))
        billed = ~annual | (k % 12 == 0)
        blocks.append(_period_block(cohort, live, k, start, np.minimum(end, window.horizon),
                                    end, billed=billed))
        if k > 0:  # monthly plans change during the period: the next invoice shows it
            blocks.append(_changes(cohort, live[~annual], k, start[~annual], end[~annual],
                                   window, rng))
        blocks += _churn(cohort, live, k, start, end, window, rng)
        _drift(cohort, live, rng)
        k += 1


def _drift(cohort: _Cohort, live: I64, rng: np.random.Generator) -> None:
    """Health moves towards quality with noise (an AR(1) random walk)."""
    target = HEALTH_TARGET * cohort.quality[live]
    noise = rng.normal(0.0, HEALTH_NOISE, len(live))
    cohort.health[live] += HEALTH_PULL * (target - cohort.health[live]) + noise


def _churn(cohort: _Cohort, live: I64, k: int, start: I64, end: I64, window: Window,
           rng: np.random.Generator) -> list[Periods]:
    """Decide who leaves at the end of period k; an involuntary exit adds a dunning period."""
    monthly = hazard(cohort.quality[live], cohort.health[live], cohort.tier[live])
    if k == 0:
        monthly = np.where(cohort.fraud[live], 0.9, monthly)
    annual = cohort.annual[live]
    chance = np.where(annual, 1 - (1 - 0.7 * monthly) ** 12, monthly)
    can_end = (~annual | ((k + 1) % 12 == 0)) & (end < window.horizon)
    leaving = can_end & (rng.random(len(live)) < chance)
    forced = leaving & (rng.random(len(live)) < INVOLUNTARY_SHARE) & ~cohort.fraud[live]
    quits = leaving & ~forced
    rows = live[quits]
    cohort.alive[live[leaving]] = False
    notice = np.minimum(20 * DAY, (end - start)[quits] - 3600)
    cohort.requested[rows] = end[quits] - (rng.random(len(rows)) * notice).astype(np.int64)
    cohort.ended_at[rows] = end[quits]
    cohort.mode[rows] = VOLUNTARY
    cohort.reason[rows] = _reasons(cohort.health[rows], cohort.tier[rows], rng)
    if not forced.any():
        return []
    return [_dunning(cohort, live[forced], k, end[forced], window, rng)]


def _dunning(cohort: _Cohort, rows: I64, k: int, due: I64, window: Window,
             rng: np.random.Generator) -> Periods:
    """An unpaid renewal: service continues while Stripe retries, then the subscription ends."""
    ends = due + rng.integers(DUNNING_DAYS[0], DUNNING_DAYS[1] + 1, len(rows)) * DAY
    finished = ends < window.horizon
    done = rows[finished]
    cohort.ended_at[done] = ends[finished]
    cohort.mode[done] = INVOLUNTARY
    cohort.reason[done] = PAYMENT_FAILED_REASON
    _drift(cohort, rows, rng)
    nominal = add_months(cohort.anchor[rows], k + 2)
    return _period_block(cohort, np.asarray(rows), k + 1, due, np.minimum(ends, window.horizon),
                         nominal, billed=np.ones(len(rows), dtype=bool), dunning=True)


def _reasons(health: F64, tier: I64, rng: np.random.Generator) -> I64:
    """Cancellation feedback: low health says unused or low quality; small plans, price."""
    weights = catalog.CANCEL_BASE * np.exp(np.outer(health, catalog.CANCEL_HEALTH_SLOPE))
    weights[:, 0] *= np.where(tier == 0, 1.6, 1.0)
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(health))[:, None]
    reason: I64 = np.minimum((cumulative < u).sum(axis=1), len(catalog.CANCEL_REASONS) - 1)
    return reason.astype(np.int64)


def _changes(cohort: _Cohort, live: I64, k: int, start: I64, end: I64, window: Window,
             rng: np.random.Generator) -> Changes:
    """Upgrades, downgrades, seat changes and add-on moves in period k (annual: at renewal)."""
    q, h = cohort.quality[live], cohort.health[live]
    tier, addon = cohort.tier[live], cohort.addon[live]
    grow, shrink = 0.012 * np.exp(0.5 * q + 0.6 * h), 0.007 * np.exp(-0.8 * h)
    chances = np.stack([grow * (tier < 3), shrink * (tier > 0), np.full(len(live), 0.07),
                        grow * ~addon, 0.8 * shrink * addon], axis=1)
    annual = cohort.annual[live]
    chances[annual] *= 6.0 if k % 12 == 0 else 0.0
    chances[cohort.fraud[live]] = 0.0
    kind = (np.cumsum(chances, axis=1) < rng.random(len(live))[:, None]).sum(axis=1)
    at = np.where(annual, start - 3600 - (rng.random(len(live)) * 5 * DAY).astype(np.int64),
                  start + (rng.random(len(live)) * (end - start)).astype(np.int64))
    moved = (kind < NO_CHANGE) & (at < window.horizon)
    rows = live[moved]
    before = (cohort.tier[rows].copy(), cohort.seats[rows].copy(), cohort.addon[rows].copy())
    _apply(cohort, rows, kind[moved], q[moved], h[moved], rng)
    return Changes(cohort.rows[rows], np.full(len(rows), cohort.life, np.int64), at[moved],
                   kind[moved], before[0], cohort.tier[rows].copy(), before[1],
                   cohort.seats[rows].copy(), before[2], cohort.addon[rows].copy())


def _apply(cohort: _Cohort, rows: I64, kind: I64, q: F64, h: F64,
           rng: np.random.Generator) -> None:
    """Change the cohort's state for the accounts that moved."""
    cohort.tier[rows] += (kind == 0).astype(np.int64) - (kind == 1).astype(np.int64)
    cohort.addon[rows] = np.where(kind == 3, True, np.where(kind == 4, False, cohort.addon[rows]))
    up = rng.random(len(rows)) < 1 / (1 + np.exp(-(0.4 + h + 0.3 * q)))
    factor = np.exp(rng.uniform(0.1, 0.45, len(rows)) * np.where(up, 1, -1))
    old = cohort.seats[rows]
    new = np.clip(np.rint(old * factor).astype(np.int64), 1, catalog.MAX_SEATS)
    step = np.where((up & (old < catalog.MAX_SEATS)) | (old == 1), 1, -1)
    new = np.where(new == old, old + step, new)
    cohort.seats[rows] = np.where(kind == 2, new, old)


def _reactivate(first: _Cohort, accounts: Accounts, window: Window,
                rng: np.random.Generator) -> _Cohort | None:
    """A few voluntary churners come back one to six months later on a new subscription."""
    gap = rng.integers(30, 181, len(first.rows)) * DAY
    back = first.ended_at + gap
    chance = REACTIVATION_RATE * np.exp(0.3 * first.quality)
    chosen = ((first.mode == VOLUNTARY) & (back < window.horizon - 7 * DAY)
              & (rng.random(len(first.rows)) < chance) & ~first.fraud)
    rows = first.rows[chosen]
    if len(rows) == 0:
        return None
    health = HEALTH_TARGET * first.quality[chosen] + rng.normal(0.0, 0.45, len(rows))
    return _cohort(rows, 1, back[chosen], back[chosen], np.zeros(len(rows), dtype=bool),
                   accounts, first.tier[chosen].copy(), first.seats[chosen].copy(), health,
                   np.ones(len(rows), dtype=bool))
