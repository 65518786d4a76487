"""Survival of accounts: Kaplan-Meier curves, restricted mean survival and the log-rank test.

Accounts still active on the as-of date have not churned *yet*; dropping them or counting them
as survivors both bias retention. Survival analysis keeps them as censored observations.
Fitting is lifelines' (the best-kept tool for it); this module turns its pandas output into
plain numpy arrays and adds what lifelines does not give directly (the standard error of the
restricted mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class SurvivalCurve:
    """A Kaplan-Meier step curve: S(t) holds from `t[i]` up to (not including) `t[i + 1]`.

    `t` starts at 0 (S = 1) and lists every distinct duration, censored ones included;
    `at_risk` is the number still under observation just before `t[i]` and `events` the churns
    at `t[i]`. `ci_low`/`ci_high` are lifelines' exponential-Greenwood pointwise bounds.
    """

    t: FloatArray
    survival: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    at_risk: FloatArray
    events: FloatArray
    confidence: float
    label: str | None = None

    def survival_at(self, times: npt.ArrayLike) -> FloatArray:
        """S at each of `times` (right-continuous: a churn at t counts at t); 1 before 0."""
        query = np.asarray(times, dtype=np.float64)
        index = np.searchsorted(self.t, query, side="right") - 1
        values = np.where(index >= 0, self.survival[np.maximum(index, 0)], 1.0)
        return np.asarray(values, dtype=np.float64)

    def median(self) -> float:
        """First time S drops to 0.5 or below; inf when it never does (too few churned)."""
        below = np.flatnonzero(self.survival <= 0.5)
        return float(self.t[below[0]]) if below.size else math.inf


class RmstEstimate(NamedTuple):
    """Restricted mean survival time up to `horizon`, with its standard error."""

    rmst: float
    se: float
    horizon: float


class LogrankResult(NamedTuple):
    """Log-rank chi-square (1 degree of freedom) and its p-value."""

    chi2: float
    p: float


def kaplan_meier(
    durations: npt.ArrayLike,
    observed: npt.ArrayLike,
    *,
    label: str | None = None,
    confidence: float = 0.95,
) -> SurvivalCurve:
    """Fit a Kaplan-Meier curve; `observed` is True where the account churned (else censored)."""
    times, events = _checked_durations(durations, observed)
    fitter = KaplanMeierFitter().fit(
        times, event_observed=events, label=label, alpha=1.0 - confidence
    )
    table = fitter.event_table
    bounds = fitter.confidence_interval_
    return SurvivalCurve(
        t=fitter.survival_function_.index.to_numpy(dtype=np.float64),
        survival=fitter.survival_function_.iloc[:, 0].to_numpy(dtype=np.float64),
        ci_low=bounds.iloc[:, 0].to_numpy(dtype=np.float64),
        ci_high=bounds.iloc[:, 1].to_numpy(dtype=np.float64),
        at_risk=table["at_risk"].to_numpy(dtype=np.float64),
        events=table["observed"].to_numpy(dtype=np.float64),
        confidence=confidence,
        label=label,
    )


def rmst(curve: SurvivalCurve, horizon: float) -> RmstEstimate:
    """Area under the step curve from 0 to `horizon`, with a Greenwood-type standard error.

    RMST is the expected days of survival within the horizon; unlike the median it exists even
    when fewer than half the accounts churned. Variance (Klein & Moeschberger 2003, 4.5):
    sum over churn times t_i <= horizon of A_i^2 d_i / (Y_i (Y_i - d_i)), with A_i the area
    under the curve from t_i to the horizon. Without censoring it equals var(min(T, h)) / n.
    """
    if not horizon > 0:
        raise ValueError(f"horizon must be > 0, got {horizon}")
    edges = np.append(np.minimum(curve.t, horizon), horizon)
    pieces = curve.survival * np.diff(edges)
    area_after = np.cumsum(pieces[::-1])[::-1]  # area from t_i (S after its churns) to horizon
    use = (curve.t <= horizon) & (curve.events > 0) & (curve.at_risk > curve.events)
    # Where everyone left at risk churns (Y == d) the curve is 0 afterwards, so A_i = 0.
    d, y, a = curve.events[use], curve.at_risk[use], area_after[use]
    variance = float(np.sum(a * a * d / (y * (y - d))))
    return RmstEstimate(rmst=float(pieces.sum()), se=math.sqrt(variance), horizon=float(horizon))


def logrank(
    durations_a: npt.ArrayLike,
    observed_a: npt.ArrayLike,
    durations_b: npt.ArrayLike,
    observed_b: npt.ArrayLike,
) -> LogrankResult:
    """Log-rank test that two groups share one survival curve (e.g. two affiliates' cohorts)."""
    times_a, events_a = _checked_durations(durations_a, observed_a)
    times_b, events_b = _checked_durations(durations_b, observed_b)
    result = logrank_test(times_a, times_b, event_observed_A=events_a, event_observed_B=events_b)
    return LogrankResult(chi2=float(result.test_statistic), p=float(result.p_value))


def durations_as_of(
    started_at: npt.ArrayLike, ended_at: npt.ArrayLike, as_of: np.datetime64 | datetime
) -> tuple[FloatArray, BoolArray]:
    """Durations in days and churn flags for accounts observed up to `as_of`.

    An account that ended at or before `as_of` is an event at its end; one still active
    (`ended_at` NaT) or ending after `as_of` is censored at `as_of` - on the as-of date we
    cannot know the later churn yet. Instants are numpy datetime64 in UTC. Accounts that start
    after `as_of`, or end before they start, are errors rather than silent negative durations.
    """
    start = np.asarray(started_at, dtype="datetime64[us]")
    end = np.asarray(ended_at, dtype="datetime64[us]")
    cutoff = _as_datetime64(as_of)
    if start.shape != end.shape:
        raise ValueError(f"started_at has shape {start.shape}, ended_at {end.shape}")
    if np.any(np.isnat(start)):
        raise ValueError("every account needs a start instant (started_at has NaT)")
    if np.any(start > cutoff):
        raise ValueError("some accounts start after as_of: filter them out before fitting")
    if np.any(end < start):
        raise ValueError("some accounts end before they start")
    observed = ~np.isnat(end) & (end <= cutoff)
    stop = np.where(observed, end, cutoff)
    days = (stop - start) / np.timedelta64(1, "D")
    return np.asarray(days, dtype=np.float64), np.asarray(observed, dtype=np.bool_)


def _as_datetime64(instant: np.datetime64 | datetime) -> npt.NDArray[np.datetime64]:
    """A numpy instant (0-d) from a datetime64 or a datetime (aware ones converted to UTC)."""
    if isinstance(instant, datetime) and instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    return np.asarray(instant, dtype="datetime64[us]")


def _checked_durations(
    durations: npt.ArrayLike, observed: npt.ArrayLike
) -> tuple[FloatArray, BoolArray]:
    """Durations and event flags as arrays of one length, refusing negatives and NaN."""
    times = np.asarray(durations, dtype=np.float64)
    events = np.asarray(observed, dtype=np.bool_)
    if times.ndim != 1 or times.shape != events.shape:
        raise ValueError(f"durations {times.shape} and observed {events.shape} must be 1-d "
                         "and of one length")
    if times.size == 0:
        raise ValueError("no durations to fit")
    if np.any(~np.isfinite(times)) or np.any(times < 0):
        raise ValueError("durations must be finite and >= 0")
    return times, events
