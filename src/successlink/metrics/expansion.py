"""Upsell, cross-sell and contraction history per account, from the subscription change log.

'new', 'cancel' and 'reactivation' changes are the start and end of revenue, not its growth,
so they count neither as expansion nor as contraction.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from successlink.metrics.currency import Fx, as_minor, to_reporting
from successlink.metrics.window import happened_by, within_days

RECENT_DAYS = 365


def expansion(subscription_changes: ir.Table, *, as_of: date, fx: Fx) -> ir.Table:
    """Expansion and contraction counts and MRR per account up to `as_of`."""
    c = subscription_changes.filter(subscription_changes.account_id.notnull(),
                                    happened_by(subscription_changes.changed_at, as_of))
    kind = c.change_type
    seats_up, seats_down = _seat_direction(c)
    upsell = (kind == "upgrade") | ((kind == "seat_change") & seats_up)
    cross = kind == "cross_sell"
    down = (kind == "downgrade") | ((kind == "seat_change") & seats_down)
    grows = upsell | cross
    delta = to_reporting(c.mrr_delta_minor, c.currency, fx)
    moves = kind.isin(("upgrade", "downgrade", "cross_sell", "seat_change"))
    gained = ibis.ifelse(moves & (c.mrr_delta_minor > 0), delta, 0.0)
    lost = ibis.ifelse(kind.isin(("downgrade", "seat_change")) & (c.mrr_delta_minor < 0),
                       -delta, 0.0)
    recent = grows & within_days(c.changed_at, as_of, RECENT_DAYS)
    out = c.group_by("account_id").aggregate(
        upsell_count=ibis.ifelse(upsell, 1, 0).sum(),
        cross_sell_count=ibis.ifelse(cross, 1, 0).sum(),
        expansion_mrr=gained.sum(),
        downgrade_count=ibis.ifelse(down, 1, 0).sum(),
        contraction_mrr=lost.sum(),
        expansion_count_365d=ibis.ifelse(recent, 1, 0).sum(),
        last_expansion_at=ibis.ifelse(grows, c.changed_at, ibis.null()).max())
    return out.select(
        account_id=out.account_id.cast("string"),
        upsell_count=out.upsell_count.cast("int64"),
        cross_sell_count=out.cross_sell_count.cast("int64"),
        expansion_mrr_minor=as_minor(out.expansion_mrr.fill_null(0.0)),
        downgrade_count=out.downgrade_count.cast("int64"),
        contraction_mrr_minor=as_minor(out.contraction_mrr.fill_null(0.0)),
        expansion_count_365d=out.expansion_count_365d.cast("int64"),
        last_expansion_at=out.last_expansion_at.cast("timestamp('UTC')"),
    )


def _seat_direction(c: ir.Table) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    """Whether a seat change added or removed seats: by the seat counts when both are
    known, else by the sign of the MRR delta."""
    known = c.from_quantity.notnull() & c.to_quantity.notnull()
    up = ibis.ifelse(known, c.to_quantity > c.from_quantity, c.mrr_delta_minor > 0)
    down = ibis.ifelse(known, c.to_quantity < c.from_quantity, c.mrr_delta_minor < 0)
    return up, down
