"""Gamma-Gamma spend model against Fader, Hardie & Lee (2005) / Hardie note 025 on CDNOW."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.models.clv.bgnbd import BgNbdFit, fit_bgnbd
from successlink.models.clv.gamma_gamma import (
    GammaGammaFit,
    expected_value,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from tests.models.conftest import reference

REF = reference("gamma_gamma_cdnow")


@pytest.fixture(scope="module")
def fitted(cdnow: dict[str, np.ndarray]) -> GammaGammaFit:
    return fit_gamma_gamma(cdnow["x"], cdnow["zbar"])


@pytest.fixture(scope="module")
def bgnbd(cdnow: dict[str, np.ndarray]) -> BgNbdFit:
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"], period_days=7.0)


def test_cdnow_parameters(fitted: GammaGammaFit) -> None:
    tol = REF["tolerance"]["params"]
    for name in ("p", "q", "gamma"):
        assert getattr(fitted, name) == pytest.approx(REF["published"][name], abs=tol)
        assert getattr(fitted, name) == pytest.approx(REF["recomputed"][name], abs=tol)
    assert fitted.n_customers == 946


def test_cdnow_log_likelihood_and_mean_spend(fitted: GammaGammaFit) -> None:
    assert fitted.log_likelihood == pytest.approx(
        REF["recomputed"]["log_likelihood"], abs=REF["tolerance"]["log_likelihood"]
    )
    assert fitted.population_mean_spend() == pytest.approx(
        REF["recomputed"]["population_mean_spend"], abs=0.01
    )


def test_fit_is_deterministic(cdnow: dict[str, np.ndarray], fitted: GammaGammaFit) -> None:
    assert fit_gamma_gamma(cdnow["x"], cdnow["zbar"]) == fitted


def test_no_repeat_customer_gets_population_mean(fitted: GammaGammaFit) -> None:
    assert float(fitted.expected_spend(0, 0.0)) == pytest.approx(fitted.population_mean_spend())


@settings(max_examples=60, deadline=None)
@given(x=st.integers(min_value=1, max_value=300), zbar=st.floats(min_value=0.01, max_value=1e4))
def test_expected_spend_lies_between_population_mean_and_own_mean(
    fitted: GammaGammaFit, x: int, zbar: float
) -> None:
    spend = float(fitted.expected_spend(x, zbar))
    low, high = sorted((zbar, fitted.population_mean_spend()))
    assert low - 1e-9 * high <= spend <= high * (1 + 1e-9)
    assert np.isfinite(gamma_gamma_log_likelihood(fitted.p, fitted.q, fitted.gamma, x, zbar))


def test_more_purchases_pull_toward_own_mean(fitted: GammaGammaFit) -> None:
    few, many = fitted.expected_spend([1, 50], [200.0, 200.0])
    assert abs(many - 200.0) < abs(few - 200.0)


def test_expected_value_discounting_and_horizon(
    cdnow: dict[str, np.ndarray], bgnbd: BgNbdFit, fitted: GammaGammaFit
) -> None:
    args = (cdnow["x"][:50], cdnow["t_x"][:50], cdnow["T"][:50], cdnow["zbar"][:50])
    undiscounted = expected_value(bgnbd, fitted, *args, periods=52, discount_per_period=0.0)
    direct = bgnbd.expected_purchases(52.0, *args[:3]) * fitted.expected_spend(args[0], args[3])
    np.testing.assert_allclose(undiscounted, direct, rtol=1e-9)
    discounted = expected_value(bgnbd, fitted, *args, periods=52, discount_per_period=0.01)
    assert np.all(discounted < undiscounted) and np.all(discounted > 0)
    shorter = expected_value(bgnbd, fitted, *args, periods=26, discount_per_period=0.01)
    assert np.all(shorter < discounted)
    zero = expected_value(bgnbd, fitted, *args, periods=0, discount_per_period=0.01)
    assert np.all(zero == 0.0)


def test_invalid_inputs_are_rejected(bgnbd: BgNbdFit, fitted: GammaGammaFit) -> None:
    with pytest.raises(ValueError, match="repeat buyers"):
        fit_gamma_gamma([0, 0], [0.0, 0.0])
    with pytest.raises(ValueError, match="repeat buyers"):
        gamma_gamma_log_likelihood(6.0, 3.7, 15.0, 0, 10.0)
    with pytest.raises(ValueError):
        fitted.expected_spend(-1, 10.0)
    with pytest.raises(ValueError, match="periods"):
        expected_value(bgnbd, fitted, 1, 1.0, 2.0, 10.0, periods=-1, discount_per_period=0.0)
