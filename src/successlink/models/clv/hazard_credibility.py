"""How far a cohort's churn sits from its prior curve, weighed by how much churn it has seen.

A young cohort (an affiliate who joined two months ago) has renewed a few dozen times; its
own curve beyond those renewals is no more than its parent's. What it does show is whether
it loses *more or fewer* accounts than the parent's curve predicts at the same renewals, and
whether its accounts look like the parent's (the account mix, scored by `relative_hazard`).

Model: a cohort's hazard is a reference curve's hazard times a ratio r (proportional
hazards). Its observed losses O are Poisson with mean r E, E the losses the reference
predicts over the renewals the cohort was at risk of. Across sibling cohorts log r is normal
with mean mu + slope x shift and spread sigma, where shift is how much riskier the cohort's
accounts look than its parent's at the same ages. mu, sigma and the slope are fitted to the
siblings by maximum marginal likelihood (empirical Bayes; r integrated out by Gauss-Hermite
quadrature), and each cohort's ratio is its posterior mean E[r | O, E, shift]: a cohort with
much exposure keeps about its own O / E, one with little keeps what a typical sibling with
its account mix has. A log-normal rather than a gamma spread: a gamma fitted to siblings that
differ as much as affiliates do has its mode at zero and reads "no loss in the first two
renewals" as "never churns". No constant is tuned: mu, sigma and the slope are estimated for
every parent on the as-of data alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from successlink.models.clv.sbg import SbgFit, SurvivalCounts

FloatArray = npt.NDArray[np.float64]

# Fewer siblings with exposure than this and the spread between them is not estimated.
MIN_SIBLINGS = 5
# Search ranges (log-ratio units): wide enough never to bind on real books, narrow enough
# to keep the optimiser away from overflow.
MU_RANGE = (-5.0, 5.0)
LOG_SIGMA_RANGE = (math.log(0.01), math.log(5.0))
SLOPE_RANGE = (-5.0, 5.0)
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(20)
NEWTON_STEPS = 50
_LOG_WEIGHTS = np.log(_WEIGHTS / _WEIGHTS.sum())


def observed_expected(counts: SurvivalCounts, fit: SbgFit) -> tuple[float, float]:
    """Losses seen in `counts` and the losses `fit` predicts over the same renewals.

    A customer lost in period t was at risk in periods 1..t, one still paying after c
    renewals in periods 1..c; the curve's hazard in period t is 1 - retention_rate(t).
    """
    horizon = counts.periods
    if horizon == 0:
        return float(counts.lost.sum()), 0.0
    lost = np.zeros(horizon)
    lost[: len(counts.lost)] = counts.lost
    censored = np.zeros(horizon + 1)
    censored[: len(counts.censored)] = counts.censored
    at_risk = np.cumsum(lost[::-1])[::-1] + np.cumsum(censored[::-1])[::-1][1:]
    hazard = 1.0 - fit.retention_rate(np.arange(1, horizon + 1))
    return float(lost.sum()), float(np.dot(at_risk, hazard))


def _log_terms(mu: float, sigma: float, slope: float, observed: FloatArray,
               expected: FloatArray, shift: FloatArray) -> tuple[FloatArray, FloatArray]:
    """log r at each quadrature node, and log(weight x integrand) there.

    Adaptive Gauss-Hermite: the nodes sit around each cohort's posterior mode of log r with
    its posterior spread (Laplace), so a cohort with thousands of losses, whose likelihood is
    far narrower than the prior, is integrated as accurately as a young one. The integrand
    is the Poisson likelihood r^O exp(-r E) times the normal prior density of log r.
    """
    centre = mu + slope * shift
    mode = centre.copy()
    for _ in range(NEWTON_STEPS):  # concave in log r: Newton from the prior's centre
        rate = expected * np.exp(mode)
        step = (observed - rate - (mode - centre) / sigma**2) / (rate + 1.0 / sigma**2)
        mode += np.clip(step, -2.0, 2.0)
        if float(np.max(np.abs(step), initial=0.0)) < 1e-10:
            break
    spread = 1.0 / np.sqrt(expected * np.exp(mode) + 1.0 / sigma**2)
    log_r = mode[:, None] + spread[:, None] * _NODES[None, :]
    log_prior = (-0.5 * ((log_r - centre[:, None]) / sigma) ** 2
                 - math.log(sigma * math.sqrt(2.0 * math.pi)))
    terms = (_LOG_WEIGHTS[None, :] + 0.5 * _NODES[None, :] ** 2 + 0.5 * math.log(2.0 * math.pi)
             + np.log(spread)[:, None] + observed[:, None] * log_r
             - expected[:, None] * np.exp(log_r) + log_prior)
    return log_r, terms


@dataclass(frozen=True)
class HazardCredibility:
    """Fitted spread of sibling cohorts around the reference: log r ~ N(mu + slope s, sigma)."""

    mu: float
    sigma: float
    slope: float

    def ratio(self, observed: float, expected: float, shift: float = 0.0) -> float:
        """Posterior mean hazard ratio of one cohort to the reference curve."""
        log_r, terms = _log_terms(self.mu, self.sigma, self.slope, np.array([observed]),
                                  np.array([expected]), np.array([shift]))
        return float(np.exp(special.logsumexp(terms + log_r) - special.logsumexp(terms)))

    def log_ratio_variance(self, observed: float, expected: float, shift: float = 0.0
                           ) -> float:
        """Posterior variance of log r: how uncertain the cohort's level still is."""
        log_r, terms = _log_terms(self.mu, self.sigma, self.slope, np.array([observed]),
                                  np.array([expected]), np.array([shift]))
        weight = np.exp(terms - special.logsumexp(terms))
        mean = float(np.sum(weight * log_r))
        return float(np.sum(weight * (log_r - mean) ** 2))


def _negative_log_likelihood(x: FloatArray, observed: FloatArray, expected: FloatArray,
                             shift: FloatArray) -> float:
    _, terms = _log_terms(float(x[0]), math.exp(float(x[1])), float(x[2]), observed,
                          expected, shift)
    return -float(special.logsumexp(terms, axis=1).sum())


def fit_hazard_credibility(observed: npt.ArrayLike, expected: npt.ArrayLike,
                           shift: npt.ArrayLike | None = None) -> HazardCredibility | None:
    """Fit mu, sigma (and the slope on `shift`, when given) to sibling cohorts.

    Only siblings with some exposure (E > 0) carry information; with fewer than
    MIN_SIBLINGS of them nothing is estimated (None) and the caller keeps its prior.
    """
    o = np.asarray(observed, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    s = np.zeros_like(e) if shift is None else np.asarray(shift, dtype=np.float64)
    keep = (e > 0) & np.isfinite(e) & np.isfinite(o) & np.isfinite(s)
    if int(keep.sum()) < MIN_SIBLINGS:
        return None
    o, e, s = o[keep], e[keep], s[keep]
    with_slope = shift is not None and float(np.ptp(s)) > 0
    start = np.array([math.log(max(o.sum(), 0.5) / e.sum()), math.log(0.5), 0.0])
    bounds = [MU_RANGE, LOG_SIGMA_RANGE, SLOPE_RANGE if with_slope else (0.0, 0.0)]
    result = optimize.minimize(_negative_log_likelihood, x0=start, args=(o, e, s),
                               method="L-BFGS-B", bounds=bounds)
    if not np.all(np.isfinite(result.x)):
        return None
    return HazardCredibility(mu=float(result.x[0]), sigma=math.exp(float(result.x[1])),
                             slope=float(result.x[2]))
