"""Calibration maps: Platt recovers a known distortion, isotonic stays monotone."""

from __future__ import annotations

import numpy as np
import pytest

from successlink.models.churn.calibration import Calibrator, fit_calibrator, logit


def _distorted(seed: int, n: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores whose true probability is sigmoid(2 logit(raw) - 1)."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.1, 0.7, n)
    truth = 1 / (1 + np.exp(-(2 * logit(raw) - 1)))
    return raw, (rng.random(n) < truth).astype(float)


def test_platt_recovers_the_distortion() -> None:
    raw, y = _distorted(1)
    cal = fit_calibrator(raw, y, "platt")
    # Over seeds the fitted values scatter by about 0.015 (a) and 0.012 (b): 4 of those.
    assert cal.a == pytest.approx(2.0, abs=0.06)
    assert cal.b == pytest.approx(-1.0, abs=0.05)
    assert cal.apply([0.5])[0] == pytest.approx(1 / (1 + np.exp(1.0)), abs=0.02)


def test_isotonic_is_monotone_and_close_to_the_truth() -> None:
    raw, y = _distorted(2)
    cal = fit_calibrator(raw, y, "isotonic")
    grid = np.linspace(0, 1, 501)
    out = cal.apply(grid)
    assert np.all(np.diff(out) >= 0)
    assert out.min() >= 0.0 and out.max() <= 1.0
    inner = np.linspace(0.15, 0.65, 11)
    truth = 1 / (1 + np.exp(-(2 * logit(inner) - 1)))
    assert np.max(np.abs(cal.apply(inner) - truth)) < 0.04


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_maps_survive_json(method: str) -> None:
    raw, y = _distorted(3, 5_000)
    cal = fit_calibrator(raw, y, method)  # type: ignore[arg-type]
    again = Calibrator.from_json(cal.to_json())
    assert np.array_equal(again.apply(raw), cal.apply(raw))


def test_one_class_cannot_be_calibrated() -> None:
    with pytest.raises(ValueError, match="both churners and stayers"):
        fit_calibrator([0.1, 0.2], [0, 0])
