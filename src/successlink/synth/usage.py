"""Product usage: how many events each account makes each period, and the events themselves.

Usage per period is Poisson with a mean of `events_per_account_month` times a seats factor
and a health factor (normalised so the world-wide mean per active month is the rate asked
for), pro rata of the days served. Active users are a health-dependent share of the seats;
healthier accounts use the advanced features more. Nothing happens outside a period of
service, so there is no usage after churn. Events are drawn in slices of a quarter million
with numpy; no Python code runs per event.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from successlink.synth import catalog
from successlink.synth.lives import Periods, rank_within
from successlink.synth.strings import uuid4

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
SLICE_EVENTS = 250_000
SEAT_POWER = 0.35
HEALTH_SLOPE = 0.45
# Mean of seats**SEAT_POWER * exp(HEALTH_SLOPE * health) over the active months of a default
# world, so that the average active month has `events_per_account_month` events.
ACTIVITY_NORMALISER = 2.19
NAMES = tuple(f[0] for f in catalog.FEATURES) + tuple(p[0] for p in catalog.PAGES)
FIRST_PAGE = len(catalog.FEATURES)
_SLOPES = np.r_[[f[2] for f in catalog.FEATURES], catalog.PAGE_HEALTH_SLOPE]
_BASE = np.r_[catalog.FEATURE_BASE, catalog.PAGE_BASE]


@dataclass(frozen=True, slots=True)
class UsagePlan:
    """Events and active users per period of a chunk."""

    counts: I64
    active_users: I64


@dataclass(frozen=True, slots=True)
class UsageBatch:
    """About a million events, sorted by time."""

    account: I64  # row in the chunk
    at_ms: I64
    user: I64  # user number within the account
    name: I64  # index into NAMES (features first, then pages)
    value: I64  # the feature's integer property
    message_ids: pa.Array  # Segment messageId (a UUID)

    def __len__(self) -> int:
        return len(self.account)


def plan_usage(periods: Periods, rate: float, rng: np.random.Generator) -> UsagePlan:
    """How many events and active users each period has."""
    health = periods.health
    share = 1 / (1 + np.exp(-(0.3 + 1.2 * health)))
    active = np.maximum(1, rng.binomial(periods.seats, share))
    months = (periods.end - periods.start) / catalog.MONTH_SECONDS
    factor = periods.seats ** SEAT_POWER * np.exp(HEALTH_SLOPE * health) / ACTIVITY_NORMALISER
    counts = rng.poisson(np.maximum(rate * factor * months, 0.0))
    return UsagePlan(counts.astype(np.int64), active.astype(np.int64))


def slices(counts: I64, size: int = SLICE_EVENTS) -> list[tuple[int, int]]:
    """Ranges of periods holding about `size` events each."""
    total = np.cumsum(counts)
    bounds = [0]
    if len(counts) and total[-1] > 0:
        cuts = np.searchsorted(total, np.arange(size, total[-1], size), side="left") + 1
        bounds += sorted(set(cuts.tolist()) - {0})
    bounds.append(len(counts))
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def batches(periods: Periods, plan: UsagePlan,
            rng_for: Callable[[int], np.random.Generator]) -> Iterator[UsageBatch]:
    """The chunk's events, slice by slice; `rng_for(i)` gives slice i its own stream."""
    for number, (first, stop) in enumerate(slices(plan.counts)):
        yield _draw(periods, plan, first, stop, rng_for(number))


def _draw(periods: Periods, plan: UsagePlan, first: int, stop: int,
          rng: np.random.Generator) -> UsageBatch:
    counts = plan.counts[first:stop]
    p = np.repeat(np.arange(first, stop), counts)
    n = len(p)
    start_ms, end_ms = periods.start[p] * 1000, periods.end[p] * 1000
    at = start_ms + (rng.random(n) * (end_ms - start_ms)).astype(np.int64)
    user = (rng.random(n) * plan.active_users[p]).astype(np.int64)
    weights = _BASE * np.exp(np.outer(periods.health[first:stop], _SLOPES))
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    local = p - first
    name = (cumulative[local] < rng.random(n)[:, None]).sum(axis=1)
    name = np.minimum(name, len(NAMES) - 1)
    value = rng.geometric(0.12, n).astype(np.int64)
    order = np.argsort(at, kind="stable")
    return UsageBatch(periods.account[p][order], at[order], user[order],
                      name[order].astype(np.int64), value[order], uuid4(rng, n))


@dataclass(frozen=True, slots=True)
class Users:
    """Each product user of the chunk and when it first became active."""

    account: I64
    user: I64
    first_seen: I64  # Unix seconds


def users(periods: Periods, plan: UsagePlan) -> Users:
    """Users appear the first period their number is below the active-user count.

    `periods` must be sorted by account then time.
    """
    big = catalog.MAX_SEATS + 1
    lifted = plan.active_users + periods.account * big
    seen = np.maximum.accumulate(lifted) - periods.account * big
    before = np.r_[0, seen[:-1]]
    new_account = np.r_[True, periods.account[1:] != periods.account[:-1]]
    before = np.where(new_account, 0, before)
    fresh = np.maximum(plan.active_users - before, 0)
    p = np.repeat(np.arange(len(fresh)), fresh)
    number = before[p] + rank_within(p)
    return Users(periods.account[p], number, periods.start[p])
