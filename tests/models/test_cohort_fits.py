"""Cohort sBG tree: censored fits per cohort, small cohorts fall back or shrink to parents."""

from __future__ import annotations

import numpy as np
import pytest

from successlink.models.clv.cohort_fits import OWN, PARENT, POOLED, fit_cohort_tree


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
