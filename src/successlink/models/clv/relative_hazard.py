"""Each account's churn hazard relative to its book's curve, from what it bought.

Plan and seats are known from an account's first day, and in most programs they go with
how long it stays. A young cohort's account mix is therefore an early read on its churn
before its own renewals say much (see `hazard_credibility`). The model is proportional
hazards with the book's sBG curve as baseline: an account at risk over renewals 1..c has
expected losses H = sum of the curve's hazards over them, and

    losses ~ Poisson(H exp(x . b))

fitted by Newton's method with a small ridge penalty (the columns are standardised first,
so the penalty treats them alike and a plan held by a handful of accounts cannot run off).
The output, x . b, is a log hazard ratio centred on the book's mean account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.models.clv.sbg import SbgFit

FloatArray = npt.NDArray[np.float64]

# Ridge penalty as pseudo-losses per coefficient: negligible against thousands of losses,
# enough to keep a rare plan's coefficient finite when none of its accounts churned.
RIDGE = 1.0
NEWTON_STEPS = 50


@dataclass(frozen=True)
class RelativeHazard:
    """Fitted coefficients on standardised columns (`center`, `scale` from the fit data)."""

    center: FloatArray
    scale: FloatArray
    coefficients: FloatArray

    def log_ratio(self, x: npt.ArrayLike) -> FloatArray:
        """log hazard ratio of each row of `x` to the book's mean account."""
        z = (np.asarray(x, dtype=np.float64) - self.center) / self.scale
        return np.asarray(z @ self.coefficients, dtype=np.float64)


def cumulative_hazard(fit: SbgFit, last_period: npt.ArrayLike) -> FloatArray:
    """Expected losses of an account at risk in periods 1..last_period under `fit`."""
    last = np.asarray(last_period, dtype=np.int64)
    top = int(last.max(initial=0))
    if top == 0:
        return np.zeros(last.shape)
    hazard = 1.0 - fit.retention_rate(np.arange(1, top + 1))
    cumulative = np.concatenate([[0.0], np.cumsum(hazard)])
    return np.asarray(cumulative[np.clip(last, 0, top)], dtype=np.float64)


def fit_relative_hazard(x: npt.ArrayLike, lost: npt.ArrayLike, exposure: npt.ArrayLike
                        ) -> RelativeHazard | None:
    """Poisson regression of `lost` (0/1 per account) on `x` with offset log(`exposure`).

    None when there is nothing to learn: no exposure, no loss, or no column that varies.
    """
    xs = np.asarray(x, dtype=np.float64)
    y = np.asarray(lost, dtype=np.float64)
    h = np.asarray(exposure, dtype=np.float64)
    use = h > 0
    if xs.ndim != 2 or not np.any(use) or y[use].sum() == 0:
        return None
    center = xs[use].mean(axis=0)
    scale = xs[use].std(axis=0)
    varies = scale > 0
    if not np.any(varies):
        return None
    scale = np.where(varies, scale, 1.0)
    z = (xs[use] - center) / scale
    z[:, ~varies] = 0.0
    y, h = y[use], h[use]
    # Intercept absorbs the curve's overall level on these accounts; it is not kept.
    design = np.column_stack([np.ones(z.shape[0]), z])
    penalty = np.full(design.shape[1], RIDGE)
    penalty[0] = 0.0
    b = np.zeros(design.shape[1])
    b[0] = np.log(y.sum() / h.sum())
    for _ in range(NEWTON_STEPS):
        mu = h * np.exp(design @ b)
        gradient = design.T @ (y - mu) - penalty * b
        information = (design * mu[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(information, gradient)
        step *= min(1.0, 1.0 / max(float(np.max(np.abs(step))), 1e-300))  # damped far away
        b += step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return RelativeHazard(center=center, scale=scale, coefficients=b[1:])
