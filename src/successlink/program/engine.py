"""The commission engine: facts about a referred account + plans + `now` -> the ledger
entries still missing. Pure: the caller loads the facts and the account's entries, and stores
what comes back (books.py does both in one transaction).

Each tranche's history is replayed in time order: its target is computed at every instant
something could change it (the sale, each refund, dispute or churn, its vesting day, now),
and the moves between consecutive targets are its entries. So settling once after the facts
arrive writes exactly the ledger that settling at every event would have written. When a fact
arrives after a settlement that needed it (a refund dated before a vesting day that was
already vested), the recorded history is kept and the moves to the new target are appended.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from successlink.program.buckets import ZERO, Buckets
from successlink.program.commissions import Commission, commissions, plan_in_force
from successlink.program.facts import AccountFacts
from successlink.program.ledger import Entry, entry, legs, moves
from successlink.program.plans import Plan
from successlink.program.tranches import (
    Schedule,
    TrancheTarget,
    targets,
    targets_over,
    vesting_days,
)


def account_targets(facts: AccountFacts, plans: Sequence[Plan],
                    now: datetime) -> list[TrancheTarget]:
    """Where every tranche of the account's commissions should be as of `now`."""
    known = facts.as_of(now)
    out: list[TrancheTarget] = []
    for commission in commissions(known, plans):
        plan = plan_in_force(plans, known.referral.plan_id, commission.sale.paid_at)
        out.extend(targets(known, commission, plan, now))
    return out


def settle(facts: AccountFacts, plans: Sequence[Plan], now: datetime,
           existing: Iterable[Entry] = ()) -> list[Entry]:
    """The entries to append so the account's ledger matches its facts as of `now`.

    Settling again with the same facts proposes nothing.
    """
    recorded: dict[str, list[Entry]] = defaultdict(list)
    for stored in existing:
        recorded[stored.tranche_key].append(stored)
    known = facts.as_of(now)
    out: list[Entry] = []
    for commission in commissions(known, plans):
        plan = plan_in_force(plans, known.referral.plan_id, commission.sale.paid_at)
        for history in _histories(known, commission, plan, now):
            done = sorted(recorded.get(history[-1].tranche_key, []), key=_position)
            out.extend(_missing(known, history, done))
    return out


def _instants(facts: AccountFacts, commission: Commission, plan: Plan | None,
              now: datetime) -> list[datetime]:
    """Every instant up to `now` at which the commission's tranches could move."""
    sale = commission.sale
    moments = {sale.paid_at, now}
    moments.update(vesting_days(sale.paid_at, plan))
    moments.update(c for c in facts.churns if c > sale.paid_at)
    moments.update(r.at for r in facts.refunds if r.sale_id == sale.sale_id)
    moments.update(d.at for d in facts.disputes if d.sale_id == sale.sale_id)
    return sorted(m for m in moments if sale.paid_at <= m <= now)


def _histories(facts: AccountFacts, commission: Commission, plan: Plan | None,
               now: datetime) -> list[list[TrancheTarget]]:
    """Per tranche, its targets at each instant, oldest first."""
    schedule = Schedule.of(commission, plan)
    by_instant = [targets_over(facts.as_of(t), commission, plan, t, schedule)
                  for t in _instants(facts, commission, plan, now)]
    return [list(tranche) for tranche in zip(*by_instant, strict=True)]


def _missing(facts: AccountFacts, history: list[TrancheTarget],
             done: list[Entry]) -> list[Entry]:
    referral = facts.referral
    ids = {"affiliate_id": referral.affiliate_id, "account_id": referral.account_id}
    # The replayed history as (target, kind, change) legs; only those not recorded yet are
    # worded into entries (wording every replayed step was most of settling's time).
    replayed: list[tuple[TrancheTarget, str, Buckets]] = []
    position = ZERO
    for target in history:
        replayed.extend((target, kind, change) for kind, change in legs(target, position))
        position = target.target
    if [(e.kind, e.change) for e in done] == [(kind, change) for _, kind, change in
                                                replayed[:len(done)]]:
        return [entry(target, kind, change, n, **ids) for n, (target, kind, change) in
                enumerate(replayed[len(done):], start=len(done))]
    current = sum((e.change for e in done), ZERO)
    return moves(history[-1], current, len(done), **ids)


def _position(entry: Entry) -> int:
    return int(entry.entry_key.rsplit(":", 1)[1])
