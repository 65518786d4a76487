"""Where each account stands in its life as of a day: acquired, trialing, active, churned.

The warehouse keeps the *latest* state of each subscription, so the state on day D is rebuilt
from timestamps: a subscription "runs at D" when it started before the cutoff and had not
ended by it. The stored `status` column is never trusted on its own; it only tells which
subscriptions never ran at all (incomplete checkouts).
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from successlink.metrics.window import cutoff, days_until_cutoff, happened_by, instant

NEVER_RAN = ("incomplete", "incomplete_expired")


def started_by(subscriptions: ir.Table, as_of: date) -> ir.Table:
    """Subscriptions of a known account that started by `as_of` and really ran."""
    s = subscriptions
    return s.filter(s.account_id.notnull(), ~s.status.isin(NEVER_RAN),
                    happened_by(s.started_at, as_of))


def running_at(subscriptions: ir.Table, as_of: date) -> ir.Table:
    """Subscriptions running at the as-of cutoff: started before it, not ended before it."""
    s = started_by(subscriptions, as_of)
    return s.filter(s.ended_at.isnull() | (s.ended_at >= instant(cutoff(as_of))))


def in_trial(subscriptions: ir.Table, as_of: date) -> ir.BooleanValue:
    """True where the subscription's trial lasts past the as-of cutoff."""
    trial_end = subscriptions.trial_end
    return trial_end.notnull() & (trial_end > instant(cutoff(as_of)))


def pick_one(table: ir.Table, order: str, *, tiebreak: str, latest: bool = False,
             by: str = "account_id") -> ir.Table:
    """One row per `by`: the earliest (or latest) by `order`, ties to the smallest `tiebreak`.

    Group-by and joins instead of window functions, so every backend agrees.
    """
    t = table.filter(table[order].notnull())
    edge = t[order].max() if latest else t[order].min()
    best = t.group_by(by).aggregate(_edge=edge).rename(_by=by)
    tied = t.join(best, [t[by] == best._by, t[order] == best._edge])
    winner = tied.group_by(by).aggregate(_win=tied[tiebreak].min())
    winner = winner.rename(_key=by)
    return t.semi_join(winner, [t[by] == winner._key, t[tiebreak] == winner._win])


def attach(spine: ir.Table, *parts: ir.Table, key: str = "account_id") -> ir.Table:
    """Left-join each part onto the spine by `key`, as one flat join (SQLite parses deep
    nesting badly); the parts' own key columns are renamed away."""
    out = spine
    for i, part in enumerate(parts):
        renamed = part.rename(**{f"_key{i}": key})
        out = out.left_join(renamed, out[key] == renamed[f"_key{i}"])
    return out.drop(*[f"_key{i}" for i in range(len(parts))])


def lifecycle(accounts: ir.Table, subscriptions: ir.Table, acquisitions: ir.Table, *,
              as_of: date) -> ir.Table:
    """Acquisition, tenure, status, churn and plan of every account known by `as_of`."""
    started = started_by(subscriptions, as_of)
    running = running_at(subscriptions, as_of)
    out = attach(_spine(accounts, started, acquisitions, as_of),
                 _acquisition(acquisitions, as_of), _states(started, running, as_of),
                 _last_ended(started, as_of), _plan(started, running), _reactivated(started))
    status = ibis.cases((out.n_paid > 0, "active"), (out.n_trial > 0, "trialing"),
                        (out.n_started > 0, "churned"), else_="never_subscribed")
    churned = status == "churned"
    acquired_at = ibis.coalesce(out.first_acquired_at, out.first_started_at, out.created_at)
    return out.select(
        account_id=out.account_id.cast("string"),
        acquired_at=acquired_at.cast("timestamp('UTC')"),
        channel=out.channel.fill_null("unknown").cast("string"),
        affiliate_id=out.affiliate_id.cast("string"),
        campaign=out.campaign.cast("string"),
        first_started_at=out.first_started_at.cast("timestamp('UTC')"),
        tenure_days=days_until_cutoff(ibis.coalesce(out.first_started_at, acquired_at),
                                      as_of).cast("float64"),
        status=status.cast("string"),
        is_active=status.isin(("active", "trialing")).cast("boolean"),
        churned_at=ibis.ifelse(churned, out.last_ended_at, ibis.null()).cast("timestamp('UTC')"),
        cancellation_reason=ibis.ifelse(churned, out.last_reason, ibis.null()).cast("string"),
        reactivated=out.n_returns.notnull().cast("boolean"),
        interval=out.interval.cast("string"),
        plan_name=out.plan_name.cast("string"),
        seats=out.seats.fill_null(0).cast("int64"),
        is_annual=(out.interval.fill_null("") == "year").cast("boolean"),
    )


def _spine(accounts: ir.Table, started: ir.Table, acquisitions: ir.Table,
           as_of: date) -> ir.Table:
    """Every account seen by `as_of` (created, acquired or subscribed), with its created_at."""
    a = accounts.filter(accounts.created_at.isnull() | happened_by(accounts.created_at, as_of))
    q = acquisitions.filter(acquisitions.account_id.notnull(),
                            happened_by(acquisitions.acquired_at, as_of))
    ids = (a.select("account_id").union(q.select("account_id"))
           .union(started.select("account_id")).distinct())
    created = accounts.group_by("account_id").aggregate(created_at=accounts.created_at.min())
    created = created.filter(happened_by(created.created_at, as_of))
    return attach(ids, created)


def _acquisition(acquisitions: ir.Table, as_of: date) -> ir.Table:
    """The earliest acquisition by `as_of`: it names the channel, affiliate and campaign."""
    q = acquisitions.filter(acquisitions.account_id.notnull(),
                            happened_by(acquisitions.acquired_at, as_of))
    first = pick_one(q, "acquired_at", tiebreak="acquisition_id")
    return first.select("account_id", "channel", "affiliate_id", "campaign",
                        first_acquired_at="acquired_at")


def _states(started: ir.Table, running: ir.Table, as_of: date) -> ir.Table:
    """Per account: subscriptions started, running paid, running in trial, seats, first start."""
    trial = in_trial(running, as_of)
    run = running.group_by("account_id").aggregate(
        n_trial=ibis.ifelse(trial, 1, 0).sum(), n_paid=ibis.ifelse(trial, 0, 1).sum(),
        seats=running.quantity.sum())
    ever = started.group_by("account_id").aggregate(
        n_started=started.subscription_id.count(), first_started_at=started.started_at.min())
    return attach(ever, run)


def _last_ended(started: ir.Table, as_of: date) -> ir.Table:
    """The subscription that ended last before the cutoff, and why it was cancelled."""
    ended = started.filter(happened_by(started.ended_at, as_of))
    last = pick_one(ended, "ended_at", tiebreak="subscription_id", latest=True)
    return last.select("account_id", last_ended_at="ended_at",
                       last_reason="cancellation_reason")


def _plan(started: ir.Table, running: ir.Table) -> ir.Table:
    """Interval and plan of the biggest running subscription, else of the last one started."""
    big = pick_one(running, "mrr_minor", tiebreak="subscription_id", latest=True)
    big = big.select("account_id", run_interval="interval", run_plan="plan_name")
    last = pick_one(started, "started_at", tiebreak="subscription_id", latest=True)
    last = last.select("account_id", last_interval="interval", last_plan="plan_name")
    both = attach(last, big)
    has_run = both.run_interval.notnull()
    return both.select(
        "account_id",
        interval=ibis.ifelse(has_run, both.run_interval, both.last_interval),
        plan_name=ibis.ifelse(has_run, both.run_plan, both.last_plan))


def _reactivated(started: ir.Table) -> ir.Table:
    """Accounts that started a subscription after an earlier one of theirs had ended."""
    ended = started.filter(started.ended_at.notnull()).select(
        _acct="account_id", _ended_at="ended_at")
    later = started.join(ended, [started.account_id == ended._acct,
                                 started.started_at > ended._ended_at])
    return later.group_by("account_id").aggregate(n_returns=later.subscription_id.count())
