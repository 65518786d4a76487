import math
from datetime import UTC, datetime, timedelta, timezone
from importlib.resources import files

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time

from successlink.stats.survival import durations_as_of, kaplan_meier, logrank, rmst
from tests.stats.reference import published

GEHAN = published("kaplan_meier_gehan")
PLACEBO, SIX_MP = 1, 2


def gehan() -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Gehan's 6-MP trial from the lifelines wheel: rows of (group, weeks, relapsed)."""
    text = files("lifelines").joinpath("datasets/gehan.dat").read_text()
    rows = np.array([line.split() for line in text.splitlines() if line.strip()], dtype=float)
    return {g: (rows[rows[:, 0] == g, 1], rows[rows[:, 0] == g, 2]) for g in (PLACEBO, SIX_MP)}


def test_gehan_group_coding_is_1_placebo_2_six_mp():
    # Freireich et al. (1963): 21 patients per arm; all placebo patients relapsed, 9 on 6-MP.
    data = gehan()
    assert [len(data[g][0]) for g in (PLACEBO, SIX_MP)] == [21, 21]
    assert data[PLACEBO][1].sum() == 21
    assert data[SIX_MP][1].sum() == 9


def test_kaplan_meier_reproduces_gehan_six_mp_curve():
    curve = kaplan_meier(*gehan()[SIX_MP], label="6-MP")
    expected = GEHAN["six_mp_survival"]
    np.testing.assert_allclose(curve.survival_at(expected["t"]), expected["S"],
                               atol=GEHAN["tolerance"]["S"])
    assert curve.median() == expected["median"]
    assert curve.label == "6-MP"


def test_kaplan_meier_reproduces_gehan_placebo_median_and_s8():
    curve = kaplan_meier(*gehan()[PLACEBO])
    assert curve.median() == GEHAN["placebo"]["median"]
    assert float(curve.survival_at(8)) == pytest.approx(GEHAN["placebo"]["S_at_8"],
                                                        abs=GEHAN["tolerance"]["S"])


def test_logrank_reproduces_gehan_chi2():
    data = gehan()
    result = logrank(*data[PLACEBO], *data[SIX_MP])
    assert result.chi2 == pytest.approx(GEHAN["logrank_chi2"], abs=GEHAN["tolerance"]["chi2"])
    assert result.p < 1e-4


def test_logrank_of_a_group_against_itself_finds_no_difference():
    weeks, relapsed = gehan()[SIX_MP]
    chi2, p = logrank(weeks, relapsed, weeks, relapsed)
    assert chi2 == pytest.approx(0.0, abs=1e-12)
    assert p == pytest.approx(1.0)


def test_curve_is_a_right_continuous_step_starting_at_one():
    curve = kaplan_meier([2, 3, 3, 5, 6], [1, 0, 1, 1, 0])
    np.testing.assert_allclose(curve.t, [0, 2, 3, 5, 6])
    np.testing.assert_allclose(curve.at_risk, [5, 5, 4, 2, 1])
    np.testing.assert_allclose(curve.events, [0, 1, 1, 1, 0])
    np.testing.assert_allclose(curve.survival_at([-1, 0, 1.9, 2, 2.5, 3, 5, 100]),
                               [1, 1, 1, 0.8, 0.8, 0.6, 0.3, 0.3])
    assert np.all(curve.ci_low <= curve.survival) and np.all(curve.survival <= curve.ci_high)


def test_median_is_infinite_when_survival_never_reaches_one_half():
    assert kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0]).median() == math.inf


@pytest.mark.parametrize(("durations", "observed"), [
    ([], []), ([1, 2], [1]), ([1, -2], [1, 1]), ([1, math.nan], [1, 1])])
def test_kaplan_meier_refuses_bad_durations(durations, observed):
    with pytest.raises(ValueError, match="durations"):
        kaplan_meier(durations, observed)


# Hand-computed: S = 1 on [0,2), 0.8 on [2,3), 0.6 on [3,5), 0.3 from 5 (6 is censored).
# Variance terms A_i^2 d_i / (Y_i (Y_i - d_i)): 2.3^2/20 + 1.5^2/12 + 0.3^2/2 = 0.497.
@pytest.mark.parametrize(("horizon", "area", "variance"), [
    (1.5, 1.5, 0.0), (4, 3.4, 1.4**2 / 20 + 0.6**2 / 12), (6, 4.3, 0.497),
    (8, 4.9, 2.9**2 / 20 + 2.1**2 / 12 + 0.9**2 / 2)])
def test_rmst_of_a_hand_computed_step_curve(horizon, area, variance):
    estimate = rmst(kaplan_meier([2, 3, 3, 5, 6], [1, 0, 1, 1, 0]), horizon)
    assert estimate.rmst == pytest.approx(area)
    assert estimate.se == pytest.approx(math.sqrt(variance))
    assert estimate.horizon == horizon


@pytest.mark.parametrize("horizon", [5, 10, 23, 40])
def test_rmst_agrees_with_lifelines_on_gehan(horizon):
    weeks, relapsed = gehan()[SIX_MP]
    expected = restricted_mean_survival_time(KaplanMeierFitter().fit(weeks, relapsed), horizon)
    assert rmst(kaplan_meier(weeks, relapsed), horizon).rmst == pytest.approx(expected)


@given(st.lists(st.integers(min_value=1, max_value=60), min_size=2, max_size=40),
       st.integers(min_value=1, max_value=70))
def test_rmst_without_censoring_is_the_mean_of_truncated_durations(durations, horizon):
    # With every churn observed the estimator is the plain mean of min(T, h), and its
    # Greenwood-type variance reduces to the (1/n) sample variance over n.
    truncated = np.minimum(durations, horizon)
    estimate = rmst(kaplan_meier(durations, np.ones(len(durations))), horizon)
    assert estimate.rmst == pytest.approx(truncated.mean())
    assert estimate.se == pytest.approx(math.sqrt(truncated.var() / len(durations)), abs=1e-9)


def test_rmst_needs_a_positive_horizon():
    with pytest.raises(ValueError, match="horizon"):
        rmst(kaplan_meier([1, 2], [1, 1]), 0)


def at(day: int, hour: int = 0) -> np.datetime64:
    return np.datetime64(f"2026-01-{day:02d}T{hour:02d}:00", "us")


def test_durations_as_of_turns_instants_into_days_and_churn_flags():
    as_of = at(31)
    started = np.array([at(1), at(1), at(1), at(11), at(21)])
    ended = np.array([at(11, 12), at(31), at(31, 1), np.datetime64("NaT"), at(25)])
    days, churned = durations_as_of(started, ended, as_of)
    # churned mid-month; churned exactly at as_of (an event); churns after as_of and
    # still active (both censored at as_of); churned within days of starting.
    np.testing.assert_allclose(days, [10.5, 30, 30, 20, 4])
    np.testing.assert_array_equal(churned, [True, True, False, False, True])


def test_durations_as_of_accepts_an_aware_datetime_in_any_zone():
    started = np.array([at(1)])
    ended = np.array([np.datetime64("NaT")], dtype="datetime64[us]")
    berlin = timezone(timedelta(hours=1))
    days_utc, _ = durations_as_of(started, ended, datetime(2026, 1, 11, tzinfo=UTC))
    days_berlin, _ = durations_as_of(started, ended, datetime(2026, 1, 11, 1, tzinfo=berlin))
    np.testing.assert_allclose(days_utc, [10])
    np.testing.assert_allclose(days_berlin, [10])


@pytest.mark.parametrize(("started", "ended", "message"), [
    ([at(5)], [at(10)], "start after as_of"),
    ([at(3)], [at(2)], "end before they start"),
    ([np.datetime64("NaT")], [at(2)], "start instant"),
    ([at(1), at(2)], [at(3)], "shape")])
def test_durations_as_of_refuses_impossible_timelines(started, ended, message):
    with pytest.raises(ValueError, match=message):
        durations_as_of(np.array(started, dtype="datetime64[us]"),
                        np.array(ended, dtype="datetime64[us]"), at(4))
