import math

import numpy as np
import pytest
from scipy import stats

from successlink.stats.shrinkage import shrink_means, shrink_rates


def test_group_without_trials_gets_the_prior_mean_and_prior_interval():
    shrunk = shrink_rates([1, 4, 2, 6, 0], [10, 12, 9, 15, 0])
    assert shrunk.mean[-1] == pytest.approx(shrunk.prior_mean)
    assert shrunk.low[-1] == pytest.approx(stats.beta.ppf(0.05, shrunk.alpha, shrunk.beta))
    assert shrunk.high[-1] == pytest.approx(stats.beta.ppf(0.95, shrunk.alpha, shrunk.beta))


def test_posterior_mean_is_k_plus_alpha_over_n_plus_alpha_plus_beta():
    k, n = np.array([0, 3, 8, 2]), np.array([4, 20, 30, 5])
    shrunk = shrink_rates(k, n)
    np.testing.assert_allclose(shrunk.mean, (k + shrunk.alpha) / (n + shrunk.alpha + shrunk.beta))
    assert np.all((shrunk.low < shrunk.mean) & (shrunk.mean < shrunk.high))


def test_large_groups_keep_their_raw_rate():
    k, n = np.array([12_000, 30_000, 2]), np.array([100_000, 100_000, 10])
    shrunk = shrink_rates(k, n)
    np.testing.assert_allclose(shrunk.mean[:2], k[:2] / n[:2], atol=1e-3)


def test_a_lucky_small_group_cannot_top_the_ranking():
    # Churn rates: 0 of 2 looks perfect, but 5 of 100 is better evidence of a low rate.
    shrunk = shrink_rates([0, 5, 30, 25, 40], [2, 100, 100, 100, 100])
    assert shrunk.mean[0] > shrunk.mean[1]


def test_prior_is_the_maximum_likelihood_beta_binomial_fit():
    k, n = np.array([1, 4, 2, 6, 0, 9, 3]), np.array([10, 12, 9, 15, 7, 20, 11])
    shrunk = shrink_rates(k, n)
    assert shrunk.method == "maximum_likelihood"

    def loglik(a: float, b: float) -> float:
        return float(stats.betabinom.logpmf(k, n, a, b).sum())

    best = loglik(shrunk.alpha, shrunk.beta)
    for da, db in [(1.05, 1), (0.95, 1), (1, 1.05), (1, 0.95), (1.05, 1.05), (0.95, 0.95)]:
        assert best >= loglik(shrunk.alpha * da, shrunk.beta * db)


def test_fit_recovers_a_known_prior_from_many_groups():
    rng = np.random.default_rng(20261123)
    n = np.full(3000, 40)
    k = rng.binomial(n, rng.beta(4.0, 16.0, n.size))
    shrunk = shrink_rates(k, n)
    assert shrunk.prior_mean == pytest.approx(0.2, abs=0.01)
    assert shrunk.alpha + shrunk.beta == pytest.approx(20.0, rel=0.2)


def test_identical_groups_pool_completely_with_prior_weight_capped_at_all_trials():
    shrunk = shrink_rates([5, 5, 5], [10, 10, 10])
    assert shrunk.alpha + shrunk.beta == pytest.approx(30.0)
    np.testing.assert_allclose(shrunk.mean, 0.5)
    assert np.all(shrunk.high - shrunk.low > 0.1)  # not a point: 30 trials is not certainty


@pytest.mark.parametrize(("k", "rate_side"), [([0, 0, 0], 0.0), ([10, 10, 10], 1.0)])
def test_groups_all_at_zero_or_all_at_one_do_not_collapse_to_a_point(k, rate_side):
    shrunk = shrink_rates(k, [10, 10, 10])
    assert shrunk.method == "moments"
    assert np.all(shrunk.high - shrunk.low > 0.01)
    np.testing.assert_allclose(shrunk.mean, rate_side, atol=0.02)


@pytest.mark.parametrize(("k", "n"), [([3], [10]), ([3, 0], [10, 0]), ([], [])])
def test_with_fewer_than_two_groups_with_trials_the_prior_is_jeffreys(k, n):
    shrunk = shrink_rates(k, n)
    assert (shrunk.alpha, shrunk.beta, shrunk.method) == (0.5, 0.5, "jeffreys")
    if k:
        assert shrunk.mean[0] == pytest.approx(3.5 / 11)


@pytest.mark.parametrize(("k", "n"), [([1, 2], [1]), ([3], [2]), ([-1], [2]), ([[1]], [[2]]),
                                      ([math.nan], [2])])
def test_shrink_rates_refuses_impossible_counts(k, n):
    with pytest.raises(ValueError, match="successes"):
        shrink_rates(k, n)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_shrunk_rates_beat_raw_rates_for_small_groups(seed):
    # Empirical Bayes lowers total squared error against the true rates (James-Stein);
    # with 200 groups the gain is large (ratio about 0.15-0.25 over 30 seeds), so a bound
    # of 0.5 on fixed seeds is deterministic and far from flaky.
    rng = np.random.default_rng(seed)
    true_rate = rng.beta(3.0, 12.0, 200)
    n = np.where(rng.random(200) < 0.6, rng.integers(1, 10, 200), rng.integers(10, 200, 200))
    k = rng.binomial(n, true_rate)
    shrunk = shrink_rates(k, n)
    small = n < 10
    raw_error = np.mean((k[small] / n[small] - true_rate[small]) ** 2)
    shrunk_error = np.mean((shrunk.mean[small] - true_rate[small]) ** 2)
    assert shrunk_error < 0.5 * raw_error


def test_shrink_means_by_hand():
    # se = 1 everywhere: Q = 8, scale = 3 - 3/3 = 2, tau^2 = (8 - 2) / 2 = 3, weight 3/4,
    # grand mean 2 with variance 1 / (3/4) = 4/3; sd^2 = 3/4 + (1/4)^2 * 4/3 = 5/6.
    shrunk = shrink_means([0.0, 2.0, 4.0], [1.0, 1.0, 1.0])
    assert (shrunk.grand_mean, shrunk.tau2) == pytest.approx((2.0, 3.0))
    np.testing.assert_allclose(shrunk.weight, 0.75)
    np.testing.assert_allclose(shrunk.mean, [0.5, 2.0, 3.5])
    np.testing.assert_allclose(shrunk.sd, math.sqrt(5 / 6))
    low, high = shrunk.interval(0.9)
    np.testing.assert_allclose(high - low, 2 * 1.6448536 * math.sqrt(5 / 6))


def test_groups_differing_no_more_than_their_noise_are_pooled_fully():
    shrunk = shrink_means([1.0, 1.1, 0.9], [1.0, 1.0, 1.0])
    assert shrunk.tau2 == 0.0
    np.testing.assert_allclose(shrunk.mean, 1.0)
    np.testing.assert_allclose(shrunk.sd, math.sqrt(1 / 3))


def test_noisier_groups_are_pulled_further():
    shrunk = shrink_means([0.0, 2.0, 4.0, 10.0, 10.0], [1.0, 1.0, 1.0, 0.5, 5.0])
    assert shrunk.weight[3] > shrunk.weight[4]
    assert shrunk.mean[3] > shrunk.mean[4]


@pytest.mark.parametrize("unusable_se", [math.nan, math.inf, 0.0])
def test_groups_without_a_usable_standard_error_get_the_grand_mean(unusable_se):
    shrunk = shrink_means([0.0, 2.0, 4.0, 100.0], [1.0, 1.0, 1.0, unusable_se])
    assert (shrunk.grand_mean, shrunk.tau2) == pytest.approx((2.0, 3.0))  # group 4 left out
    assert (shrunk.weight[3], shrunk.mean[3]) == (0.0, 2.0)
    assert shrunk.sd[3] == pytest.approx(math.sqrt(3.0 + 4 / 3))


def test_with_fewer_than_two_usable_groups_nothing_is_shrunk():
    shrunk = shrink_means([5.0, 7.0], [2.0, math.nan])
    np.testing.assert_allclose(shrunk.mean, [5.0, math.nan])
    np.testing.assert_allclose(shrunk.sd, [2.0, math.nan])
    assert math.isnan(shrunk.tau2)


def test_shrink_means_refuses_mismatched_or_negative_inputs():
    with pytest.raises(ValueError, match="one length"):
        shrink_means([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=">= 0"):
        shrink_means([1.0, 2.0], [1.0, -1.0])


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_shrunk_means_beat_raw_means_for_small_groups(seed):
    # Same property for means: groups of 1-9 accounts, sd 20 around true means sd 5 apart.
    rng = np.random.default_rng(seed)
    true_mean = rng.normal(50.0, 5.0, 200)
    se = 20.0 / np.sqrt(rng.integers(1, 10, 200))
    observed = rng.normal(true_mean, se)
    shrunk = shrink_means(observed, se)
    assert np.mean((shrunk.mean - true_mean) ** 2) < 0.5 * np.mean((observed - true_mean) ** 2)
