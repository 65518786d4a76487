"""The training frame: account metrics at several origins, each row labelled by what
happened in its window.

Each origin's rows come from `account_metrics` evaluated *as of that origin*, so a feature
can only see what was known then; the label comes from the lifecycle as of the window's end.
Rows stay in Arrow per origin (for vocabularies and driver text) and become one numpy
matrix per fit; pandas is never involved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from successlink.config import MetricsSettings
from successlink.metrics.account import Inputs, account_metrics
from successlink.models.churn.features import SOURCE_COLUMNS, FeatureSpec, with_source_history
from successlink.models.churn.labels import churned_by, population, statuses, window_end

MetricsAt = Callable[[date], pa.Table]
StatusAt = Callable[[date], pa.Table]
Progress = Callable[[date], None]


@dataclass(frozen=True)
class Frame:
    """Labelled rows of several origins; `blocks[i]` holds the rows of `origins[i]`."""

    origins: tuple[date, ...]
    blocks: tuple[pa.Table, ...]
    labels: tuple[npt.NDArray[np.int8], ...]

    def take(self, chosen: Sequence[date]) -> Frame:
        """The sub-frame of some origins (in the order given)."""
        where = {day: i for i, day in enumerate(self.origins)}
        missing = [d for d in chosen if d not in where]
        if missing:
            raise KeyError(f"origins not in the frame: {missing}")
        idx = [where[d] for d in chosen]
        return Frame(tuple(chosen), tuple(self.blocks[i] for i in idx),
                     tuple(self.labels[i] for i in idx))

    @property
    def rows(self) -> int:
        return sum(b.num_rows for b in self.blocks)

    @property
    def positives(self) -> int:
        return int(sum(int(y.sum()) for y in self.labels))

    def matrix(self, spec: FeatureSpec) -> npt.NDArray[np.float64]:
        if not self.blocks:
            return np.zeros((0, len(spec.names)))
        return np.vstack([spec.matrix(b) for b in self.blocks])

    def y(self) -> npt.NDArray[np.int8]:
        if not self.labels:
            return np.zeros(0, np.int8)
        return np.concatenate(self.labels)


def metrics_at(inp: Inputs, settings: MetricsSettings) -> MetricsAt:
    """Every account's feature columns as of a day, straight from the canonical tables
    (the same expression `successlink score` stores)."""

    def at(day: date) -> pa.Table:
        # The program churn rate only feeds the LTV columns, which are not features.
        wide = account_metrics(inp, as_of=day, settings=settings, monthly_churn_rate=0.0)
        return wide.select(*SOURCE_COLUMNS, "is_active").to_pyarrow()

    return at


def status_at(inp: Inputs) -> StatusAt:
    """Lifecycle status of every account as of a day."""

    def at(day: date) -> pa.Table:
        return statuses(inp["accounts"], inp["subscriptions"], inp["acquisitions"], day)

    return at


def build_frame(origins: Sequence[date], features_at: MetricsAt, labels_at: StatusAt, *,
                horizon_days: int, lead_days: int,
                progress: Progress = lambda day: None) -> Frame:
    """Rows and labels for each origin; with a lead, accounts gone by t + lead are dropped."""
    blocks, labels = [], []
    for origin in origins:
        progress(origin)
        # Sorted, because backends return rows in any order and a fit must not depend on it.
        rows = population(with_source_history(features_at(origin))).sort_by("account_id")
        if lead_days > 0:
            gone = churned_by(rows.column("account_id"),
                              labels_at(origin + timedelta(days=lead_days)))
            rows = rows.filter(pa.array(gone == 0))
        later = labels_at(window_end(origin, horizon_days=horizon_days, lead_days=lead_days))
        blocks.append(rows)
        labels.append(churned_by(rows.column("account_id"), later))
    return Frame(tuple(origins), tuple(blocks), tuple(labels))
