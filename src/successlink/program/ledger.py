"""The append-only commission ledger: entries are facts, balances are sums of them.

Each entry moves money between a tranche's buckets (buckets.py) or brings money in (an
accrual) or out (a downward adjustment). `moves` turns the gap between a tranche's current
buckets (the sum of its entries) and its target (tranches.py) into new entries; it never
edits one. An entry's key is `<sale>:<tranche>:<n>`, its place in the tranche's history, so
replaying the same facts proposes nothing new and two writers cannot both append entry n.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from successlink.money import Money
from successlink.program.buckets import BUCKETS, ZERO, Buckets
from successlink.program.tranches import TrancheTarget

ENTRY_KINDS = ("accrual", "vesting", "lapse", "reversal", "adjustment")
_KIND_OF_GAIN = {"reversed": "reversal", "lapsed": "lapse", "vested": "vesting",
                 "unvested": "adjustment"}
# Money a target wants in a bucket is taken first from what is waiting (unvested), then from
# what was paid or payable (vested), then from the sinks.
_TAKE_ORDER = ("unvested", "vested", "lapsed", "reversed")
_GAIN_ORDER = ("reversed", "lapsed", "vested", "unvested")


@dataclass(frozen=True)
class Entry:
    """One ledger entry: what moved, under which plan version, from which inputs, and why."""

    entry_key: str
    tranche_key: str
    kind: str
    affiliate_id: str
    account_id: str
    sale_id: str | None
    currency: str
    change: Buckets
    plan_id: str | None
    plan_version: int | None
    effective_at: datetime
    explanation: str
    inputs: Mapping[str, Any] = field(default_factory=dict)


def tranche_positions(entries: Iterable[Entry]) -> dict[str, tuple[Buckets, int]]:
    """Per tranche: the sum of its entries and how many there are."""
    sums: dict[str, Buckets] = defaultdict(lambda: ZERO)
    counts: dict[str, int] = defaultdict(int)
    for e in entries:
        sums[e.tranche_key] = sums[e.tranche_key] + e.change
        counts[e.tranche_key] += 1
    return {k: (sums[k], counts[k]) for k in sums}


def balances(entries: Iterable[Entry]) -> dict[tuple[str, str], Buckets]:
    """Per (affiliate, currency): the sum of the entries' changes."""
    out: dict[tuple[str, str], Buckets] = defaultdict(lambda: ZERO)
    for e in entries:
        out[(e.affiliate_id, e.currency)] = out[(e.affiliate_id, e.currency)] + e.change
    return dict(out)


def moves(target: TrancheTarget, current: Buckets, count: int, *, affiliate_id: str,
          account_id: str) -> list[Entry]:
    """The entries that take a tranche from `current` (with `count` entries) to its target."""
    return [entry(target, kind, change, n, affiliate_id=affiliate_id, account_id=account_id)
            for n, (kind, change) in enumerate(legs(target, current), start=count)]


def legs(target: TrancheTarget, current: Buckets) -> list[tuple[str, Buckets]]:
    """The (kind, change) of each entry `moves` would write, without wording them (the
    engine compares replayed histories by these alone)."""
    return _legs(target.target - current, current == ZERO)


def entry(target: TrancheTarget, kind: str, change: Buckets, n: int, *, affiliate_id: str,
          account_id: str) -> Entry:
    """Entry n of a tranche: one leg of a move, with its plan version, inputs and sentence."""
    return Entry(
        entry_key=f"{target.tranche_key}:{n}", tranche_key=target.tranche_key, kind=kind,
        affiliate_id=affiliate_id, account_id=account_id,
        sale_id=target.commission.sale.sale_id, currency=target.commission.sale.currency,
        change=change, plan_id=target.commission.plan_id,
        plan_version=target.commission.plan_version, effective_at=_when(kind, target),
        explanation=_sentence(kind, change, target), inputs=_inputs(target))


def _legs(gap: Buckets, first: bool) -> list[tuple[str, Buckets]]:
    """Split a gap into entries. Money coming in (or going out) moves through `unvested`
    first, as an accrual (a tranche's first entry) or an adjustment; then one entry per
    bucket that gains, taking from the buckets that lose in _TAKE_ORDER."""
    legs: list[tuple[str, Buckets]] = []
    if gap.total:
        legs.append(("accrual" if first and gap.total > 0 else "adjustment",
                     Buckets(unvested=gap.total)))
        gap = gap - Buckets(unvested=gap.total)
    losses = {b: -gap.get(b) for b in _TAKE_ORDER if gap.get(b) < 0}
    for bucket in _GAIN_ORDER:
        need = gap.get(bucket)
        if need <= 0:
            continue
        change = {bucket: need}
        for lose in _TAKE_ORDER:
            take = min(losses.get(lose, 0), need)
            if take:
                losses[lose] -= take
                need -= take
                change[lose] = -take
        legs.append((_KIND_OF_GAIN[bucket], Buckets.of(**change)))
    return legs


def _when(kind: str, target: TrancheTarget) -> datetime:
    if kind == "reversal" and target.reversed_at is not None:
        return target.reversed_at
    if kind in ("vesting", "lapse") and target.settled_at is not None:
        return target.settled_at
    return target.commission.sale.paid_at


def _sentence(kind: str, change: Buckets, target: TrancheTarget) -> str:
    moved = max(abs(change.get(b)) for b in BUCKETS)
    money = Money(moved, target.commission.sale.currency).format()
    part = f"tranche {target.index + 1} ({money})"
    text = {
        "accrual": f"{target.commission.explanation} Accrued {part}; {target.fate_reason}.",
        "vesting": f"Vested {part}: {target.fate_reason}.",
        "lapse": f"Lapsed {part}: {target.fate_reason}.",
        "reversal": f"Reversed {part}: {target.reversal_reason}.",
    }.get(kind)
    if text is not None:
        return text
    direction = {1: "up", -1: "down"}.get((change.total > 0) - (change.total < 0), "back")
    return (f"Adjusted {part} {direction}: facts that arrived later changed it. "
            f"{target.commission.explanation}")


def _inputs(target: TrancheTarget) -> dict[str, Any]:
    return {**target.commission.inputs, "commission_minor": target.commission.amount_minor,
            "tranche": target.index, "tranche_minor": target.amount_minor,
            "vests_at": target.vests_at.isoformat()}
