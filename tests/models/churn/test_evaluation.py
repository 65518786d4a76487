"""Evaluation figures against hand computation and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from successlink.models.churn.evaluation import (
    auc,
    brier,
    calibration_curve,
    ece,
    evaluate,
    pr_auc,
    top_decile_lift,
)


def test_auc_by_hand() -> None:
    # Pairs (churner, stayer): (0.35, 0.1) right, (0.35, 0.4) wrong, (0.8, *) right: 3 of 4.
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_auc_counts_ties_half() -> None:
    assert auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    # One pair tied (0.5 vs 0.5), one right (0.5 vs 0.2): (0.5 + 1) / 2.
    assert auc([0, 0, 1], [0.2, 0.5, 0.5]) == pytest.approx(0.75)


def test_auc_is_undefined_with_one_class() -> None:
    assert math.isnan(auc([1, 1], [0.2, 0.3]))


def test_average_precision_by_hand() -> None:
    # Ranked: churner (precision 1/1), stayer, churner (precision 2/3); each adds recall 1/2.
    assert pr_auc([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_brier_by_hand() -> None:
    assert brier([1, 0], [0.8, 0.4]) == pytest.approx((0.2**2 + 0.4**2) / 2)


def test_lift_by_hand() -> None:
    # 10 rows, 2 churners; the top decile is 1 row, a churner: rate 1.0 against 0.2 overall.
    y = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    p = [0.9, 0.8, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1]
    assert top_decile_lift(y, p) == pytest.approx(5.0)


def test_equal_frequency_bins_and_ece_by_hand() -> None:
    y = [0, 0, 1, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.6, 0.9]
    curve = calibration_curve(y, p, bins=3)
    assert [b.rows for b in curve] == [2, 2, 2]
    assert [b.mean_predicted for b in curve] == pytest.approx([0.15, 0.35, 0.75])
    assert [b.observed for b in curve] == pytest.approx([0.0, 0.5, 1.0])
    # |0.15 - 0| + |0.35 - 0.5| + |0.75 - 1|, each weighted 1/3.
    assert ece(y, p, bins=3) == pytest.approx((0.15 + 0.15 + 0.25) / 3)


def test_a_calibrated_forecast_has_a_small_ece() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(0, 0.5, 200_000)
    y = rng.random(p.size) < p
    assert ece(y, p) < 0.005
    assert ece(y, np.clip(p + 0.1, 0, 1)) == pytest.approx(0.1, abs=0.005)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 20)), min_size=2, max_size=80))
def test_ranking_figures_match_scikit_learn(rows: list[tuple[bool, int]]) -> None:
    y = np.array([r[0] for r in rows], dtype=float)
    p = np.array([r[1] / 20 for r in rows])  # coarse scores: many ties
    if 0 < y.sum() < y.size:
        assert auc(y, p) == pytest.approx(roc_auc_score(y, p))
        assert pr_auc(y, p) == pytest.approx(average_precision_score(y, p))
        assert brier(y, p) == pytest.approx(brier_score_loss(y, p))
        # AUC depends on the order only.
        assert auc(y, p**3 + 1) == pytest.approx(auc(y, p))
    assert 0.0 <= ece(y, p) <= 1.0


def test_evaluate_round_trips_through_json() -> None:
    scores = evaluate([0, 1, 0, 1, 0], [0.1, 0.7, 0.3, 0.4, 0.2])
    assert scores.rows == 5
    assert scores.positives == 2
    assert type(scores).from_json(scores.to_json()) == scores
