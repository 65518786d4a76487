"""Cohort sBG tree: censored fits per cohort, small cohorts fall back or shrink to parents."""

from __future__ import annotations

import numpy as np
import pytest

from successlink.models.clv.cohort_fits import (
    OWN,
    PARENT,
    POOLED,
    TILTED,
    fit_cohort_tree,
    relative_risks,
    reshaped,
    tilted,
)
from successlink.models.clv.sbg import SbgFit


def _cohort(rng: np.random.Generator, n: int, alpha: float, beta: float
            ) -> tuple[np.ndarray, np.ndarray]:
    payments = rng.geometric(rng.beta(alpha, beta, n))
    observable = rng.integers(0, 24, n)
    churned = payments <= observable
    return np.where(churned, payments * 30.0 - 0.5, observable * 30.0 + 5.0), churned


def test_tree_fits_levels_and_falls_back_below_min_accounts() -> None:
    rng = np.random.default_rng(2)
    good_days, good_churn = _cohort(rng, 20_000, 1.0, 8.0)   # loyal channel
    bad_days, bad_churn = _cohort(rng, 20_000, 1.0, 1.5)     # leaky channel
    tiny_days, tiny_churn = _cohort(rng, 5, 1.0, 1.5)
    days = np.concatenate([good_days, bad_days, tiny_days])
    churned = np.concatenate([good_churn, bad_churn, tiny_churn])
    channel = np.array(["good"] * 20_000 + ["bad"] * 20_000 + ["tiny"] * 5)
    affiliate = np.array([""] * 40_000 + ["aff_1"] * 5)
    tree = fit_cohort_tree(days, churned, [("channel", channel), ("affiliate_id", affiliate)],
                           period_days=30.0, min_accounts=30, prior_weight=10.0)
    assert tree.fits[()].source == OWN and tree.fits[()].accounts == 40_005
    good, bad = tree.fits[("good",)], tree.fits[("bad",)]
    assert good.source == bad.source == POOLED
    # Each big channel recovers its own curve despite the prior of the mixed root.
    assert good.fit.alpha / (good.fit.alpha + good.fit.beta) == pytest.approx(1 / 9, rel=0.05)
    assert bad.fit.alpha / (bad.fit.alpha + bad.fit.beta) == pytest.approx(1 / 2.5, rel=0.05)
    # Five accounts: too few, the channel uses the root's curve; same for its affiliate.
    assert tree.fits[("tiny",)].source == PARENT
    assert tree.fits[("tiny",)].fit is tree.fits[()].fit
    assert tree.fits[("tiny", "aff_1")].fit is tree.fits[()].fit
    # Accounts without an affiliate stay in their channel's cohort.
    assert tree.account_key[0] == ("good",) and tree.account_key[-1] == ("tiny", "aff_1")
    assert tree.fits[("good",)].label(tree.names) == "channel=good"
    members = tree.members()
    assert members[("bad",)].size == 20_000 and members[("tiny", "aff_1")].size == 5


def test_tree_needs_accounts() -> None:
    with pytest.raises(ValueError, match="no accounts"):
        fit_cohort_tree([], [], [], period_days=30.0)


def test_tilted_scales_first_period_churn_and_keeps_alpha() -> None:
    fit = SbgFit(alpha=2.0, beta=6.0, log_likelihood=0.0, periods=3, period_days=30.0,
                 n_customers=100)
    assert tilted(fit, 1.0) is fit
    twice = tilted(fit, 2.0)
    # S(1) = 6/8 = 0.75; a hazard ratio of 2 keeps 0.75 ** 2 = 0.5625 = beta'/(2 + beta').
    assert twice.alpha == 2.0
    assert twice.survival(1) == pytest.approx(0.5625)
    assert twice.beta == pytest.approx(2.0 * 0.5625 / 0.4375)
    assert tilted(fit, 0.5).survival(1) == pytest.approx(0.75 ** 0.5)


def test_relative_risks_read_hazard_ratios_off_fitted_curves() -> None:
    rng = np.random.default_rng(5)
    good_days, good_churn = _cohort(rng, 20_000, 1.0, 8.0)
    bad_days, bad_churn = _cohort(rng, 20_000, 1.0, 1.5)
    tree = fit_cohort_tree(np.concatenate([good_days, bad_days]),
                           np.concatenate([good_churn, bad_churn]),
                           [("channel", np.array(["good"] * 20_000 + ["bad"] * 20_000))],
                           period_days=30.0, min_accounts=30, prior_weight=10.0)
    ratios = relative_risks(tree, 360.0)  # 12 periods of 30 days
    root_s12 = tree.fits[()].fit.survival(12)
    for channel in ("good", "bad"):
        expected = np.log(tree.fits[(channel,)].fit.survival(12)) / np.log(root_s12)
        assert ratios[(channel,)] == pytest.approx(expected)
    # The leaky channel loses faster than the mixed book, the loyal one slower.
    assert ratios[("bad",)] > 1.0 > ratios[("good",)]
    assert () not in ratios


def test_relative_risk_moves_a_thin_cohort_toward_its_hazard_ratio() -> None:
    # Annual-like data: a new cohort none of whose accounts has reached a renewal yet.
    rng = np.random.default_rng(9)
    parent_days, parent_churn = _cohort(rng, 5_000, 3.0, 9.0)
    days = np.concatenate([parent_days, np.full(26, 10.0)])
    churned = np.concatenate([parent_churn, np.zeros(26, dtype=bool)])
    aff = np.array([""] * 5_000 + ["a"] * 26)
    levels = [("affiliate_id", aff)]
    plain = fit_cohort_tree(days, churned, levels, period_days=30.0, min_accounts=20,
                            prior_weight=10.0)
    risky = fit_cohort_tree(days, churned, levels, period_days=30.0, min_accounts=20,
                            prior_weight=10.0, relative_risk={("a",): 2.0})
    root_s1 = plain.fits[()].fit.survival(1)
    # Without churn data of its own the cohort follows its prior: the parent's curve, or
    # the parent's curve with twice the hazard.
    assert plain.fits[("a",)].fit.survival(1) == pytest.approx(root_s1, abs=0.02)
    assert risky.fits[("a",)].fit.survival(1) == pytest.approx(root_s1 ** 2, abs=0.03)


def test_a_young_cohort_keeps_its_parents_tail() -> None:
    # The parent has 24 periods of data; the child joined two periods ago and lost no one
    # yet: its curve beyond its window must not run off to "nobody ever leaves".
    rng = np.random.default_rng(4)
    parent_days, parent_churn = _cohort(rng, 20_000, 1.0, 4.0)
    child_days = rng.uniform(0.0, 60.0, 40)
    days = np.concatenate([parent_days, child_days])
    churned = np.concatenate([parent_churn, np.zeros(40, dtype=bool)])
    aff = np.array([""] * 20_000 + ["young"] * 40)
    tree = fit_cohort_tree(days, churned, [("affiliate_id", aff)], period_days=30.0,
                           min_accounts=20, prior_weight=10.0)
    child, root = tree.fits[("young",)].fit, tree.fits[()].fit
    assert child.periods == root.periods
    # Its own two clean periods lift it a little above the parent, not to a flat line.
    assert root.survival(12) <= child.survival(12) <= root.survival(12) + 0.15


def test_tilted_over_a_year_matches_that_survival_and_keeps_alpha() -> None:
    fit = SbgFit(alpha=1.2, beta=9.0, log_likelihood=0.0, periods=24, period_days=30.0,
                 n_customers=100)
    half = tilted(fit, 0.5, periods=12)
    assert half.alpha == 1.2 and half.periods == 24
    assert half.survival(12) == pytest.approx(fit.survival(12) ** 0.5, rel=1e-9)
    assert half.survival(1) > fit.survival(1)


def test_reshaped_changes_heterogeneity_not_the_years_survival() -> None:
    fit = SbgFit(alpha=0.7, beta=5.0, log_likelihood=0.0, periods=24, period_days=30.0,
                 n_customers=100)
    flat = reshaped(fit, 5.0, periods=12)
    assert flat.alpha == 5.0
    assert flat.survival(12) == pytest.approx(fit.survival(12), rel=1e-9)
    # Less heterogeneity: fewer early losses, more later ones, for the same year.
    assert flat.survival(1) > fit.survival(1) and flat.survival(36) < fit.survival(36)
    assert reshaped(fit, 0.7, periods=12) is fit


def _young_siblings(rng: np.random.Generator, good_losses: int, bad_losses: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Twelve mature affiliates of mixed quality plus two that joined two months ago; the
    last array is each account's age (the mature ones' accounts are all two years old)."""
    days, churned, aff = [], [], []
    for i, beta in enumerate(np.linspace(4.0, 30.0, 12)):
        d, c = _cohort(rng, 400, 3.0, float(beta))
        days.append(d)
        churned.append(c)
        aff += [f"old_{i}"] * 400
    for name, losses in (("young_good", good_losses), ("young_bad", bad_losses)):
        # 100 accounts: 60 renewed once (or were lost at their first renewal), 40 not yet.
        d = np.r_[np.full(60, 40.0), np.full(40, 15.0)]
        c = np.zeros(100, dtype=bool)
        c[:losses] = True
        d[:losses] = 29.5
        days.append(d)
        churned.append(c)
        aff += [name] * 100
    ages = np.where(np.char.startswith(np.array(aff), "old"), 730.0, 45.0)
    return np.concatenate(days), np.concatenate(churned), np.array(aff), ages


def test_young_cohorts_settle_on_a_tilted_curve_ordered_by_their_early_losses() -> None:
    days, churned, aff, ages = _young_siblings(np.random.default_rng(11), good_losses=0,
                                               bad_losses=20)
    tree = fit_cohort_tree(days, churned, [("affiliate_id", aff)], period_days=30.0,
                           min_accounts=20, prior_weight=10.0, age_days=ages)
    good, bad = tree.fits[("young_good",)], tree.fits[("young_bad",)]
    assert good.source == bad.source == TILTED
    assert tree.fits[("old_0",)].source == POOLED
    s12 = {k[0]: f.fit.survival(12) for k, f in tree.fits.items() if k}
    typical = float(np.median([v for k, v in s12.items() if k.startswith("old")]))
    # No loss in 60 first renewals: better than a typical sibling; 20 losses: far worse.
    assert s12["young_good"] > typical > s12["young_bad"]
    # 20 losses in 60 first renewals is plenty of evidence: about its own 40 / 60 kept.
    assert bad.fit.survival(1) == pytest.approx(40 / 60, abs=0.05)
    # Both take a typical sibling's shape (alpha), so no loss yet is not "never churns".
    alphas = [f.fit.alpha for k, f in tree.fits.items() if k and k[0].startswith("old")]
    assert good.fit.alpha == bad.fit.alpha
    assert min(alphas) < good.fit.alpha < max(alphas)
    assert s12["young_good"] < 0.9


def test_account_mix_tilts_a_young_cohort_that_has_no_renewal_yet() -> None:
    rng = np.random.default_rng(12)
    days, churned, aff = [], [], []
    plan = []
    for i in range(12):
        # Half the affiliates bring mostly "basic" accounts, which churn three times faster.
        basic_share = 0.8 if i % 2 else 0.2
        basic = rng.random(400) < basic_share
        d, c = _cohort(rng, 400, 20.0, 200.0)
        d_fast, c_fast = _cohort(rng, 400, 20.0, 60.0)
        days.append(np.where(basic, d_fast, d))
        churned.append(np.where(basic, c_fast, c))
        aff += [f"old_{i}"] * 400
        plan.append(np.where(basic, "basic", "pro"))
    for name, share in (("young_basic", 0.9), ("young_pro", 0.1)):
        days.append(np.full(50, 10.0))  # none has reached a renewal: no exposure at all
        churned.append(np.zeros(50, dtype=bool))
        aff += [name] * 50
        plan.append(np.where(np.arange(50) < share * 50, "basic", "pro"))
    features = (np.concatenate(plan) == "basic").astype(float)[:, None]
    ages = np.where(np.char.startswith(np.array(aff), "old"), 730.0, 10.0)
    args = (np.concatenate(days), np.concatenate(churned), [("affiliate_id", np.array(aff))])
    tree = fit_cohort_tree(*args, period_days=30.0, min_accounts=20, prior_weight=10.0,
                           features=features, age_days=ages)
    s12 = {k[0]: f.fit.survival(12) for k, f in tree.fits.items() if k}
    assert s12["young_pro"] > s12["young_basic"] + 0.1
    blind = fit_cohort_tree(*args, period_days=30.0, min_accounts=20, prior_weight=10.0,
                            age_days=ages)
    s12_blind = {k[0]: f.fit.survival(12) for k, f in blind.fits.items() if k}
    assert s12_blind["young_pro"] == pytest.approx(s12_blind["young_basic"])


def test_centred_relative_risks_are_ratios_to_the_typical_sibling() -> None:
    days, churned, aff, ages = _young_siblings(np.random.default_rng(13), good_losses=5,
                                               bad_losses=10)
    tree = fit_cohort_tree(days, churned, [("affiliate_id", aff)], period_days=30.0,
                           min_accounts=20, prior_weight=10.0, age_days=ages)
    plain = relative_risks(tree, 360.0, low=0.0, high=100.0)
    centred = relative_risks(tree, 360.0, low=0.0, high=100.0, centred=True)
    assert float(np.median(list(centred.values()))) == pytest.approx(1.0)
    scale = float(np.median(list(plain.values())))
    assert scale != pytest.approx(1.0, abs=0.01)
    for key, ratio in plain.items():
        assert centred[key] == pytest.approx(ratio / scale)


def test_a_settled_cohort_carries_the_uncertainty_of_its_level() -> None:
    days, churned, aff, ages = _young_siblings(np.random.default_rng(11), good_losses=0,
                                               bad_losses=20)
    tree = fit_cohort_tree(days, churned, [("affiliate_id", aff)], period_days=30.0,
                           min_accounts=20, prior_weight=10.0, age_days=ages)
    good, bad = tree.fits[("young_good",)], tree.fits[("young_bad",)]
    for cohort in (good, bad):
        # Shape (alpha) held at the siblings'; only the level (beta) is uncertain.
        assert cohort.log_cov[0, 0] == 0.0 and cohort.log_cov[1, 1] > 0.0
    # Twenty losses pin the level down better than none.
    assert bad.log_cov[1, 1] < good.log_cov[1, 1]
