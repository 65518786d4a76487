"""Fitting, determinism, the trainability guard and the backtest's time discipline."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.config import ChurnSettings
from successlink.models.churn.backtest import plan, run_backtest
from successlink.models.churn.booster import BoosterParams, model_text
from successlink.models.churn.labels import window_end
from successlink.models.churn.model import NotEnoughHistoryError, check_trainable, fit_model
from successlink.models.churn.training import fit_and_backtest, training_plan
from tests.models.churn.fake import frame

PARAMS = BoosterParams(rounds=60)


def test_the_booster_finds_the_mechanism_and_beats_noise() -> None:
    data = frame(seed=1, origins=4)
    model = fit_model(data.take(data.origins[:3]), PARAMS, "platt")
    test = data.take(data.origins[3:])
    x, y = test.matrix(model.spec), test.y()
    p = model.predict(x)
    base = model.baseline_probability(x)
    from successlink.models.churn.evaluation import auc, ece
    assert auc(y, p) > 0.75
    assert auc(y, base) > 0.75  # the mechanism is nearly logistic: the baseline finds it too
    assert ece(y, p) < 0.05
    gain = dict(zip(model.spec.names, model.booster.feature_importance("gain"), strict=True))
    top = sorted(gain, key=gain.__getitem__, reverse=True)[:3]
    assert set(top) == {"active_days_30", "plan_name", "failed_payments_90d"}


def test_same_data_and_seed_give_the_same_model_and_scores() -> None:
    one, two = frame(seed=2, origins=3), frame(seed=2, origins=3)
    a, b = fit_model(one, PARAMS, "platt"), fit_model(two, PARAMS, "platt")
    assert model_text(a.booster) == model_text(b.booster)
    assert a.calibrator == b.calibrator
    assert a.baseline == b.baseline
    x = one.matrix(a.spec)
    assert np.array_equal(a.predict(x), b.predict(x))


def test_too_little_history_is_refused_in_words() -> None:
    data = frame(seed=3, origins=3, n=300)
    with pytest.raises(NotEnoughHistoryError, match="at least 4"):
        check_trainable(data, min_origins=4, min_positives=10)
    with pytest.raises(NotEnoughHistoryError, match="churners"):
        check_trainable(data, min_origins=2, min_positives=10_000)
    with pytest.raises(NotEnoughHistoryError, match="needs at least 390 days"):
        # 180 days of history + 90-day window + 4 more origins 30 days apart.
        training_plan(date(2025, 1, 1), date(2025, 6, 30), ChurnSettings(min_train_origins=5))


@settings(max_examples=50, deadline=None)
@given(st.integers(3, 30), st.integers(1, 6), st.integers(2, 12), st.integers(0, 40),
       st.sampled_from([7, 30, 45]), st.sampled_from([30, 90, 180]))
def test_every_fold_trains_only_on_windows_closed_before_it(
        n: int, folds: int, max_train: int, lead: int, step: int, horizon: int) -> None:
    grid = [date(2024, 1, 1) + timedelta(days=step * i) for i in range(n)]
    p = plan(grid, evaluation_origins=folds, max_train_origins=max_train, horizon_days=horizon,
             lead_days=lead)
    assert list(p.evaluation) == grid[-folds:]
    for origin, train in p.folds.items():
        assert len(train) <= max_train
        assert all(window_end(t, horizon_days=horizon, lead_days=lead) <= origin for t in train)
        closed = [t for t in grid if window_end(t, horizon_days=horizon, lead_days=lead) <= origin]
        assert list(train) == closed[-max_train:]  # the newest closed ones, none skipped
    assert list(p.final) == grid[-max_train:]
    assert set(p.needed) == set(p.final) | set(p.evaluation) | {
        t for train in p.folds.values() for t in train}


def test_backtest_scores_each_fold_and_skips_those_without_history() -> None:
    data = frame(seed=4, origins=6, n=800)
    # 30-day steps and a 60-day horizon: origin k trains on origins up to k - 2.
    p = plan(data.origins, evaluation_origins=3, max_train_origins=12, horizon_days=60,
             lead_days=0)
    result = run_backtest(data, p, params=PARAMS, method="platt", min_train_origins=3,
                          min_positives=20)
    assert [f.origin for f in result.folds] == list(data.origins[3:])
    skipped, *scored = result.folds
    assert skipped.skipped and "at least 3" in skipped.skipped
    assert skipped.train_origins == data.origins[:2]
    for fold in scored:
        assert fold.booster is not None and fold.baseline is not None
        assert fold.booster.rows == 800
        assert fold.booster.auc > 0.7
    assert result.pooled is not None and result.pooled.rows == 1600


def test_final_model_carries_its_window_and_backtest() -> None:
    data = frame(seed=5, origins=5, n=600)
    churn = ChurnSettings(horizon_days=30, backtest_origins=2, min_train_origins=2,
                          min_positives=20)
    p = plan(data.origins, evaluation_origins=2, max_train_origins=12, horizon_days=30,
             lead_days=0)
    trained = fit_and_backtest(data, p, first_day=date(2024, 6, 1),
                               data_end=data.origins[-1] + timedelta(days=30), settings=churn)
    meta = trained.meta
    assert meta["origins"] == [d.isoformat() for d in data.origins]
    assert meta["calibration_origin"] == data.origins[-1].isoformat()
    assert meta["label_window_closed_by"] == meta["data_end"]
    assert meta["rows"] == 3000
    assert len(meta["backtest"]["folds"]) == 2
    assert meta["libraries"]["lightgbm"].startswith("4.")
