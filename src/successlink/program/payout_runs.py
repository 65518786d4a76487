"""Which stored payouts a command means: a whole payout run, or one payout by id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from successlink.errors import ConfigError
from successlink.program.exports import PayoutLine
from successlink.store.affiliates import Affiliate
from successlink.store.payouts import Payout


def payout_lines(session: Session, run_or_id: str) -> list[PayoutLine]:
    """The payouts of run `run_or_id`, or the one payout with that id, each with its
    affiliate's name and payout details as they are now."""
    query = select(Payout, Affiliate).join(Affiliate, Affiliate.id == Payout.affiliate_id)
    rows = session.execute(query.where(Payout.run_id == run_or_id)
                           .order_by(Payout.id)).all()
    if not rows and run_or_id.isdigit():
        rows = session.execute(query.where(Payout.id == int(run_or_id))).all()
    if not rows:
        raise ConfigError(f"there is no payout run or payout {run_or_id!r}",
                          hint="See `successlink payouts list` for run ids and payout ids.")
    return [PayoutLine(payout_id=p.id, run_id=p.run_id, affiliate_id=p.affiliate_id,
                       affiliate_name=a.name, method=p.method, status=p.status,
                       currency=p.currency, amount_minor=p.amount_minor,
                       details=dict(a.payout_details), reference=p.reference)
            for p, a in rows]
