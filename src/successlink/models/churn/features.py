"""Which `account_metrics` columns the churn model sees, and how they become a matrix.

Only what an account looks like *as of* the origin day goes in: counts, money, usage,
support, surveys and people, its plan, billing interval and acquisition channel, plus two
values derived from the row itself (days since the last payment, whether it is in trial).
Identifiers (account, affiliate, campaign), raw timestamps, the lifecycle status and the
cancellation reason never do: they either name the account or describe how it ended.

One piece of context comes from the other rows of the same as-of table: how the accounts
that arrived through the same source (its affiliate, else its channel) have fared so far -
their number and the share that had churned by the origin, leaving the account itself out
and shrunk towards the share of all accounts. Good affiliates bring accounts that stay, so
a referrer's record says something about an account too young to have a record of its own.
LTV and allocated-cost columns are left out too: they are functions of program-wide figures
(the program churn rate, the size of a cost pool) that change from one origin to the next,
so they would let the model learn the calendar instead of the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

FloatMatrix = npt.NDArray[np.float64]

NUMERIC_COLUMNS = (
    "tenure_days", "seats", "mrr_minor", "revenue_gross_minor", "refunds_minor",
    "disputed_minor", "revenue_net_minor", "purchase_count", "avg_purchase_minor",
    "failed_payments_90d", "upsell_count", "cross_sell_count", "expansion_mrr_minor",
    "downgrade_count", "contraction_mrr_minor", "expansion_count_365d",
    "active_days_30", "active_days_prev_30", "active_users_30", "active_users_prev_30",
    "events_30", "events_prev_30", "events_total", "distinct_features_30",
    "key_features_adopted", "key_feature_adoption", "usage_trend", "active_users_trend",
    "days_since_active", "seat_utilisation",
    "tickets_90d", "tickets_total", "open_tickets", "open_urgent_tickets",
    "open_high_priority_tickets", "mean_resolution_hours_90d", "csat_good_90d", "csat_bad_90d",
    "ticket_csat_pct_90d", "escalations_90d",
    "nps_latest_score", "days_since_nps", "nps_responses", "nps_account_score",
    "csat_responses", "csat_responses_365d", "csat_pct_satisfied", "response_rate",
    "contacts_total", "contacts_decision_maker", "contacts_champion", "contacts_influencer",
    "contacts_budget_holder", "contacts_end_user", "contacts_other", "engaged_contacts_90d",
    "arpa_minor", "purchases_per_month",
)
BOOLEAN_COLUMNS = ("is_annual", "reactivated", "champion_present", "decision_maker_engaged")
DERIVED_COLUMNS = ("days_since_payment", "is_trialing", "events_lifetime_30d",
                   "events_vs_lifetime", "tickets_lifetime_30d")
SOURCE_HISTORY_COLUMNS = ("source_accounts", "source_churn_share")
# Pseudo-accounts at the overall churn share that a source's own record is blended with.
SOURCE_PRIOR_ACCOUNTS = 10.0
CATEGORICAL_COLUMNS = ("plan_name", "interval", "channel")
# Read from account_metrics but never used as features (see the module docstring).
NEVER = (
    "as_of", "account_id", "affiliate_id", "campaign", "acquired_at", "first_started_at",
    "status", "is_active", "churned_at", "cancellation_reason", "first_payment_at",
    "last_payment_at", "last_expansion_at", "last_active_day", "nps_latest_at",
)
# Columns of account_metrics the features are computed from.
SOURCE_COLUMNS = (*NUMERIC_COLUMNS, *BOOLEAN_COLUMNS, *CATEGORICAL_COLUMNS,
                  "as_of", "account_id", "status", "last_payment_at", "affiliate_id")
_MICROS_PER_DAY = 86_400 * 1_000_000
# Rows per slice and per copied block when building the matrix (see `FeatureSpec.matrix`).
_SLICE_ROWS = 65_536
_BLOCK_ROWS = 8192
_LIFETIME = {"events_lifetime_30d": "events_total", "tickets_lifetime_30d": "tickets_total"}


@dataclass(frozen=True)
class FeatureSpec:
    """The feature columns in model order, and each categorical column's known values.

    The vocabularies are learned from the training rows and saved with the model, so a plan
    first seen after training scores as "missing" instead of shifting every code.
    """

    numeric: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]

    @property
    def names(self) -> list[str]:
        return [*self.numeric, *self.categories]

    @property
    def categorical_indices(self) -> list[int]:
        return list(range(len(self.numeric), len(self.numeric) + len(self.categories)))

    def matrix(self, metrics: pa.Table) -> FloatMatrix:
        """Rows of `account_metrics` as a float matrix (NaN where a value is unknown;
        categories as their index in the vocabulary)."""
        # Row-major, which LightGBM predicts from fastest. Built a slice of rows at a time
        # (every feature depends on its own row only), so the float columns of only one
        # slice exist besides the matrix; each slice is copied in blocks that stay in cache,
        # where writing whole columns into a million rows would stride through all memory.
        out = np.empty((metrics.num_rows, len(self.names)))
        for start in range(0, metrics.num_rows, _SLICE_ROWS):
            columns = self._columns(metrics.slice(start, _SLICE_ROWS))
            for offset in range(0, len(columns[0]) if columns else 0, _BLOCK_ROWS):
                block = out[start + offset:start + offset + _BLOCK_ROWS]
                for j, column in enumerate(columns):
                    block[:, j] = column[offset:offset + _BLOCK_ROWS]
        return out

    def _columns(self, metrics: pa.Table) -> list[npt.NDArray[np.float64]]:
        columns = [_numeric_column(metrics, name) for name in self.numeric]
        for name, vocabulary in self.categories.items():
            codes = pc.index_in(_strings(metrics.column(name)),
                                value_set=pa.array(vocabulary, pa.string()))
            columns.append(_floats(codes))
        return columns

    def to_json(self) -> dict[str, Any]:
        return {"numeric": list(self.numeric),
                "categories": {k: list(v) for k, v in self.categories.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSpec:
        return cls(tuple(data["numeric"]),
                   {k: tuple(v) for k, v in dict(data["categories"]).items()})


def learn_spec(tables: Iterable[pa.Table]) -> FeatureSpec:
    """The spec for training rows: every feature column, vocabularies sorted for stability."""
    seen: dict[str, set[str]] = {name: set() for name in CATEGORICAL_COLUMNS}
    for table in tables:
        for name in CATEGORICAL_COLUMNS:
            values = pc.unique(_strings(table.column(name))).drop_null()
            seen[name].update(str(v) for v in values.to_pylist())
    return FeatureSpec((*NUMERIC_COLUMNS, *BOOLEAN_COLUMNS, *DERIVED_COLUMNS,
                        *SOURCE_HISTORY_COLUMNS),
                       {name: tuple(sorted(seen[name])) for name in CATEGORICAL_COLUMNS})


def with_source_history(metrics: pa.Table) -> pa.Table:
    """`metrics` (every account of one as-of day, churned ones included) plus, per row,
    the number of other accounts from its source and their shrunk churned share."""
    channel = pc.fill_null(_strings(metrics.column("channel")), "unknown")
    key = pc.coalesce(_strings(metrics.column("affiliate_id")),
                      pc.binary_join_element_wise("channel:", channel, ""))
    churned = np.asarray(pc.fill_null(pc.equal(_strings(metrics.column("status")), "churned"),
                                      False).to_numpy(zero_copy_only=False), dtype=np.float64)
    encoded = pc.dictionary_encode(key)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    group = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    n = np.bincount(group).astype(np.float64)
    lost = np.bincount(group, weights=churned)
    overall = float(churned.mean()) if churned.size else 0.0
    others = n[group] - 1.0
    share = (lost[group] - churned + SOURCE_PRIOR_ACCOUNTS * overall) / (
        others + SOURCE_PRIOR_ACCOUNTS)
    return metrics.append_column("source_accounts", pa.array(others)).append_column(
        "source_churn_share", pa.array(share))


def _numeric_column(metrics: pa.Table, name: str) -> npt.NDArray[np.float64]:
    if name == "is_trialing":
        return _floats(pc.equal(_strings(metrics.column("status")), "trialing"))
    if name == "days_since_payment":
        return days_since(metrics.column("last_payment_at"), metrics.column("as_of"))
    if name in _LIFETIME:
        # An account's own normal: its 30-day average over its whole tenure (at least 30
        # days, so a new account's first month is its normal).
        months = np.maximum(_floats(metrics.column("tenure_days")), 30.0) / 30.0
        return _floats(metrics.column(_LIFETIME[name])) / months
    if name == "events_vs_lifetime":
        normal = _numeric_column(metrics, "events_lifetime_30d")
        recent = _floats(metrics.column("events_30"))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio: npt.NDArray[np.float64] = np.where(normal > 0, recent / normal, np.nan)
        return ratio
    return _floats(metrics.column(name))


def days_since(stamps: pa.ChunkedArray | pa.Array, as_of: pa.ChunkedArray | pa.Array
               ) -> npt.NDArray[np.float64]:
    """Days from each instant to the end of its row's as-of day (NaN where unknown)."""
    micros = _floats(pc.cast(_timestamps(stamps), pa.int64()))
    days = _floats(pc.cast(_dates(as_of), pa.int32()))
    out: npt.NDArray[np.float64] = ((days + 1.0) * _MICROS_PER_DAY - micros) / _MICROS_PER_DAY
    return out


def _floats(values: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.float64]:
    # Arrow writes NaN for a null float itself: no fill_null copy needed.
    out: npt.NDArray[np.float64] = np.asarray(
        pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    return out


def _strings(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())


def _dates(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """date32 whatever the backend returned (SQLite keeps dates as text)."""
    if pa.types.is_date32(values.type):
        return values
    if pa.types.is_timestamp(values.type):
        return pc.cast(pc.cast(values, pa.timestamp("us")), pa.date32())
    return pc.cast(pc.cast(values, pa.string()), pa.date32())


def _timestamps(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Naive-UTC microsecond timestamps whatever the backend returned."""
    if pa.types.is_timestamp(values.type):
        return pc.cast(values, pa.timestamp("us", tz=values.type.tz)).cast(pa.timestamp("us"))
    if pa.types.is_null(values.type):
        return pc.cast(values, pa.timestamp("us"))
    return pc.strptime(pc.cast(values, pa.string()), format="%Y-%m-%d %H:%M:%S", unit="us",
                       error_is_null=True)
