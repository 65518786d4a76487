"""Health weights learned from churn: what the configured weights would be if the data chose.

The health score is a weighted average of 0-100 points per measure. Fitting churn on those
points with a logistic regression whose coefficients are held at or below zero (more points
may never mean more risk) gives, up to scale, the weights that rank accounts by churn risk
best: a linear score can only be as good as its weights, and the sign constraint keeps the
result a *health* score that people can read. A small ridge penalty keeps weights of
collinear measures shared instead of arbitrary.

Missing points (a measure with no data under the "ignore" policy) are filled with the
measure's mean points among the accounts fitted, so a missing value neither helps nor hurts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize
from scipy.special import expit

from successlink.health.config import Profile
from successlink.models.churn.evaluation import auc as churn_auc

Floats = npt.NDArray[np.float64]
# Suggested weights are rounded to this step and never below it (the config needs > 0).
STEP = 0.1


@dataclass(frozen=True)
class LearnedWeights:
    """Non-negative weights per measure (on the points scale) and the fit's size."""

    measures: tuple[str, ...]
    weights: tuple[float, ...]
    intercept: float
    accounts: int
    churned: int

    def weight(self, measure: str) -> float:
        return self.weights[self.measures.index(measure)]

    def score(self, points: Floats) -> Floats:
        """A health-like score (higher = healthier) for rows of points in `measures` order."""
        filled = fill_missing(points, self._means)
        return np.asarray(filled @ np.asarray(self.weights), dtype=np.float64)

    _means: tuple[float, ...] = ()


def auc(churned: npt.ArrayLike, health: npt.ArrayLike) -> float:
    """AUC of a health score as a churn warning: the probability a churner scores lower
    than a stayer (ties count half); NaN when only one outcome is present."""
    return churn_auc(np.asarray(churned, dtype=np.float64),
                     -np.asarray(health, dtype=np.float64))


def fill_missing(points: Floats, means: Sequence[float]) -> Floats:
    """Missing points (NaN) replaced by each measure's mean."""
    out = np.array(points, dtype=np.float64, copy=True)
    rows, cols = np.nonzero(np.isnan(out))
    out[rows, cols] = np.asarray(means, dtype=np.float64)[cols]
    return out


def fit_weights(measures: Sequence[str], points: npt.ArrayLike, churned: npt.ArrayLike, *,
                ridge: float = 1.0) -> LearnedWeights:
    """Fit P(churn) = expit(a - sum_m w_m * points_m / 100) with every w_m >= 0."""
    x = np.asarray(points, dtype=np.float64)
    y = np.asarray(churned, dtype=np.float64)
    if x.ndim != 2 or x.shape != (y.size, len(measures)):
        raise ValueError("points must have one row per account and one column per measure")
    if y.size == 0 or y.min() == y.max():
        raise ValueError("fitting weights needs accounts that churned and accounts that stayed")
    means = [float(np.nanmean(c)) if np.isfinite(c).any() else 50.0 for c in x.T]
    z = fill_missing(x, means) / 100.0

    def loss(theta: Floats) -> tuple[float, Floats]:
        a, w = theta[0], theta[1:]
        eta = a - z @ w
        # log(1 + e^eta) - y * eta, computed stably
        value = float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * ridge * w @ w)
        r = expit(eta) - y
        grad = np.concatenate([[r.sum()], -(z.T @ r) + ridge * w])
        return value, grad

    start = np.zeros(len(measures) + 1)
    start[0] = math.log(y.mean() / (1.0 - y.mean()))
    bounds = [(None, None)] + [(0.0, None)] * len(measures)
    found = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8})
    w = np.maximum(found.x[1:], 0.0)
    return LearnedWeights(tuple(measures), tuple(float(v) for v in w), float(found.x[0]),
                          int(y.size), int(y.sum()), tuple(means))


def suggested_weights(profile: Profile, learned: LearnedWeights, *, prefix: str
                      ) -> dict[str, float]:
    """Config weights for the profile's groups (summing to about 100) and measures
    (within each group, summing to about 10), keyed by TOML table path under `prefix`
    (e.g. "profiles.mature")."""
    groups: dict[str, float] = {}
    for measure in profile.active_measures():
        if measure in learned.measures:
            group = profile.measures[measure].group
            groups[group] = groups.get(group, 0.0) + learned.weight(measure)
    total = sum(groups.values())
    out: dict[str, float] = {}
    for group, weight in groups.items():
        share = 100.0 * weight / total if total > 0 else 100.0 / len(groups)
        out[f"{prefix}.groups.{group}"] = _rounded(share)
        members = [m for m in profile.active_measures(group) if m in learned.measures]
        inner = sum(learned.weight(m) for m in members)
        for m in members:
            part = 10.0 * learned.weight(m) / inner if inner > 0 else 10.0 / len(members)
            out[f"{prefix}.measures.{m}"] = _rounded(part)
    return out


def _rounded(value: float) -> float:
    return max(STEP, round(value / STEP) * STEP)


def nominal_shares(profile: Profile, weights: Mapping[str, float] | None = None,
                   *, prefix: str = "") -> dict[str, float]:
    """Share of the whole score each measure carries with full data, under the profile's
    weights or under `weights` (table path -> weight) where given."""
    def group_weight(g: str) -> float:
        return (weights or {}).get(f"{prefix}.groups.{g}", profile.groups[g].weight)

    def measure_weight(m: str) -> float:
        return (weights or {}).get(f"{prefix}.measures.{m}", profile.measures[m].weight)

    groups = profile.active_groups()
    total = sum(group_weight(g) for g in groups)
    shares = {}
    for g in groups:
        members = profile.active_measures(g)
        inner = sum(measure_weight(m) for m in members)
        for m in members:
            shares[m] = group_weight(g) / total * measure_weight(m) / inner
    return shares
