"""What the lifecycle simulation produces: periods of service, changes and subscriptions.

Column tables (dataclasses of equal-length numpy arrays) so that billing, usage, support and
the truth files can be derived from them without a loop over accounts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

# Change kinds; the order is the order their chances are tried in.
CHANGE_KINDS = ("upgrade", "downgrade", "seat_change", "addon_added", "addon_removed")
NO_CHANGE = len(CHANGE_KINDS)
# How a life (one subscription) ended.
ALIVE, VOLUNTARY, INVOLUNTARY, TRIAL_LAPSED = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Periods:
    """One row per account per billing period of service."""

    account: I64  # row of the account in its chunk
    life: I64
    k: I64  # period number in the life; -1 is the free trial
    start: I64
    end: I64  # end of service in this period (churn, dunning end or the horizon)
    period_end: I64  # nominal end of the billing period
    health: F64
    tier: I64
    seats: I64
    addon: B
    billed: B  # an invoice opens at `start`
    dunning: B  # that invoice is never paid and the subscription is cancelled
    hazard: F64  # monthly churn hazard in force during this period

    def __len__(self) -> int:
        return len(self.account)


@dataclass(frozen=True, slots=True)
class Changes:
    """Plan, seat and add-on changes, one row each."""

    account: I64
    life: I64
    at: I64
    kind: I64  # index into CHANGE_KINDS
    tier_before: I64
    tier_after: I64
    seats_before: I64
    seats_after: I64
    addon_before: B
    addon_after: B

    def __len__(self) -> int:
        return len(self.account)


@dataclass(frozen=True, slots=True)
class Lives:
    """One row per subscription an account held."""

    account: I64
    life: I64
    started_at: I64  # sign-up or reactivation
    anchor: I64  # billing anchor (the trial's end for trials)
    trial: B
    tier: I64  # plan at the start
    seats: I64
    ended_at: I64  # -1 while alive at the horizon
    cancel_requested_at: I64  # -1 unless a voluntary cancellation was requested
    mode: I64  # ALIVE, VOLUNTARY, INVOLUNTARY or TRIAL_LAPSED
    reason: I64  # catalog.CANCEL_REASONS index, len(CANCEL_REASONS) for payment_failed, -1

    def __len__(self) -> int:
        return len(self.account)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Everything that happened to a chunk's subscriptions."""

    periods: Periods
    changes: Changes
    lives: Lives


T = TypeVar("T", Periods, Changes, Lives)


def concat(kind: type[T], parts: list[T]) -> T:
    """Tables of one kind stacked row-wise."""
    columns: dict[str, Any] = {}
    for field in dataclasses.fields(kind):
        arrays = [getattr(part, field.name) for part in parts]
        columns[field.name] = np.concatenate(arrays) if arrays else np.zeros(0, np.int64)
    return kind(**columns)


def take(table: T, order: npt.NDArray[np.integer]) -> T:
    """The rows of `table` at `order`."""
    return type(table)(**{f.name: getattr(table, f.name)[order]
                          for f in dataclasses.fields(table)})


def sort_periods(periods: Periods) -> Periods:
    """Periods by account, life, then period number."""
    return take(periods, np.lexsort((periods.k, periods.life, periods.account)))


def decline_before_churn(periods: Periods, lives: Lives, rng: np.random.Generator) -> Periods:
    """Push health down over the last 1-3 periods of every life that ended.

    `periods` must be sorted by account, life, period. The last period loses the most.
    """
    codes = (lives.account * 4 + lives.life)[lives.ended_at >= 0]
    if len(codes) == 0 or len(periods) == 0:
        return periods
    key = periods.account * 4 + periods.life
    last = np.r_[key[1:] != key[:-1], True]
    group_end = np.flatnonzero(last)
    position_from_end = np.repeat(group_end, np.diff(np.r_[-1, group_end])) - np.arange(len(key))
    churned = np.isin(key, codes)
    depth = rng.integers(1, 4, len(key))[np.repeat(group_end, np.diff(np.r_[-1, group_end]))]
    hit = churned & (position_from_end < depth)
    drop = np.where(hit, 0.9 * (depth - position_from_end) / depth, 0.0)
    return dataclasses.replace(periods, health=periods.health - drop)


def rank_within(keys: npt.NDArray[np.integer]) -> I64:
    """0, 1, 2... within each run of equal keys (keys must be grouped, e.g. sorted)."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, np.int64)
    starts = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1]
    ranks: I64 = np.arange(n, dtype=np.int64) - np.repeat(starts, np.diff(np.r_[starts, n]))
    return ranks
