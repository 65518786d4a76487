"""Young books: the retention component counts forecasts at half the weight of observations."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from successlink.scores.cohorts import group_by
from successlink.scores.quality import FORECAST_WEIGHT, RETENTION_DAYS, components
from tests.scores.accounts import make_accounts


def _world() -> tuple[object, np.ndarray]:
    # "old": 10 accounts started long ago, 8 still customers (observed retention 0.8).
    # "young": 10 accounts started 30 days before the as-of day, all still customers.
    rows = [{"affiliate_id": "old", "started": "2023-01-01",
             "churned": None if i < 8 else "2023-03-01"} for i in range(10)]
    rows += [{"affiliate_id": "young", "started": "2024-12-01"} for _ in range(10)]
    accounts = make_accounts(rows)
    forecast = np.full(20, np.nan)
    forecast[10:] = 0.6  # each young account: 60% chance to reach the retention age
    return accounts, forecast


def _retention(accounts: object) -> dict[str, tuple[float, float]]:
    groups = group_by(accounts, "affiliate")  # type: ignore[arg-type]
    part = next(c for c in components(accounts, groups) if c.name == "retention")  # type: ignore[arg-type]
    return {str(g): (float(r), float(n)) for g, r, n in zip(groups.ids, part.raw, part.n,
                                                               strict=True)}


def test_without_forecasts_a_young_book_has_no_retention_evidence() -> None:
    accounts, _ = _world()
    got = _retention(accounts)
    assert got["old"] == (0.8, 10.0)
    assert np.isnan(got["young"][0]) and got["young"][1] == 0.0


def test_forecasts_count_at_half_weight_for_accounts_too_young_to_judge() -> None:
    accounts, forecast = _world()
    got = _retention(replace(accounts, predicted_retention=forecast))  # type: ignore[type-var]
    assert got["old"] == (0.8, 10.0)  # old accounts are judged on what was seen
    assert got["young"] == pytest.approx((0.6, 10 * FORECAST_WEIGHT))
    assert RETENTION_DAYS == 180
