"""Early LTV: how much of its cohort's value a brand-new account is likely to realise.

An account acquired in the last few weeks has almost no history, so its cohort curve says
little about *it*. What it does have are early signals: plan, seats and usage in its first
weeks. This module fits, on older accounts *as they were at the same age*, a Poisson
(log-link) regression of the value they went on to realise (the share of the following
window they stayed, or revenue) on those signals, with a small ridge penalty. A new account's
relative value is its prediction over the training accounts' mean prediction; the caller
multiplies its cohort value by it. The regression uses only what the training accounts had
shown by their own early day and outcomes observed by the as-of date, so there is no
look-ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize

FloatArray = npt.NDArray[np.float64]

# A new account's relative value is clipped to this range: a log-linear model extrapolates
# without bound, and no early signal justifies claiming a tenth or ten times the cohort value.
RELATIVE_RANGE = (0.25, 4.0)


@dataclass(frozen=True)
class EarlySignals:
    """Per-account signals at the early age: plan name, seats, events and active days."""

    plan: npt.NDArray[np.str_]
    seats: FloatArray
    events: FloatArray
    active_days: FloatArray

    def __len__(self) -> int:
        return int(self.plan.size)


@dataclass(frozen=True)
class EarlyValueModel:
    """Fitted coefficients on standardised features, the plan levels and the training mean."""

    plans: tuple[str, ...]
    centre: FloatArray
    scale: FloatArray
    coef: FloatArray  # intercept first
    mean_prediction: float
    n_train: int

    def predict(self, signals: EarlySignals) -> FloatArray:
        """Expected realised value for each account (same units as the training target)."""
        design = _design(signals, self.plans, self.centre, self.scale)
        return np.asarray(np.exp(np.clip(design @ self.coef, -50, 50)), dtype=np.float64)

    def relative_value(self, signals: EarlySignals) -> FloatArray:
        """Prediction over the training mean, clipped to RELATIVE_RANGE (1 = typical)."""
        ratio = self.predict(signals) / self.mean_prediction
        return np.asarray(np.clip(ratio, *RELATIVE_RANGE), dtype=np.float64)


def _numeric(signals: EarlySignals) -> FloatArray:
    return np.column_stack([np.log1p(np.maximum(np.nan_to_num(v), 0.0)) for v in
                            (signals.seats, signals.events, signals.active_days)])


def _design(signals: EarlySignals, plans: Sequence[str], centre: FloatArray,
            scale: FloatArray) -> FloatArray:
    numeric = (_numeric(signals) - centre) / scale
    dummies = [(signals.plan == p).astype(np.float64) for p in plans[1:]]
    return np.column_stack([np.ones(len(signals)), numeric, *dummies])


def fit_early_value(signals: EarlySignals, realised: npt.ArrayLike, *,
                    ridge: float = 1.0) -> EarlyValueModel:
    """Fit log E[realised] = b0 + b . features by penalised Poisson likelihood.

    Features: log(1 + seats), log(1 + events), log(1 + active days) standardised, and one
    indicator per plan beyond the most common. `ridge` is the L2 penalty (in accounts'
    worth of log-likelihood) on every coefficient but the intercept.
    """
    y = np.asarray(realised, dtype=np.float64)
    if y.shape != (len(signals),) or len(signals) == 0:
        raise ValueError("need one realised value per training account, and at least one")
    if np.any(~np.isfinite(y)) or np.any(y < 0):
        raise ValueError("realised values must be finite and >= 0")
    if y.sum() <= 0:
        raise ValueError("no training account realised any value: nothing to learn from")
    names, counts = np.unique(signals.plan, return_counts=True)
    plans = tuple(str(p) for p in names[np.argsort(-counts, kind="stable")])
    numeric = _numeric(signals)
    centre = numeric.mean(axis=0)
    scale = np.where(numeric.std(axis=0) > 0, numeric.std(axis=0), 1.0)
    design = _design(signals, plans, centre, scale)
    penalty = np.full(design.shape[1], ridge)
    penalty[0] = 0.0
    n = float(y.size)

    def objective(beta: FloatArray) -> tuple[float, FloatArray]:
        eta = np.clip(design @ beta, -50, 50)
        mu = np.exp(eta)
        value = float(np.sum(mu - y * eta) + 0.5 * np.dot(penalty * beta, beta)) / n
        grad = (design.T @ (mu - y) + penalty * beta) / n
        return value, grad

    start = np.zeros(design.shape[1])
    start[0] = np.log(y.mean())
    best = optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                             options={"maxiter": 500, "gtol": 1e-10})
    coef = np.asarray(best.x, dtype=np.float64)
    mean_prediction = float(np.mean(np.exp(np.clip(design @ coef, -50, 50))))
    return EarlyValueModel(plans, centre, scale, coef, mean_prediction, int(y.size))
