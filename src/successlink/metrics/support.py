"""Support load and satisfaction per account as of a day, from the helpdesk's tickets.

`support_tickets` holds each ticket's LATEST state, so the state at the as-of day is rebuilt
from timestamps: a ticket solved after the cutoff was still open then, and a rating given to
a ticket solved after the cutoff did not exist yet. Column names keep the "_90d" suffix of the
default window whatever `window_days` is.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from successlink.metrics.window import cutoff, days_between, happened_by, instant, within_days

URGENT = "urgent"
HIGH = "high"
# Statuses that end a ticket; without a solved_at, the last update is when it ended.
ENDED = ("solved", "closed")
HOURS_PER_DAY = 24.0


def ended_at(tickets: ir.Table) -> ir.TimestampValue:
    """When the ticket stopped being open: solved_at, else the last update of a ticket
    that is solved or closed without a solve time (merged, spam), else null (still open)."""
    closed_unsolved = tickets.solved_at.isnull() & tickets.status.isin(ENDED)
    return ibis.ifelse(closed_unsolved, tickets.updated_at, tickets.solved_at)


def _flagged(tickets: ir.Table, as_of: date, window_days: int) -> ir.Table:
    """Tickets created by the cutoff with 0/1 flags for everything the metrics count."""
    t = tickets.filter(tickets.account_id.notnull() & happened_by(tickets.created_at, as_of))
    end = ended_at(t)
    is_open = end.isnull() | (end >= instant(cutoff(as_of)))
    solved_recently = within_days(t.solved_at, as_of, window_days)
    hours = ibis.greatest(days_between(t.solved_at, t.created_at), 0.0) * HOURS_PER_DAY
    created_recently = within_days(t.created_at, as_of, window_days)

    def flag(condition: ir.BooleanValue) -> ir.IntegerValue:
        return ibis.ifelse(condition, 1, 0)

    return t.select(
        "account_id",
        recent=flag(created_recently),
        open=flag(is_open),
        open_urgent=flag(is_open & (t.priority == URGENT)),
        open_high=flag(is_open & (t.priority == HIGH)),
        escalated=flag(created_recently & (t.priority == URGENT)),
        resolution_hours=ibis.ifelse(solved_recently, hours, ibis.null("float64")),
        good=flag(solved_recently & (t.csat_score == 1)),
        bad=flag(solved_recently & (t.csat_score == 0)),
    )


def support(support_tickets: ir.Table, *, as_of: date, window_days: int = 90) -> ir.Table:
    """Ticket volume, open and urgent tickets, resolution time and ticket CSAT per account
    with any ticket created by `as_of`. See docs/metrics/support.md."""
    f = _flagged(support_tickets, as_of, window_days)
    out = f.group_by("account_id").aggregate(
        tickets_90d=f.recent.sum(), tickets_total=f.count(), open_tickets=f.open.sum(),
        open_urgent_tickets=f.open_urgent.sum(), open_high_priority_tickets=f.open_high.sum(),
        mean_resolution_hours_90d=f.resolution_hours.mean(),
        csat_good_90d=f.good.sum(), csat_bad_90d=f.bad.sum(), escalations_90d=f.escalated.sum(),
    )
    good = out.csat_good_90d.cast("float64")
    rated = good + out.csat_bad_90d.cast("float64")
    return out.select(
        account_id=out.account_id.cast("string"),
        tickets_90d=out.tickets_90d.cast("int64"),
        tickets_total=out.tickets_total.cast("int64"),
        open_tickets=out.open_tickets.cast("int64"),
        open_urgent_tickets=out.open_urgent_tickets.cast("int64"),
        open_high_priority_tickets=out.open_high_priority_tickets.cast("int64"),
        mean_resolution_hours_90d=out.mean_resolution_hours_90d.cast("float64"),
        csat_good_90d=out.csat_good_90d.cast("int64"),
        csat_bad_90d=out.csat_bad_90d.cast("int64"),
        ticket_csat_pct_90d=ibis.ifelse(rated > 0, 100.0 * good / rated,
                                        ibis.null("float64")).cast("float64"),
        escalations_90d=out.escalations_90d.cast("int64"),
    )
