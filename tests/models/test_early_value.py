"""Early-value regression: recovers a known multiplicative effect, relative value ~1 on average."""

from __future__ import annotations

import numpy as np
import pytest

from successlink.models.clv.early_value import RELATIVE_RANGE, EarlySignals, fit_early_value


def _signals(rng: np.random.Generator, n: int) -> EarlySignals:
    return EarlySignals(plan=rng.choice(["starter", "growth"], n),
                        seats=rng.integers(1, 20, n).astype(float),
                        events=rng.poisson(50, n).astype(float),
                        active_days=rng.integers(0, 30, n).astype(float))


def test_recovers_a_plan_effect_and_orders_accounts() -> None:
    rng = np.random.default_rng(3)
    signals = _signals(rng, 20_000)
    # Growth accounts keep twice the value of starter ones; seats and usage do not matter.
    mean = np.where(signals.plan == "growth", 0.6, 0.3)
    realised = rng.poisson(mean * 10) / 10
    model = fit_early_value(signals, realised, ridge=0.0)
    growth = EarlySignals(np.array(["growth"]), np.array([5.0]), np.array([50.0]),
                          np.array([15.0]))
    starter = EarlySignals(np.array(["starter"]), np.array([5.0]), np.array([50.0]),
                           np.array([15.0]))
    assert float(model.predict(growth)[0]) == pytest.approx(0.6, rel=0.05)
    assert float(model.predict(starter)[0]) == pytest.approx(0.3, rel=0.05)
    relative = model.relative_value(signals)
    assert relative.mean() == pytest.approx(1.0, abs=0.02)
    assert RELATIVE_RANGE[0] <= relative.min() and relative.max() <= RELATIVE_RANGE[1]


def test_rejects_training_data_with_nothing_to_learn() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="no training account"):
        fit_early_value(_signals(rng, 10), np.zeros(10))
    with pytest.raises(ValueError, match="one realised value"):
        fit_early_value(_signals(rng, 10), np.ones(3))
