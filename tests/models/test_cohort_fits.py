"""Cohort sBG tree: censored fits per cohort, small cohorts fall back or shrink to parents."""

from __future__ import annotations

import numpy as np
import pytest

from successlink.models.clv.cohort_fits import (
    OWN,
    PARENT,
    POOLED,
    fit_cohort_tree,
    relative_risks,
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
