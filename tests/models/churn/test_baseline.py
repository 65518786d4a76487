"""The logistic baseline: reads the right direction, copes with gaps, reloads exactly."""

from __future__ import annotations

import numpy as np

from successlink.models.churn.baseline import Baseline, fit_baseline
from successlink.models.churn.features import FeatureSpec


def _data(seed: int, n: int = 4_000) -> tuple[np.ndarray, np.ndarray, FeatureSpec]:
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)  # raises churn
    noise = rng.exponential(100.0, size=n)
    plan = rng.integers(0, 3, n).astype(float)  # plan 2 churns more
    z = -2 + 1.2 * risk + 1.0 * (plan == 2)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    noise[rng.random(n) < 0.2] = np.nan  # unknown a fifth of the time
    spec = FeatureSpec(("risk", "noise"), {"plan_name": ("a", "b", "c")})
    return np.column_stack([risk, noise, plan]), y, spec


def test_coefficients_point_the_right_way() -> None:
    x, y, spec = _data(1)
    model = fit_baseline(x, y, spec)
    # Design: risk, noise, unknown(noise), plan a, plan b, plan c.
    assert model.flagged == (1,)
    coef = np.asarray(model.coef)
    assert coef[0] > 0.5
    assert abs(coef[1]) < 0.1
    assert coef[5] > coef[3] and coef[5] > coef[4]
    p = model.predict(x)
    assert np.all((p > 0) & (p < 1))
    assert p[x[:, 0] > 1].mean() > 2 * p[x[:, 0] < -1].mean()


def test_reloaded_baseline_predicts_identically() -> None:
    x, y, spec = _data(2)
    model = fit_baseline(x, y, spec)
    again = Baseline.from_json(model.to_json())
    assert np.array_equal(again.predict(x), model.predict(x))
