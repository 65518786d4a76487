"""BG/NBD against Fader, Hardie & Lee (2005) on CDNOW and Hardie's note 027 stable likelihood."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.models.clv.bgnbd import BgNbdFit, bgnbd_log_likelihood, fit_bgnbd
from tests.models.conftest import reference

REF = reference("bg_nbd_cdnow")


@pytest.fixture(scope="module")
def fitted(cdnow: dict[str, np.ndarray]) -> BgNbdFit:
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"], period_days=7.0)


def test_cdnow_parameters_and_log_likelihood(fitted: BgNbdFit) -> None:
    tol = REF["tolerance"]
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(REF["recomputed"][name], abs=tol["params"])
    assert fitted.log_likelihood == pytest.approx(
        REF["published"]["log_likelihood"], abs=tol["log_likelihood"]
    )
    assert fitted.n_customers == 2357
    assert fitted.period_days == 7.0


def test_conditional_expectation_of_note_004(fitted: BgNbdFit) -> None:
    case = REF["conditional_expectation"]
    value = fitted.expected_purchases(case["t"], case["x"], case["t_x"], case["T"])
    assert float(value) == pytest.approx(case["expected_purchases"], abs=case["tolerance"])


@pytest.mark.parametrize("case", REF["stable_log_likelihood_check"]["cases"])
def test_stable_log_likelihood_of_note_027(case: dict[str, float]) -> None:
    check = REF["stable_log_likelihood_check"]
    p = check["params"]
    value = bgnbd_log_likelihood(
        p["r"], p["alpha"], p["a"], p["b"], case["x"], case["t_x"], check["T"]
    )
    assert float(value) == pytest.approx(case["log_likelihood"], abs=1e-4)


def test_fit_is_deterministic(cdnow: dict[str, np.ndarray], fitted: BgNbdFit) -> None:
    again = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"], period_days=7.0)
    assert again == fitted


def test_fit_is_frozen(fitted: BgNbdFit) -> None:
    with pytest.raises(AttributeError):
        fitted.r = 1.0  # type: ignore[misc]


def test_no_repeat_customers_are_alive(fitted: BgNbdFit) -> None:
    assert np.all(fitted.p_alive([0, 0], [0.0, 0.0], [5.0, 50.0]) == 1.0)


def test_long_silence_lowers_p_alive(fitted: BgNbdFit) -> None:
    recent, silent = fitted.p_alive([5, 5], [38.0, 5.0], [39.0, 39.0])
    assert recent > silent


def test_new_customer_expectation_matches_population_average(
        fitted: BgNbdFit, cdnow: dict[str, np.ndarray]) -> None:
    # E[X(T)] averaged over each customer's own T should be close to the observed mean repeats.
    table = cdnow
    expected = fitted.expected_purchases_new(table["T"]).mean()
    assert expected == pytest.approx(table["x"].mean(), rel=0.05)
    assert float(fitted.expected_purchases_new(0.0)) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    x=st.integers(min_value=0, max_value=500),
    frac=st.floats(min_value=0.0, max_value=1.0),
    age=st.floats(min_value=0.5, max_value=200.0),
    t=st.floats(min_value=0.0, max_value=200.0),
)
def test_predictions_are_finite_and_bounded(
    fitted: BgNbdFit, x: int, frac: float, age: float, t: float
) -> None:
    t_x = frac * age if x > 0 else 0.0
    alive = float(fitted.p_alive(x, t_x, age))
    assert 0.0 <= alive <= 1.0
    assert np.isfinite(
        bgnbd_log_likelihood(fitted.r, fitted.alpha, fitted.a, fitted.b, x, t_x, age)
    )
    expected = float(fitted.expected_purchases(t, x, t_x, age))
    assert np.isfinite(expected) and expected >= -1e-9


@settings(max_examples=30, deadline=None)
@given(t=st.floats(min_value=0.0, max_value=100.0), dt=st.floats(min_value=0.0, max_value=50.0))
def test_expected_purchases_grow_with_horizon(fitted: BgNbdFit, t: float, dt: float) -> None:
    assert (
        fitted.expected_purchases(t + dt, 3, 20.0, 39.0)
        >= fitted.expected_purchases(t, 3, 20.0, 39.0) - 1e-9
    )
    assert fitted.expected_purchases_new(t + dt) >= fitted.expected_purchases_new(t) - 1e-9


@pytest.mark.parametrize(
    ("x", "t_x", "age"),
    [(-1, 0.0, 10.0), (1.5, 1.0, 10.0), (2, 11.0, 10.0), (1, -1.0, 10.0), (0, 0.0, 0.0)],
)
def test_invalid_rfm_is_rejected(x: float, t_x: float, age: float) -> None:
    with pytest.raises(ValueError):
        bgnbd_log_likelihood(0.25, 4.0, 0.8, 2.5, x, t_x, age)


def test_fit_rejects_bad_period_and_empty_data() -> None:
    with pytest.raises(ValueError, match="period_days"):
        fit_bgnbd([1], [1.0], [2.0], period_days=0.0)
    with pytest.raises(ValueError, match="zero customers"):
        fit_bgnbd([], [], [], period_days=7.0)
