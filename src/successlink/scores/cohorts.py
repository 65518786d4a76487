"""Referred accounts as numpy columns, grouped by the source that brought them.

Scorecards need Kaplan-Meier fits and empirical-Bayes shrinkage, which live in Python, so the
score run fetches one as-of snapshot of account metrics and health (one row per account:
tens of bytes each, a million accounts fit easily) and groups it here with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.metrics.window import cutoff

F = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
DAY = np.timedelta64(1, "D")

# Columns the scorecard reads from account_metrics (plus health score and band).
NEEDED = ("account_id", "channel", "affiliate_id", "first_started_at", "churned_at",
          "is_active", "tenure_days", "revenue_net_minor", "refunds_minor", "disputed_minor",
          "ltv_seed_minor", "ltv_margin_minor", "expansion_mrr_minor", "upsell_count",
          "cross_sell_count", "nps_latest_category", "csat_pct_satisfied", "tickets_90d",
          "tickets_total", "crc_minor", "mrr_minor")


def _float(table: pa.Table, name: str) -> F:
    return np.asarray(table.column(name).cast(pa.float64()).fill_null(np.nan).to_numpy(),
                      dtype=np.float64)


def _bool(table: pa.Table, name: str) -> B:
    return np.asarray(table.column(name).fill_null(False).to_numpy(zero_copy_only=False),
                      dtype=np.bool_)


def _instant(table: pa.Table, name: str) -> npt.NDArray[np.datetime64]:
    column = table.column(name).cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    micros = column.fill_null(np.iinfo(np.int64).min).to_numpy()
    return np.asarray(micros, dtype="datetime64[us]")


def _strings(table: pa.Table, name: str) -> npt.NDArray[np.str_]:
    return np.asarray(table.column(name).cast(pa.string()).fill_null("").to_pylist(), dtype=str)


@dataclass(frozen=True, eq=False)
class Accounts:
    """One entry per account that started a subscription by the as-of date."""

    as_of: date
    account_id: npt.NDArray[np.str_]
    channel: npt.NDArray[np.str_]
    affiliate_id: npt.NDArray[np.str_]
    started: npt.NDArray[np.datetime64]
    churned: npt.NDArray[np.datetime64]  # NaT while running
    active: B
    tenure_days: F
    revenue_net: F
    refunded: F  # refunds + disputes
    ltv_seed: F
    ltv_margin: F
    expansion_mrr: F
    expanded: B
    nps_category: npt.NDArray[np.str_]
    csat_pct: F
    tickets_90d: F
    tickets_total: F
    crc: F
    mrr: F
    health_score: F
    health_band: npt.NDArray[np.str_]
    # Forecast P(still a customer at the retention age) for accounts too young to be judged
    # (NaN otherwise); None when no forecast was made.
    predicted_retention: F | None = None

    @property
    def size(self) -> int:
        return int(self.account_id.size)

    @property
    def cutoff(self) -> np.datetime64:
        return np.datetime64(cutoff(self.as_of).replace(tzinfo=None), "us")

    def take(self, mask: B) -> Accounts:
        """The accounts where `mask` is true."""
        columns = {f.name: getattr(self, f.name)[mask] for f in fields(self)
                   if f.name != "as_of" and getattr(self, f.name) is not None}
        return replace(self, **columns)

    def lifetime_days(self) -> F:
        """Days from start to churn, or to the as-of cutoff while running."""
        end = np.where(np.isnat(self.churned), self.cutoff, self.churned)
        return np.asarray((end - self.started) / DAY, dtype=np.float64)


def accounts_from(metrics: pa.Table, health: pa.Table | None, as_of: date,
                  predicted: pa.Table | None = None) -> Accounts:
    """Accounts that have started paying or trialing, with their health joined by account
    and, when given, the forecast retention of `account_predicted_ltv` (retention_at_age)."""
    started = pc.is_valid(metrics.column("first_started_at"))
    # Sorted: backends return rows in any order, and float sums (fractional forecast counts
    # in the shrinkage fits) must not depend on it.
    metrics = metrics.filter(started).sort_by("account_id")
    score, band = _health_columns(metrics, health)
    churned = _instant(metrics, "churned_at")
    churned = np.where(churned == np.datetime64(np.iinfo(np.int64).min, "us"),
                       np.datetime64("NaT"), churned)
    return Accounts(
        as_of=as_of, account_id=_strings(metrics, "account_id"),
        channel=np.where(_strings(metrics, "channel") == "", "unknown",
                         _strings(metrics, "channel")),
        affiliate_id=_strings(metrics, "affiliate_id"),
        started=_instant(metrics, "first_started_at"), churned=churned,
        active=_bool(metrics, "is_active"), tenure_days=_float(metrics, "tenure_days"),
        revenue_net=np.nan_to_num(_float(metrics, "revenue_net_minor")),
        refunded=np.nan_to_num(_float(metrics, "refunds_minor"))
        + np.nan_to_num(_float(metrics, "disputed_minor")),
        ltv_seed=_float(metrics, "ltv_seed_minor"), ltv_margin=_float(metrics, "ltv_margin_minor"),
        expansion_mrr=np.nan_to_num(_float(metrics, "expansion_mrr_minor")),
        expanded=(np.nan_to_num(_float(metrics, "upsell_count"))
                  + np.nan_to_num(_float(metrics, "cross_sell_count"))) > 0,
        nps_category=_strings(metrics, "nps_latest_category"),
        csat_pct=_float(metrics, "csat_pct_satisfied"),
        tickets_90d=np.nan_to_num(_float(metrics, "tickets_90d")),
        tickets_total=np.nan_to_num(_float(metrics, "tickets_total")),
        crc=np.nan_to_num(_float(metrics, "crc_minor")),
        mrr=np.nan_to_num(_float(metrics, "mrr_minor")), health_score=score, health_band=band,
        predicted_retention=None if predicted is None else _joined(metrics, predicted,
                                                                   "retention_at_age"),
    )


def _joined(metrics: pa.Table, other: pa.Table, column: str) -> F:
    """`other`'s float `column` aligned with the rows of `metrics` by account_id (NaN: none)."""
    index = pc.index_in(metrics.column("account_id"),
                        value_set=other.column("account_id").combine_chunks())
    taken = pc.take(other.column(column).cast(pa.float64()), index)
    return np.asarray(taken.fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)


def _health_columns(metrics: pa.Table, health: pa.Table | None) -> tuple[F, npt.NDArray[np.str_]]:
    n = metrics.num_rows
    if health is None or health.num_rows == 0:
        return np.full(n, np.nan), np.full(n, "", dtype=object).astype(str)
    index = pc.index_in(metrics.column("account_id"), value_set=health.column("account_id"))
    score = pc.take(health.column("score"), index)
    band = pc.take(health.column("band"), index)
    return (np.asarray(score.cast(pa.float64()).fill_null(np.nan).to_numpy(), dtype=np.float64),
            np.asarray(band.fill_null("").to_pylist(), dtype=str))


@dataclass(frozen=True, eq=False)
class Groups:
    """Accounts split by one source dimension (each affiliate, or each channel)."""

    kind: str  # "affiliate" or "channel"
    ids: npt.NDArray[np.str_]
    index: npt.NDArray[np.intp]  # group of every account

    def members(self, g: int) -> npt.NDArray[np.intp]:
        return np.flatnonzero(self.index == g)

    def count(self, mask: B | None = None) -> F:
        weights = None if mask is None else mask.astype(np.float64)
        return np.bincount(self.index, weights=weights, minlength=self.ids.size).astype(float)

    def total(self, values: F, mask: B | None = None) -> F:
        """Per-group sum of values (NaN ignored), optionally over a subset of accounts."""
        use = ~np.isnan(values) if mask is None else (~np.isnan(values) & mask)
        return np.bincount(self.index[use], weights=values[use],
                           minlength=self.ids.size).astype(np.float64)

    def mean_and_se(self, values: F, mask: B | None = None) -> tuple[F, F, F]:
        """Per-group mean, standard error and count of the non-NaN values."""
        use = ~np.isnan(values) if mask is None else (~np.isnan(values) & mask)
        n = np.bincount(self.index[use], minlength=self.ids.size).astype(float)
        s1 = np.bincount(self.index[use], weights=values[use], minlength=self.ids.size)
        s2 = np.bincount(self.index[use], weights=values[use] ** 2, minlength=self.ids.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / n
            var = np.maximum(s2 / n - mean**2, 0.0) * n / np.maximum(n - 1, 1)
            se = np.sqrt(var / n)
        return mean, se, n


def group_by(accounts: Accounts, kind: str) -> Groups:
    """Accounts by channel, or by affiliate (pass only accounts an affiliate referred)."""
    keys = accounts.affiliate_id if kind == "affiliate" else accounts.channel
    ids, index = np.unique(keys, return_inverse=True)
    return Groups(kind, ids, index.astype(np.intp))
