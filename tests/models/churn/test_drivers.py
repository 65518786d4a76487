"""Drivers in words: the phrases, the choice of the largest contributions, and that the
contributions really are the booster's log-odds split by feature."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.models.churn.booster import (
    BoosterParams,
    path_contributions,
    shap_contributions,
)
from successlink.models.churn.calibration import logit
from successlink.models.churn.drivers import describe_value, top_drivers, top_drivers_reference
from successlink.models.churn.features import FeatureSpec, learn_spec
from successlink.models.churn.model import fit_model
from tests.models.churn.fake import frame

SPEC = FeatureSpec(("usage_trend", "failed_payments_90d", "days_since_payment", "mrr_minor",
                    "is_annual", "seats"), {"plan_name": ("growth", "starter")})


@pytest.mark.parametrize(("name", "value", "text"), [
    # trend t = (r - b) / (r + b) = -0.25 means r = 0.6 b: a 40% fall.
    ("usage_trend", -0.25, "usage fell 40% against the 30 days before"),
    ("usage_trend", 0.5, "usage rose 200% against the 30 days before"),
    ("usage_trend", -1.0, "no usage in the last 30 days (some the 30 days before)"),
    ("failed_payments_90d", 2.0, "2 failed payments in 90 days"),
    ("failed_payments_90d", 1.0, "1 failed payment in 90 days"),
    ("days_since_payment", 320.4, "last payment 320 days ago"),
    ("days_since_payment", math.nan, "no payment yet"),
    ("mrr_minor", 123_456.0, "MRR 1,235 USD"),
    ("is_annual", 1.0, "billed yearly"),
    ("plan_name", 1.0, "on the starter plan"),
    ("plan_name", math.nan, "plan name unknown or new since training"),
])
def test_values_in_words(name: str, value: float, text: str) -> None:
    assert describe_value(name, value, SPEC) == text


def test_money_uses_the_currency_minor_units() -> None:
    assert describe_value("mrr_minor", 5000.0, SPEC, currency="JPY") == "MRR 5,000 JPY"


def test_the_largest_contributions_by_size_with_their_direction() -> None:
    x = np.array([[-0.25, 2.0, 10.0, 5000.0, 0.0, 3.0, 1.0]])
    # Last column is LightGBM's bias: never a driver.
    contrib = np.array([[0.8, 0.3, -0.5, 0.001, 0.0, 0.02, 0.1, -3.0]])
    (text,) = top_drivers(contrib, x, SPEC, k=3)
    assert text == ("usage fell 40% against the 30 days before (raises risk); "
                    "last payment 10 days ago (lowers risk); "
                    "2 failed payments in 90 days (raises risk)")
    (tiny,) = top_drivers(np.array([[0.005, 0, 0, 0, 0, 0, 0, 1.0]]), x, SPEC, k=3)
    assert tiny == ""  # nothing worth saying
    assert top_drivers(contrib, x, SPEC, k=0) == [""]


def test_contributions_add_up_to_the_booster_log_odds() -> None:
    data = frame(seed=6, origins=3, n=500)
    # Leaves of 20 rows, so the rare failed payments get splits of their own.
    model = fit_model(data, BoosterParams(rounds=40, min_data_in_leaf=20), "platt")
    x = data.matrix(model.spec)[:300]
    shap = shap_contributions(model.booster, x, threads=1)
    path = path_contributions(model.booster, x, threads=1)
    assert path.shape == shap.shape == (300, len(model.spec.names) + 1)
    for parts in (shap, path):
        np.testing.assert_allclose(parts.sum(axis=1), logit(model.raw(x)), atol=1e-9)
    # Both bias columns are the score before any split: the same for every row.
    assert np.ptp(path[:, -1]) == 0
    # Under either method the mechanism's features carry the weight: recent active days and
    # the plan for everyone, a failed payment (a tenth of the rows) raising risk where present.
    failed = model.spec.names.index("failed_payments_90d")
    has_failed = x[:, failed] > 0
    for parts in (shap, path):
        size = np.abs(parts[:, :-1]).mean(axis=0)
        assert {model.spec.names[j] for j in np.argsort(-size)[:2]} == {
            "active_days_30", "plan_name"}
        assert parts[has_failed, failed].min() > 0 > parts[~has_failed, failed].max()
    texts = top_drivers(path, x, model.spec, k=2)
    assert all(t.count("risk)") == 2 for t in texts)


# Every feature the model can have, with vocabularies, for the bulk-versus-reference checks.
FULL = learn_spec([pa.table({"plan_name": ["growth", "starter"], "interval": ["month", "year"],
                             "channel": ["paid_search", "organic"]})])
# Values where a printed number changes: halves (ties round to even), percents on a tie,
# trends at the edge of "flat" and of "started"/"stopped", zero of either sign, missing
# (never infinite: no feature can be, and the phrases themselves refuse it).
EDGES = [-0.0, 0.0, 0.5, 1.0, 1.5, 2.5, 0.005, 0.015, 0.125, 0.335, 0.35, 0.995, 1e6 + 0.5,
         -1.0, -0.5, -0.3, 0.0025 / 1.0025, -0.0025 / 0.9975, 0.999, 1e-9, 12_345.5,
         math.nan, 3.0, 7.0, 99.5, 250_049.999]


def _assert_bulk_matches_reference(contrib: np.ndarray, x: np.ndarray, spec: FeatureSpec,
                                   k: int, currency: str = "USD") -> None:
    bulk = top_drivers(contrib, x, spec, k=k, currency=currency)
    reference = top_drivers_reference(contrib, x, spec, k=k, currency=currency)
    assert bulk == reference


def test_bulk_wording_matches_the_reference_on_a_small_model() -> None:
    data = frame(seed=3, origins=3, n=400)
    model = fit_model(data, BoosterParams(rounds=30, min_data_in_leaf=20), "platt")
    x = data.matrix(model.spec)
    x[::7, 3] = math.nan  # some missing values among the drivers too
    contrib = path_contributions(model.booster, x, threads=1)
    for k in (1, 2, 3, 5):
        _assert_bulk_matches_reference(contrib, x, model.spec, k)
    texts = top_drivers(contrib, x, model.spec, k=3)
    assert sum(t.count("risk)") for t in texts) > 2 * len(texts)  # real sentences compared


def test_bulk_wording_matches_the_reference_at_every_rounding_edge() -> None:
    rng = np.random.default_rng(4)
    n, f = 3000, len(FULL.names)
    x = rng.choice(np.array(EDGES), size=(n, f))
    noisy = rng.random((n, f)) < 0.3  # and some plain values in between
    x[noisy] = rng.normal(0, 50, noisy.sum())
    x[:, FULL.categorical_indices] = rng.choice([0.0, 1.0, 2.0, -1.0, math.nan], (n, 3))
    # Sizes from a coarse grid: ties between features and contributions below the floor.
    contrib = rng.choice([-0.5, -0.2, -0.01, -0.005, 0.0, 0.005, 0.01, 0.2, 0.5], (n, f + 1))
    for k in (1, 3, 4):
        _assert_bulk_matches_reference(contrib, x, FULL, k)
    _assert_bulk_matches_reference(contrib, x, FULL, 3, currency="JPY")


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=False, width=64),
                       min_size=1, max_size=30),
       feature=st.integers(0, len(FULL.names) - 1), raises=st.booleans())
def test_any_value_of_any_feature_reads_as_the_reference_says(
        values: list[float], feature: int, raises: bool) -> None:
    x = np.zeros((len(values), len(FULL.names)))
    x[:, feature] = values
    contrib = np.zeros((len(values), len(FULL.names) + 1))
    contrib[:, feature] = 0.3 if raises else -0.3
    _assert_bulk_matches_reference(contrib, x, FULL, 1)
