import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from successlink.stats.proportions import (
    categorise_nps,
    nps,
    nps_interval,
    wilson_interval,
    wilson_intervals,
    z_value,
)
from tests.stats.reference import published

NPS = published("nps_intervals")


@pytest.mark.parametrize("case", NPS["cases"], ids=lambda c: f"{c['promoters']}-{c['passives']}"
                         f"-{c['detractors']}")
def test_nps_wald_interval_matches_published(case):
    estimate = nps_interval(case["promoters"], case["passives"], case["detractors"], method="wald")
    assert estimate.nps == pytest.approx(case["nps"], abs=NPS["tolerance"])
    assert (estimate.low, estimate.high) == pytest.approx(case["wald_ci"], abs=NPS["tolerance"])
    assert estimate.n == case["promoters"] + case["passives"] + case["detractors"]


@pytest.mark.parametrize("case", NPS["cases"], ids=lambda c: f"{c['promoters']}-{c['passives']}"
                         f"-{c['detractors']}")
def test_nps_adjusted_wald_interval_matches_published(case):
    estimate = nps_interval(case["promoters"], case["passives"], case["detractors"])
    assert estimate.method == "adjusted_wald"
    assert estimate.nps == pytest.approx(case["adjusted_nps"], abs=NPS["tolerance"])
    assert (estimate.low, estimate.high) == pytest.approx(case["adjusted_wald_ci"],
                                                          abs=NPS["tolerance"])


def test_z_for_95_percent_is_the_published_1_95996():
    assert z_value(0.95) == pytest.approx(1.95996, abs=1e-5)


# Brief's textbook values and Newcombe (1998), "Two-sided confidence intervals for the single
# proportion", Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, 95%).
@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_interval_matches_textbook_values(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_with_no_trials_is_the_whole_unit_interval():
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_intervals_broadcast_and_agree_with_the_scalar_form():
    k, n = np.array([0, 3, 7, 0]), np.array([10, 10, 20, 0])
    low, high = wilson_intervals(k, n, confidence=0.9)
    expected = np.array([wilson_interval(a, b, confidence=0.9) for a, b in zip(k, n, strict=True)])
    np.testing.assert_allclose(np.column_stack([low, high]), expected)
    low_one_n, _ = wilson_intervals(np.array([1, 2]), 10)
    assert low_one_n.shape == (2,)


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_wilson_refuses_impossible_counts(k, n):
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(k, n)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95])
def test_confidence_must_be_a_fraction(confidence):
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=confidence)


counts = st.integers(min_value=1, max_value=10_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))
confidences = st.floats(min_value=0.5, max_value=0.999)


@given(counts, confidences)
def test_wilson_interval_lies_in_unit_interval_and_contains_the_rate(kn, confidence):
    k, n = kn
    low, high = wilson_interval(k, n, confidence=confidence)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(counts, st.integers(min_value=2, max_value=50))
def test_wilson_interval_narrows_with_more_trials_at_the_same_rate(kn, factor):
    k, n = kn
    low, high = wilson_interval(k, n)
    more_low, more_high = wilson_interval(k * factor, n * factor)
    assert more_high - more_low < high - low


@pytest.mark.parametrize(("score", "category"), [
    (0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"),
    (10, "promoter"), (np.int64(9), "promoter")])
def test_categorise_nps_uses_the_standard_bands(score, category):
    assert categorise_nps(score) == category


@pytest.mark.parametrize("score", [-1, 11, 7.5, True, "9"])
def test_categorise_nps_refuses_answers_outside_0_to_10(score):
    with pytest.raises(ValueError, match="0 to 10"):
        categorise_nps(score)


def test_nps_is_percent_promoters_minus_percent_detractors():
    assert nps(5, 3, 2) == pytest.approx(30.0)
    assert nps(0, 0, 4) == -100.0


def test_nps_with_no_respondents_is_nan_for_every_method():
    assert math.isnan(nps(0, 0, 0))
    for method in ("wald", "adjusted_wald"):
        estimate = nps_interval(0, 0, 0, method=method)
        assert estimate.n == 0
        assert math.isnan(estimate.nps) and math.isnan(estimate.low) and math.isnan(estimate.high)


def test_nps_refuses_negative_counts_and_unknown_methods():
    with pytest.raises(ValueError, match=">= 0"):
        nps(1, -1, 0)
    with pytest.raises(ValueError, match="method"):
        nps_interval(1, 1, 1, method="exact")  # type: ignore[arg-type]


def test_wald_interval_is_clipped_to_the_nps_scale():
    # 1 promoter, 1 passive: NPS 50 +- 69 by Wald; the scale stops at 100.
    estimate = nps_interval(1, 1, 0, method="wald")
    assert estimate.high == 100.0
    assert nps_interval(3, 0, 0, method="wald").low == 100.0  # Wald's zero-width interval


nps_counts = st.tuples(*(st.integers(min_value=0, max_value=500) for _ in range(3))).filter(
    lambda c: sum(c) > 0)


@given(nps_counts, st.sampled_from(["wald", "adjusted_wald"]), confidences)
def test_nps_interval_lies_on_the_scale_and_contains_its_estimate(counts3, method, confidence):
    estimate = nps_interval(*counts3, method=method, confidence=confidence)
    assert -100.0 <= estimate.low <= estimate.nps <= estimate.high <= 100.0
