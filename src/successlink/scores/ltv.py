"""Predicted lifetime value snapshots: per account, and per affiliate and channel.

Reads the `account_metrics` snapshot of the day (the score run stores it first), fits sBG
retention per cohort separately for each billing interval (`models.clv.cohort_fits`), values
every running account at margin per period x DERL (`models.clv.account_value`), accounts
acquired in the last `early_days` days with the early-signal regression
(`models.clv.early_value`), and each source's referred accounts with an interval
(`models.clv.source_value`). See docs/models/ltv.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.metrics.window import SECONDS_PER_DAY, cutoff
from successlink.models.clv.account_value import (
    DAYS_PER_YEAR,
    MONTH_DAYS,
    margin_per_period,
    period_discount,
    renewals_in_horizon,
    renewals_made,
    residual_payments,
    risk_adjusted_payments,
    survival_ahead,
)
from successlink.models.clv.cohort_fits import (
    CohortFit,
    CohortTree,
    fit_cohort_tree,
    relative_risks,
)
from successlink.models.clv.early_value import EarlySignals, fit_early_value
from successlink.models.clv.source_value import parameter_ratios, source_values
from successlink.scores.rollups import DAY_EVENT
from successlink.scores.snapshots import read_snapshot, replace_snapshot_arrow
from successlink.warehouse.connect import Warehouse

ACCOUNT_PREDICTED_LTV = "account_predicted_ltv"
# The paid age at which the quality score judges retention (its RETENTION_DAYS).
RETENTION_AGE_DAYS = 180.0
SOURCE_PREDICTED_LTV = "source_predicted_ltv"

F = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
S = npt.NDArray[np.str_]

# Billing interval -> (period length in days, slack in days for calendar-length variation).
PERIODS: dict[str, tuple[float, float]] = {
    "day": (1.0, 0.0), "week": (7.0, 0.0), "month": (MONTH_DAYS, 2.0),
    "year": (DAYS_PER_YEAR, 2.0),
}
COLUMNS = ("account_id", "channel", "affiliate_id", "first_started_at", "first_payment_at",
           "churned_at", "status", "interval", "plan_name", "seats", "mrr_minor")


@dataclass(frozen=True)
class LtvOptions:
    """How predicted LTV is computed; every time is in days, every rate says its period."""

    gross_margin: float = 0.8
    currency: str = "USD"
    annual_discount: float = 0.10
    levels: tuple[str, ...] = ("channel", "affiliate_id")
    min_accounts: int = 20
    prior_weight: float = 10.0
    # Carry each cohort's hazard ratio from the interval with the most churn observed (monthly
    # plans, usually) into the priors of the others (see models.clv.cohort_fits).
    borrow_across_intervals: bool = True
    # Tilt each cohort's prior by its credibility-weighted hazard ratio: its own losses
    # against the prior's at the same renewals, and (with `account_mix`) how much riskier
    # its plans and seats look than its parent's accounts of the same age.
    hazard_credibility: bool = True
    account_mix: bool = True
    early_days: int = 30
    early_window_days: int = 365
    churn_horizon_days: float = 90.0
    draws: int = 200
    interval_level: float = 0.9
    seed: int = 0


@dataclass(frozen=True, eq=False)
class Book:
    """Accounts that started a subscription by the as-of date, as numpy columns."""

    account_id: S
    channel: S
    affiliate_id: S
    interval: S
    plan: S
    seats: F
    mrr: F
    started: npt.NDArray[np.datetime64]  # first subscription start (trial included)
    age_days: F  # first start to the as-of cutoff
    paid: B  # made a first payment: the sBG clock starts there
    duration_days: F  # first payment to churn, or to the as-of cutoff (0 when unpaid)
    churned: B

    @property
    def size(self) -> int:
        return int(self.account_id.size)


def _strings(table: pa.Table, name: str) -> S:
    return np.asarray(table.column(name).cast(pa.string()).fill_null("").to_pylist(), dtype=str)


def _floats(table: pa.Table, name: str) -> F:
    column = table.column(name).cast(pa.float64()).fill_null(0.0)
    return np.asarray(column.to_numpy(), dtype=np.float64)


def _micros(table: pa.Table, name: str) -> npt.NDArray[np.int64]:
    column = table.column(name).cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return np.asarray(column.fill_null(np.iinfo(np.int64).min).to_numpy(), dtype=np.int64)


def book_from(metrics: pa.Table, as_of: date) -> Book:
    """The started accounts of an `account_metrics` snapshot (columns COLUMNS at least)."""
    metrics = metrics.filter(pc.is_valid(metrics.column("first_started_at")))
    edge = int(cutoff(as_of).timestamp() * 1_000_000)
    started = _micros(metrics, "first_started_at")
    first_paid = _micros(metrics, "first_payment_at")
    paid = first_paid != np.iinfo(np.int64).min
    first_paid = np.where(paid, first_paid, edge)
    churned = _strings(metrics, "status") == "churned"
    ended = np.where(churned, _micros(metrics, "churned_at"), edge)
    ended = np.where(ended == np.iinfo(np.int64).min, edge, ended)
    micros_per_day = SECONDS_PER_DAY * 1e6
    return Book(
        account_id=_strings(metrics, "account_id"), channel=_strings(metrics, "channel"),
        affiliate_id=_strings(metrics, "affiliate_id"), interval=_strings(metrics, "interval"),
        plan=_strings(metrics, "plan_name"), seats=_floats(metrics, "seats"),
        mrr=_floats(metrics, "mrr_minor"), started=started.astype("datetime64[us]"),
        age_days=np.maximum(edge - started, 0) / micros_per_day, paid=paid,
        duration_days=np.maximum(ended - first_paid, 0) / micros_per_day, churned=churned)


def account_mix(book: Book, rows: npt.NDArray[np.intp]) -> F:
    """What `rows` bought, as regression columns: one indicator per plan but the first.

    Known from an account's first invoice, so a cohort referred last month has it too.
    Seats and MRR are not used: the snapshot holds them as of the day, 0 for an account
    that has churned, which would tell the model who churned rather than who will.
    """
    plans = np.unique(book.plan[rows])
    columns = [(book.plan[rows] == plan).astype(np.float64) for plan in plans[1:]]
    return np.column_stack(columns) if columns else np.zeros((rows.size, 1))


def fit_book(book: Book, options: LtvOptions) -> dict[str, tuple[CohortTree, npt.NDArray[np.intp]]]:
    """One cohort tree per billing interval: {interval: (tree, rows of the book in it)}.

    The interval with the most churn observed is fitted first; with
    `options.borrow_across_intervals` its cohorts' hazard ratios to their parents shape the
    priors of the same cohorts on the other intervals, whose own renewals are few.
    """
    candidates = {}
    for interval in PERIODS:
        # Only accounts that paid: a lapsed trial never entered the renewal process.
        rows = np.flatnonzero((book.interval == interval) & book.paid)
        if rows.size and np.any(book.churned[rows]):
            candidates[interval] = rows
    order = sorted(candidates, key=lambda i: -int(np.sum(book.churned[candidates[i]])))
    trees: dict[str, tuple[CohortTree, npt.NDArray[np.intp]]] = {}
    ratios: dict[tuple[str, ...], float] | None = None
    for interval in order:
        period_days, slack = PERIODS[interval]
        rows = candidates[interval]
        levels = [(name, getattr(book, name)[rows]) for name in options.levels]
        features = account_mix(book, rows) if options.account_mix else None
        try:
            tree = fit_cohort_tree(book.duration_days[rows], book.churned[rows], levels,
                                   period_days=period_days, slack_days=slack,
                                   min_accounts=options.min_accounts,
                                   prior_weight=options.prior_weight, relative_risk=ratios,
                                   credibility=options.hazard_credibility, features=features,
                                   age_days=book.age_days[rows])
        except ValueError:
            continue  # no churn and renewals to learn from in this interval
        trees[interval] = (tree, rows)
        if ratios is None and options.borrow_across_intervals:
            ratios = relative_risks(tree, DAYS_PER_YEAR, centred=options.hazard_credibility)
    return {interval: trees[interval] for interval in PERIODS if interval in trees}


def retention_ahead(book: Book, trees: dict[str, tuple[CohortTree, npt.NDArray[np.intp]]],
                    horizon_days: float) -> F:
    """P(still paying `horizon_days` after the as-of date) per account of the book.

    0 for churned accounts, NaN where no retention curve could be fitted (an interval
    without churn). Renewals falling in the horizon are counted on each account's own clock.
    """
    out = np.where(book.churned, 0.0, np.nan)
    for interval, (tree, rows) in trees.items():
        period_days, slack = PERIODS[interval]
        for key, local in tree.members().items():
            at = rows[local]
            at = at[~book.churned[at]]
            m = renewals_made(book.duration_days[at], period_days, slack)
            k = renewals_in_horizon(book.duration_days[at], horizon_days, period_days, slack)
            out[at] = survival_ahead(tree.fits[key].fit, m, k)
    return out


def retention_at_age(book: Book, trees: dict[str, tuple[CohortTree, npt.NDArray[np.intp]]],
                     age_days: float) -> F:
    """P(still paying once `age_days` old, counted from the first payment) for running
    accounts younger than that, from their cohort's curve given the renewals already made;
    NaN for every other account (churned, old enough to be judged, or no curve)."""
    out = np.full(book.size, np.nan)
    for interval, (tree, rows) in trees.items():
        period_days, slack = PERIODS[interval]
        for key, local in tree.members().items():
            at = rows[local]
            at = at[~book.churned[at] & (book.duration_days[at] < age_days)]
            m = renewals_made(book.duration_days[at], period_days, slack)
            k = np.maximum(renewals_made(np.full(at.size, age_days), period_days, slack) - m, 0)
            out[at] = survival_ahead(tree.fits[key].fit, m, k)
    return out


@dataclass(frozen=True, eq=False)
class Valuation:
    """Per account of the book: predicted LTV (minor units), method, cohort label, early."""

    value: F
    method: S
    cohort: S
    early: B
    cohort_index: npt.NDArray[np.int64]  # into `cohorts`, -1 where none
    renewals: npt.NDArray[np.int64]
    cohorts: list[CohortFit]
    discounts: list[float]
    # P(still paying at RETENTION_AGE_DAYS of paid life) for running accounts younger than
    # that, NaN otherwise: the forecast the quality score uses for books too young to judge.
    retention_at_age: F


def early_signals(wh: Warehouse, book: Book, rows: npt.NDArray[np.intp], as_of: date,
                  days: int) -> EarlySignals:
    """Plan, seats and usage of `rows` in their first `days` days (capped at the as-of date).

    Usage comes from the (account, day) rollup; an account younger than `days` has its
    counts scaled up to `days` (a rate, not a total), so it compares with older accounts.
    Plan and seats are the latest known: the account's plan rarely changes in its first
    month, and for accounts still in it they are exactly the early values.
    """
    ids = book.account_id[rows]
    events, active = np.zeros(rows.size), np.zeros(rows.size)
    if DAY_EVENT in wh.con.list_tables() and rows.size:
        r = wh.table(DAY_EVENT)
        r = r.filter(r.day <= ibis.literal(as_of, type="date"))
        starts = pa.table({"account_id": pa.array(ids.tolist(), pa.string()),
                           "_start": pa.array(book.started[rows].astype("datetime64[us]"),
                                              pa.timestamp("us"))})
        per_day = r.group_by("account_id", "day").aggregate(events=r.events.sum())
        day_s = per_day.day.cast("timestamp").epoch_seconds().cast("float64")
        table = per_day.mutate(_day_s=day_s).to_pyarrow()
        index = pc.index_in(table.column("account_id"), value_set=starts.column("account_id"))
        keep = pc.is_valid(index)
        table, index = table.filter(keep), index.filter(keep)
        pos = np.asarray(index.to_numpy(), dtype=np.int64)
        start_s = book.started[rows].astype("datetime64[s]").astype(np.int64).astype(np.float64)
        age = (np.asarray(table.column("_day_s").to_numpy(), dtype=np.float64)
               - np.floor(start_s[pos] / SECONDS_PER_DAY) * SECONDS_PER_DAY) / SECONDS_PER_DAY
        inside = (age >= 0) & (age < days)
        counts = np.asarray(table.column("events").cast(pa.float64()).to_numpy(), dtype=float)
        events = np.asarray(np.bincount(pos[inside], weights=counts[inside],
                                        minlength=rows.size), dtype=np.float64)
        active = np.asarray(np.bincount(pos[inside], minlength=rows.size), dtype=np.float64)
    observed = np.clip(book.age_days[rows], 1.0, float(days))
    scale = days / observed
    return EarlySignals(plan=book.plan[rows], seats=book.seats[rows], events=events * scale,
                        active_days=np.minimum(active * scale, days))


def _early_relative(wh: Warehouse, book: Book, early: B, as_of: date,
                    options: LtvOptions) -> F:
    """Relative value of the early accounts from a regression fitted on older accounts."""
    out = np.ones(book.size)
    if not np.any(early):
        return out
    need = options.early_days + options.early_window_days
    # Older accounts still paying at their early age, whose whole window ended by as_of.
    train = np.flatnonzero(book.paid & (book.age_days >= need)
                           & (book.duration_days >= options.early_days))
    if train.size < 30:
        return out  # too few older accounts to learn from: early accounts get 1
    # Realised value: the share of the window after their early days they kept paying.
    kept = np.clip(book.duration_days[train] - options.early_days, 0.0,
                   options.early_window_days) / options.early_window_days
    try:
        model = fit_early_value(early_signals(wh, book, train, as_of, options.early_days), kept)
    except ValueError:
        return out
    rows = np.flatnonzero(early)
    out[rows] = model.relative_value(early_signals(wh, book, rows, as_of, options.early_days))
    return out


def _fallback_mrr(book: Book) -> F:
    """MRR to value an account not yet paying (in trial): the median MRR per seat of paying
    accounts on the same plan and interval, times its seats; else its plan's median."""
    mrr = book.mrr.copy()
    paying = book.mrr > 0
    for plan in np.unique(book.plan[~paying]):
        for interval in np.unique(book.interval[~paying & (book.plan == plan)]):
            same = paying & (book.plan == plan) & (book.interval == interval)
            target = ~paying & (book.plan == plan) & (book.interval == interval)
            if not np.any(same):
                continue
            per_seat = np.median(book.mrr[same] / np.maximum(book.seats[same], 1.0))
            mrr[target] = per_seat * np.maximum(book.seats[target], 1.0)
    return mrr


def value_book(wh: Warehouse, book: Book, as_of: date, options: LtvOptions,
               churn_probability: F | None = None) -> Valuation:
    """Predicted remaining LTV of every account of the book (0 for churned accounts).

    `churn_probability` (NaN = not scored) is a churn model's P(churn within
    options.churn_horizon_days) per account; when given, running accounts past their early
    days are valued with `risk_adjusted_payments` instead of the plain cohort DERL.
    """
    trees = fit_book(book, options)
    value = np.zeros(book.size)
    method = np.full(book.size, "churned", dtype=object)
    cohort = np.full(book.size, "", dtype=object)
    cohort_index = np.full(book.size, -1, dtype=np.int64)
    renewals = np.zeros(book.size, dtype=np.int64)
    cohorts: list[CohortFit] = []
    discounts: list[float] = []
    early = ~book.churned & (book.age_days < options.early_days)
    relative = _early_relative(wh, book, early, as_of, options)
    mrr = _fallback_mrr(book)
    running = ~book.churned
    method[running] = "no_retention_curve"
    for interval, (tree, rows) in trees.items():
        period_days, slack = PERIODS[interval]
        discount = period_discount(options.annual_discount, period_days)
        # Running accounts that have not paid yet (trials) join their interval's cohorts by
        # channel and affiliate through the tree's fits; they have made 0 renewals.
        for key, local in tree.members().items():
            fit_c = tree.fits[key]
            _assign(book, rows[local], fit_c, tree, interval, discount, period_days, slack,
                    mrr, relative, early, churn_probability, options, value, method, cohort,
                    cohort_index, renewals, len(cohorts))
            cohorts.append(fit_c)
            discounts.append(discount)
        unpaid = np.flatnonzero(running & ~book.paid & (book.interval == interval))
        for i in unpaid:
            key = _deepest(tree, [getattr(book, n)[i] for n in tree.names])
            _assign(book, np.array([i]), tree.fits[key], tree, interval, discount,
                    period_days, slack, mrr, relative, early, churn_probability, options,
                    value, method, cohort, cohort_index, renewals,
                    cohorts.index(tree.fits[key]) if tree.fits[key] in cohorts else len(cohorts))
            if tree.fits[key] not in cohorts:
                cohorts.append(tree.fits[key])
                discounts.append(discount)
    return Valuation(value, np.asarray(method, dtype=str), np.asarray(cohort, dtype=str),
                     early, cohort_index, renewals, cohorts, discounts,
                     retention_at_age(book, trees, RETENTION_AGE_DAYS))


def _deepest(tree: CohortTree, values: list[str]) -> tuple[str, ...]:
    key: tuple[str, ...] = ()
    for v in values:
        if v == "" or (*key, v) not in tree.fits:
            break
        key = (*key, v)
    return key


def _assign(book: Book, at: npt.NDArray[np.intp], fit_c: CohortFit, tree: CohortTree,
            interval: str, discount: float, period_days: float, slack: float, mrr: F,
            relative: F, early: B, churn_probability: F | None, options: LtvOptions,
            value: F, method: npt.NDArray[Any], cohort: npt.NDArray[Any],
            cohort_index: npt.NDArray[np.int64], renewals: npt.NDArray[np.int64],
            index: int) -> None:
    """Value the running accounts among `at`, all in cohort `fit_c`."""
    at = at[~book.churned[at]]
    if at.size == 0:
        return
    m = renewals_made(book.duration_days[at], period_days, slack)
    payments = residual_payments(fit_c.fit, m, discount)
    how = np.where(early[at], "early", "cohort_derl").astype(object)
    if churn_probability is not None:
        p = churn_probability[at]
        scored = np.isfinite(p) & ~early[at]
        if np.any(scored):
            k = renewals_in_horizon(book.duration_days[at][scored], options.churn_horizon_days,
                                    period_days, slack)
            payments[scored] = risk_adjusted_payments(fit_c.fit, m[scored], k, p[scored],
                                                      discount)
            how[scored] = "cohort_derl_churn_adjusted"
    payments = np.where(early[at], payments * relative[at], payments)
    value[at] = margin_per_period(mrr[at], options.gross_margin, period_days) * payments
    method[at] = how
    cohort[at] = f"interval={interval}/" + fit_c.label(tree.names)
    cohort_index[at] = index
    renewals[at] = m


def account_table(book: Book, valuation: Valuation, as_of: date, currency: str) -> pa.Table:
    """The `account_predicted_ltv` rows of one day."""
    n = book.size
    return pa.table({
        "as_of": pa.array([as_of] * n, pa.date32()),
        "account_id": pa.array(book.account_id.tolist(), pa.string()),
        "predicted_ltv_minor": pa.array(np.round(valuation.value).astype(np.int64)),
        "currency": pa.array([currency] * n, pa.string()),
        "method": pa.array(valuation.method.tolist(), pa.string()),
        "cohort": pa.array(valuation.cohort.tolist(), pa.string()),
        "early": pa.array(valuation.early),
        "retention_at_age": pa.array(valuation.retention_at_age, pa.float64(),
                                     from_pandas=True),
    })


def source_table(book: Book, valuation: Valuation, as_of: date, options: LtvOptions) -> pa.Table:
    """The `source_predicted_ltv` rows: per affiliate and per channel, value per referred
    account (churned ones count as 0), its interval and the number of accounts."""
    rng = np.random.default_rng(options.seed)
    max_m = int(valuation.renewals.max(initial=0))
    ratios = np.ones((len(valuation.cohorts) + 1, options.draws, max_m + 1))
    done: dict[int, int] = {}  # cohorts that fell back to their parent share its draws
    for c, (fit_c, discount) in enumerate(zip(valuation.cohorts, valuation.discounts,
                                              strict=True)):
        if id(fit_c.fit) in done:
            ratios[c] = ratios[done[id(fit_c.fit)]]
            continue
        done[id(fit_c.fit)] = c
        ratios[c] = parameter_ratios([fit_c], max_m, discount, options.draws, rng)[0]
    cohort = np.where(valuation.cohort_index >= 0, valuation.cohort_index, len(valuation.cohorts))
    columns: dict[str, list[Any]] = {k: [] for k in (
        "source_kind", "source_id", "value_per_account_minor", "low_minor", "high_minor",
        "accounts", "active_accounts")}
    for kind, keys, mask in (("affiliate", book.affiliate_id, book.affiliate_id != ""),
                             ("channel", book.channel, np.ones(book.size, dtype=bool))):
        rows = np.flatnonzero(mask)
        ids, group = np.unique(keys[rows], return_inverse=True)
        result = source_values(valuation.value[rows], group, ids.size, cohort[rows],
                               valuation.renewals[rows], ratios, level=options.interval_level,
                               rng=rng)
        active = np.bincount(group, weights=(~book.churned[rows]).astype(np.float64),
                             minlength=ids.size).astype(np.int64)
        columns["source_kind"] += [kind] * ids.size
        columns["source_id"] += ids.tolist()
        columns["value_per_account_minor"] += np.round(result.mean).astype(np.int64).tolist()
        columns["low_minor"] += np.round(result.low).astype(np.int64).tolist()
        columns["high_minor"] += np.round(result.high).astype(np.int64).tolist()
        columns["accounts"] += result.accounts.tolist()
        columns["active_accounts"] += active.tolist()
    n = len(columns["source_id"])
    return pa.table({
        "as_of": pa.array([as_of] * n, pa.date32()),
        "source_kind": pa.array(columns["source_kind"], pa.string()),
        "source_id": pa.array(columns["source_id"], pa.string()),
        "currency": pa.array([options.currency] * n, pa.string()),
        "value_per_account_minor": pa.array(columns["value_per_account_minor"], pa.int64()),
        "low_minor": pa.array(columns["low_minor"], pa.int64()),
        "high_minor": pa.array(columns["high_minor"], pa.int64()),
        "accounts": pa.array(columns["accounts"], pa.int64()),
        "active_accounts": pa.array(columns["active_accounts"], pa.int64()),
    })


def churn_array(book: Book, churn: pa.Table | None) -> F | None:
    """A churn model's table (account_id, churn_probability) aligned with the book (NaN
    where an account was not scored)."""
    if churn is None:
        return None
    index = pc.index_in(pa.array(book.account_id.tolist(), pa.string()),
                        value_set=churn.column("account_id").cast(pa.string()))
    taken = pc.take(churn.column("churn_probability").cast(pa.float64()), index)
    return np.asarray(taken.fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)


def store_predicted_ltv(wh: Warehouse, as_of: date, options: LtvOptions,
                        churn: pa.Table | None = None, *,
                        metrics_table: str = "account_metrics") -> dict[str, int]:
    """Compute and store both snapshots of `as_of`; returns rows stored per table.

    Needs the `account_metrics` snapshot of `as_of` (run after it is stored). `churn` is an
    optional table (account_id, churn_probability over options.churn_horizon_days).
    """
    # Sorted: backends return rows in any order, and the bootstrap draws follow row order.
    metrics = read_snapshot(wh, metrics_table, as_of).select(*COLUMNS).to_pyarrow() \
        .sort_by("account_id")
    book = book_from(metrics, as_of)
    valuation = value_book(wh, book, as_of, options, churn_array(book, churn))
    return {
        ACCOUNT_PREDICTED_LTV: replace_snapshot_arrow(
            wh, ACCOUNT_PREDICTED_LTV, account_table(book, valuation, as_of, options.currency),
            as_of),
        SOURCE_PREDICTED_LTV: replace_snapshot_arrow(
            wh, SOURCE_PREDICTED_LTV, source_table(book, valuation, as_of, options), as_of),
    }
