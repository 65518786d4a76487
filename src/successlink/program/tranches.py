"""Vesting and clawback: where each tranche of a commission should be, given the facts.

A commission is split into tranches by the plan's vesting schedule. Each tranche's *target*
is a function of the facts and `now` only, so however late or often a fact arrives the
ledger converges to the same place (ledger.py appends the moves that get it there).

Rules, per tranche vesting on day v = paid_at + tranche day:
- refunds and disputes reverse the refunded share of the commission, whenever they happen
  (even after vesting or payout: the vested money is taken back);
- what is not reversed lapses if the account churned after the sale and on or before v,
  or if at v its latest health band was below the plan's health floor;
- otherwise it vests once `now` reaches v, and stays unvested until then.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction

from successlink.health.config import BAND_NAMES
from successlink.money import Money
from successlink.program.buckets import Buckets
from successlink.program.commissions import Commission
from successlink.program.facts import AccountFacts
from successlink.program.plans import Plan
from successlink.program.rounding import round_minor, split_minor

_BAND_RANK = {name: rank for rank, name in enumerate(BAND_NAMES)}


@dataclass(frozen=True)
class TrancheTarget:
    """Where one tranche's money should be, and why, with the instant each move happened."""

    tranche_key: str
    index: int
    commission: Commission
    amount_minor: int
    vests_at: datetime
    target: Buckets
    reversed_at: datetime | None
    settled_at: datetime | None
    reversal_reason: str
    fate_reason: str


def tranche_amounts(total_minor: int, plan: Plan | None) -> list[int]:
    """The commission split by the plan's tranche percents, adding up to it exactly."""
    if plan is None:
        return [total_minor]
    return split_minor(total_minor, [t.percent for t in plan.vesting.tranches])


def vesting_days(paid_at: datetime, plan: Plan | None) -> list[datetime]:
    """When each tranche of a sale paid at `paid_at` vests (all at once without a plan)."""
    days = [t.day for t in plan.vesting.tranches] if plan else [0]
    return [paid_at + timedelta(days=day) for day in days]


def reversed_share(facts: AccountFacts,
                   commission: Commission) -> tuple[int, datetime | None, str]:
    """How much of the commission is taken back, since when, and why.

    A rejection on review or a dispute takes it all; refunds take the refunded share of the
    sale, rounded half up once on the total (then split over tranches in proportion).
    """
    sale = commission.sale
    if facts.rejections:
        first = min(facts.rejections, key=lambda r: (r.at, r.reason))
        return (commission.amount_minor, first.at,
                f"the referral was rejected on review on {first.at:%Y-%m-%d}: {first.reason}")
    disputes = [d.at for d in facts.disputes if d.sale_id == sale.sale_id]
    if disputes:
        return (commission.amount_minor, min(disputes),
                f"invoice {sale.sale_id} was disputed on {min(disputes):%Y-%m-%d}")
    refunds = [r for r in facts.refunds if r.sale_id == sale.sale_id]
    if not refunds or sale.amount_minor <= 0:
        return 0, None, "nothing was refunded"
    latest = max(refunds, key=lambda r: (r.refunded_minor, r.at))
    share = min(Fraction(latest.refunded_minor, sale.amount_minor), Fraction(1))
    return (round_minor(commission.amount_minor * share), latest.at,
            f"invoice {sale.sale_id} was refunded on {latest.at:%Y-%m-%d}")


def targets(facts: AccountFacts, commission: Commission, plan: Plan | None,
            now: datetime) -> list[TrancheTarget]:
    """The target of every tranche of one commission."""
    return targets_over(facts, commission, plan, now, Schedule.of(commission, plan))


@dataclass(frozen=True)
class Schedule:
    """A commission's tranche amounts and vesting days: the same at every instant its
    history is replayed at, so the engine works them out once."""

    amounts: list[int]
    vests: list[datetime]

    @staticmethod
    def of(commission: Commission, plan: Plan | None) -> Schedule:
        return Schedule(tranche_amounts(commission.amount_minor, plan),
                        vesting_days(commission.sale.paid_at, plan))


def targets_over(facts: AccountFacts, commission: Commission, plan: Plan | None,
                 now: datetime, schedule: Schedule) -> list[TrancheTarget]:
    """`targets` with the commission's schedule already worked out."""
    amounts = schedule.amounts
    taken, reversed_at, why = reversed_share(facts, commission)
    # Nothing taken splits into zeros: skip the split (most instants of most histories).
    taken_parts = split_minor(taken, amounts) if commission.amount_minor and taken \
        else [0] * len(amounts)
    out = []
    for index, (amount, taken_part, vests_at) in enumerate(zip(
            amounts, taken_parts, schedule.vests, strict=True)):
        rest, settled_at, reason = _fate(facts, plan, vests_at, amount - taken_part, now,
                                         commission.sale.paid_at)
        target = Buckets(reversed=taken_part) + rest
        out.append(TrancheTarget(
            tranche_key=f"{commission.sale.sale_id}:{index}", index=index,
            commission=commission, amount_minor=amount, vests_at=vests_at, target=target,
            reversed_at=reversed_at if taken_part else None, settled_at=settled_at,
            reversal_reason=_reversal_reason(taken_part, commission, why),
            fate_reason=reason))
    return out


def _fate(facts: AccountFacts, plan: Plan | None, vests_at: datetime, rest: int,
          now: datetime, paid_at: datetime) -> tuple[Buckets, datetime | None, str]:
    """Where the unreversed part of a tranche belongs: lapsed, vested or still unvested."""
    churned = sorted(c for c in facts.churns if paid_at < c <= vests_at)
    if churned:
        return (Buckets(lapsed=rest), churned[0],
                f"the account churned on {_day(churned[0])}, before vesting on "
                f"{_day(vests_at)}")
    if now < vests_at:
        return Buckets(unvested=rest), None, f"it vests on {_day(vests_at)}"
    floor = plan.vesting.health_floor if plan else None
    band = _band_at(facts, vests_at)
    if floor is not None and band is not None and _BAND_RANK[band] < _BAND_RANK[floor]:
        return (Buckets(lapsed=rest), vests_at,
                f"on its vesting day {_day(vests_at)} the account was in {band} health, "
                f"below the {floor} floor")
    return Buckets(vested=rest), vests_at, f"it vested on {_day(vests_at)}"


def _day(at: datetime) -> str:
    """The date as the sentences write it (a history formats the same few days many
    times over). Keyed by the zone too: equal instants in two zones can be two dates."""
    return _day_in(at, at.tzinfo)


@functools.lru_cache(maxsize=4096)
def _day_in(at: datetime, _zone: tzinfo | None) -> str:
    return f"{at:%Y-%m-%d}"


def _band_at(facts: AccountFacts, at: datetime) -> str | None:
    """The latest known health band at `at`; None when no reading is that old (no health
    data never blocks vesting: missing data is not evidence of a poor customer)."""
    known = [h for h in facts.health if h.at <= at and h.band in _BAND_RANK]
    if not known:
        return None
    return max(known, key=lambda h: (h.at, _BAND_RANK[h.band])).band


def _reversal_reason(taken: int, commission: Commission, why: str) -> str:
    if not taken:
        return why
    money = Money(taken, commission.sale.currency).format()
    return f"{why}, which takes back {money} of this tranche"
