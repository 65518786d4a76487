"""Decile bins keep ties together, put missing values aside, and rate each bin honestly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from successlink.models.drivers.deciles import assign, bin_starts, metric_deciles


def test_tied_values_share_one_bin() -> None:
    # Six accounts at 0, then 1, 2, 3, 4: zero must not be split across several bins.
    values = np.array([0, 0, 0, 0, 0, 0, 1, 2, 3, 4], dtype=float)
    which = assign(values, bin_starts(values, 10))
    assert len(set(which[:6])) == 1
    assert len(set(which)) == 5


def test_rates_per_bin_with_wilson_intervals() -> None:
    values = np.array([0, 0, 0, 0, 5, 5, 5, 5, np.nan, np.nan])
    churned = np.array([1, 1, 1, 0, 0, 0, 0, 1, 1, 0])
    expanded = np.array([0, 0, 0, 0, 1, 1, 0, 0, 0, 0])
    d = metric_deciles("active_days_30", values, churned, expanded, bins=10)
    assert [(b.low, b.high, b.accounts) for b in d.bins] == [(0.0, 0.0, 4), (5.0, 5.0, 4)]
    low, high = d.bins
    assert (low.churn.events, low.churn.rate) == (3, 0.75)
    assert (high.churn.events, high.churn.rate, high.expansion.rate) == (1, 0.25, 0.5)
    # Wilson 95% for 3 of 4: (0.3006, 0.9544) (Newcombe 1998, table I method).
    assert low.churn.low == pytest.approx(0.3006, abs=1e-4)
    assert low.churn.high == pytest.approx(0.9544, abs=1e-4)
    assert d.missing is not None and d.missing.accounts == 2 and d.missing.churn.rate == 0.5
    assert d.missing.label == "not measured"
    assert d.measured == 8
    assert d.churn_spread == pytest.approx(0.5)
    assert d.churn_correlation < 0  # more active days, less churn


def test_a_constant_metric_has_one_bin_and_no_correlation() -> None:
    d = metric_deciles("seats", np.ones(5), np.array([0, 1, 0, 1, 0]), np.zeros(5))
    assert len(d.bins) == 1 and d.bins[0].label == "1"
    assert math.isnan(d.churn_correlation)
    assert d.churn_spread == 0.0


def test_bins_cover_every_measured_account_once() -> None:
    rng = np.random.default_rng(4)
    values = rng.poisson(3.0, 500).astype(float)
    values[rng.random(500) < 0.1] = np.nan
    d = metric_deciles("events_30", values, rng.integers(0, 2, 500), rng.integers(0, 2, 500))
    assert sum(b.accounts for b in d.bins) == int((~np.isnan(values)).sum())
    assert all(b.low is not None and b.high is not None and b.low <= b.high for b in d.bins)
    highs = [b.high for b in d.bins]
    lows = [b.low for b in d.bins]
    assert all(h < lo for h, lo in zip(highs, lows[1:], strict=False))  # disjoint, ascending


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one entry per account"):
        metric_deciles("x", [1, 2], [0], [0, 1])
