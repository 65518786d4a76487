"""Which vested money a payout run pays: pure selection over the ledger.

A payout pays *entries*, not a balance: every unpaid entry that changed an affiliate's vested
bucket (vestings, reversals out of vested money, adjustments) is counted once. A reversal after
a payout is such an entry, so it lowers the next payout: the negative balance is carried until
new vested money covers it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from successlink.program.ledger import Entry


@dataclass(frozen=True)
class PayoutProposal:
    """What one affiliate would be paid in one currency, and the entries it settles."""

    affiliate_id: str
    currency: str
    amount_minor: int
    entry_keys: tuple[str, ...]


def payable(entries: Iterable[Entry], paid: Collection[str]) -> dict[tuple[str, str], int]:
    """Per (affiliate, currency): vested money not yet in a payout (may be negative)."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for e in entries:
        if e.change.vested and e.entry_key not in paid:
            out[(e.affiliate_id, e.currency)] += e.change.vested
    return dict(out)


def due_now(entries: Iterable[Entry], paid: Collection[str], *, held: Collection[str] = (),
            vested_by: datetime | None = None) -> list[Entry]:
    """The entries a payout run would count now: unpaid changes to vested money of
    affiliates not `held`, that vested by `vested_by` (a clawback always counts at once)."""
    return [e for e in entries
            if e.change.vested and e.entry_key not in paid and e.affiliate_id not in held
            and (vested_by is None or e.change.vested < 0 or e.effective_at <= vested_by)]


def propose_payouts(entries: Iterable[Entry], paid: Collection[str],
                    minimum_minor: Mapping[str, int], *,
                    held: Collection[str] = (),
                    vested_by: datetime | None = None) -> list[PayoutProposal]:
    """Payouts for every affiliate whose unpaid vested money reaches the currency's minimum
    (default 1 minor unit), leaving out `held` affiliates (suspended, banned, under review).

    With `vested_by` (now minus the program's hold days), money that vested later waits for a
    later run: the hold is a refund window. Money leaving `vested` (a clawback) is never
    held, so a refund inside the window lowers this payout rather than a later one."""
    groups: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for e in due_now(entries, paid, held=held, vested_by=vested_by):
        groups[(e.affiliate_id, e.currency)].append(e)
    out = []
    for (affiliate, currency), group in sorted(groups.items()):
        amount = sum(e.change.vested for e in group)
        if amount > 0 and amount >= minimum_minor.get(currency, 1):
            keys = tuple(sorted(e.entry_key for e in group))
            out.append(PayoutProposal(affiliate, currency, amount, keys))
    return out
