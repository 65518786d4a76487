"""Origins and labels: who was a customer on day t, and who had left by t + lead + horizon.

An origin t is a day the model could have been asked to predict from. The population at t
is every account active or trialing at t. Its label is 1 when the account's status, judged
from data as of t + lead + horizon, is "churned" (no subscription running, at least one
started), 0 otherwise. An account that churned and came back within the window counts as
retained: on the day the window closes it is a customer again. With a lead time, accounts
already gone by t + lead are dropped (a warning that late is no warning).

Only origins whose whole window has closed by the data end are used, so no label is guessed.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.metrics.lifecycle import NEVER_RAN, lifecycle


def window_end(origin: date, *, horizon_days: int, lead_days: int) -> date:
    """The last day of the label window of `origin`."""
    return origin + timedelta(days=lead_days + horizon_days)


def origin_grid(first_day: date, data_end: date, *, horizon_days: int, lead_days: int,
                step_days: int, min_history_days: int, max_origins: int | None = None
                ) -> list[date]:
    """Origins, oldest first: every `step_days` back from the newest day whose label window
    closes by `data_end`, none earlier than `min_history_days` after `first_day`.

    Stepping back from the end (not forward from the start) keeps the newest origins fixed
    as history grows, so backtests of the same data end compare like with like.
    """
    newest = data_end - timedelta(days=lead_days + horizon_days)
    oldest = first_day + timedelta(days=min_history_days)
    out: list[date] = []
    day = newest
    while day >= oldest and (max_origins is None or len(out) < max_origins):
        out.append(day)
        day -= timedelta(days=step_days)
    return out[::-1]


def statuses(accounts: ir.Table, subscriptions: ir.Table, acquisitions: ir.Table,
             as_of: date) -> pa.Table:
    """account_id and lifecycle status of every account known by `as_of`."""
    life = lifecycle(accounts, subscriptions, acquisitions, as_of=as_of)
    return life.select("account_id", "status").to_pyarrow()


def churned_by(account_ids: pa.Array | pa.ChunkedArray, later: pa.Table
               ) -> npt.NDArray[np.int8]:
    """1 where the account's status in `later` (a `statuses` table) is churned."""
    churned = later.filter(pc.equal(later.column("status"), "churned")).column("account_id")
    return np.asarray(pc.is_in(account_ids, value_set=churned.combine_chunks())
                      .to_numpy(zero_copy_only=False), dtype=np.int8)


def population(metrics: pa.Table) -> pa.Table:
    """The rows of an as-of `account_metrics` table that can churn: active or trialing."""
    return metrics.filter(pc.fill_null(metrics.column("is_active"), False))


def first_subscription_day(subscriptions: ir.Table) -> date | None:
    """The day the first subscription that really ran started (None: no subscriptions)."""
    s = subscriptions.filter(subscriptions.account_id.notnull(),
                             ~subscriptions.status.isin(NEVER_RAN),
                             subscriptions.started_at.notnull())
    first = s.started_at.min().to_pyarrow().as_py()
    if first is None:
        return None
    if isinstance(first, str):
        return date.fromisoformat(first[:10])
    return first.date() if hasattr(first, "date") else first  # type: ignore[no-any-return]
