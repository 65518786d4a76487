"""Empirical-Bayes shrinkage, so a small group cannot top a ranking on luck.

An affiliate with 2 referred accounts and no churn has a raw churn rate of 0%; one with 200
accounts and 12% churn is almost certainly better. Shrinkage pulls each group's estimate
towards what all groups together suggest, by as much as the group's own data are noisy:
small groups move a lot, large groups hardly at all. The prior is fitted to the groups
themselves (empirical Bayes), so there is nothing to tune.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

FloatArray = npt.NDArray[np.float64]
PriorMethod = Literal["maximum_likelihood", "moments", "jeffreys"]

# The prior's weight a + b never drops below that of Jeffreys' Beta(1/2, 1/2): a weaker prior
# piles its mass at 0 and 1, and posteriors of groups at 0 or n collapse to a point.
_MIN_CONCENTRATION = 1.0


@dataclass(frozen=True, eq=False)
class ShrunkRates:
    """Beta(alpha, beta) prior fitted to all groups, and each group's posterior.

    `mean` is (k + alpha) / (n + alpha + beta); `low`/`high` bound the equal-tailed credible
    interval at `confidence`. `method` says how the prior was found.
    """

    alpha: float
    beta: float
    method: PriorMethod
    confidence: float
    mean: FloatArray
    low: FloatArray
    high: FloatArray

    @property
    def prior_mean(self) -> float:
        """The rate a group with no trials is given: alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)


@dataclass(frozen=True, eq=False)
class ShrunkMeans:
    """Normal-normal shrinkage: grand mean, between-group variance tau^2 and posteriors.

    `weight` is the share of each posterior mean that comes from the group's own mean,
    tau^2 / (tau^2 + se^2); `sd` is the posterior standard deviation.
    """

    grand_mean: float
    tau2: float
    weight: FloatArray
    mean: FloatArray
    sd: FloatArray

    def interval(self, confidence: float = 0.9) -> tuple[FloatArray, FloatArray]:
        """Equal-tailed normal credible interval for every group."""
        z = float(stats.norm.ppf(0.5 + confidence / 2.0))
        return self.mean - z * self.sd, self.mean + z * self.sd


def shrink_rates(
    successes: npt.ArrayLike, trials: npt.ArrayLike, *, confidence: float = 0.9
) -> ShrunkRates:
    """Shrink k-of-n rates (e.g. churned within 180 days) with a beta-binomial prior.

    The prior is fitted by maximum likelihood on the beta-binomial likelihood of all groups
    with n > 0, starting from (and falling back to) the method of moments. Guards:
    * fewer than two groups with trials: nothing to learn between groups, so the Jeffreys
      prior Beta(1/2, 1/2) is used and each group keeps (almost) its raw rate;
    * groups that vary no more than chance allows (e.g. all identical) push the prior's
      weight alpha + beta towards infinity; it is capped at the total number of trials,
      because a prior estimated from N trials cannot be surer than N trials;
    * alpha + beta is kept at 1 or more (no prior vaguer than Jeffreys'), and the prior mean
      within 1/(2(N + 1)) of 0 or 1, so intervals never collapse to a point; when no group
      has a success (or none a failure) maximum likelihood has no answer and the method of
      moments is used;
    * a group with n = 0 gets the prior mean and the prior's interval.
    """
    k, n = _checked_counts(successes, trials)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    alpha, beta, method = _fit_beta_prior(k[n > 0], n[n > 0])
    post_a, post_b = k + alpha, n - k + beta
    tail = (1.0 - confidence) / 2.0
    return ShrunkRates(
        alpha=alpha,
        beta=beta,
        method=method,
        confidence=confidence,
        mean=post_a / (post_a + post_b),
        low=np.asarray(stats.beta.ppf(tail, post_a, post_b), dtype=np.float64),
        high=np.asarray(stats.beta.ppf(1.0 - tail, post_a, post_b), dtype=np.float64),
    )


def _checked_counts(
    successes: npt.ArrayLike, trials: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Successes and trials as 1-d float arrays of one length with 0 <= k <= n."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if k.ndim != 1 or k.shape != n.shape:
        raise ValueError(f"successes {k.shape} and trials {n.shape} must be 1-d and of one length")
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(n))):
        raise ValueError("successes and trials must be finite")
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= successes <= trials for every group")
    return k, n


def _fit_beta_prior(k: FloatArray, n: FloatArray) -> tuple[float, float, PriorMethod]:
    """Beta prior (alpha, beta) from groups that all have n > 0, and how it was found."""
    if k.size < 2:
        return 0.5, 0.5, "jeffreys"
    total = float(n.sum())
    mean_bounds = (0.5 / (total + 1.0), 1.0 - 0.5 / (total + 1.0))
    weight_bounds = (_MIN_CONCENTRATION, max(total, _MIN_CONCENTRATION))
    start_mean, start_weight = _beta_moments(k, n, mean_bounds, weight_bounds)
    if k.sum() == 0 or k.sum() == total:
        # No success (or no failure) anywhere: the likelihood is flat in a + b as the mean
        # goes to 0 (or 1), so maximum likelihood has no answer; moments give the capped one.
        return start_mean * start_weight, (1.0 - start_mean) * start_weight, "moments"
    bounds = [(special.logit(mean_bounds[0]), special.logit(mean_bounds[1])),
              (math.log(weight_bounds[0]), math.log(weight_bounds[1]))]
    result = optimize.minimize(
        _beta_binomial_nll, x0=[special.logit(start_mean), math.log(start_weight)],
        args=(k, n), method="L-BFGS-B", bounds=bounds,
    )
    if not result.success or not np.all(np.isfinite(result.x)):
        return start_mean * start_weight, (1.0 - start_mean) * start_weight, "moments"
    fitted_mean, fitted_weight = float(special.expit(result.x[0])), math.exp(result.x[1])
    return fitted_mean * fitted_weight, (1.0 - fitted_mean) * fitted_weight, "maximum_likelihood"


def _beta_binomial_nll(params: FloatArray, k: FloatArray, n: FloatArray) -> float:
    """Negative beta-binomial log-likelihood in (logit mean, log weight), up to a constant."""
    mean, weight = special.expit(params[0]), math.exp(params[1])
    a, b = mean * weight, (1.0 - mean) * weight
    return -float(np.sum(special.betaln(k + a, n - k + b) - special.betaln(a, b)))


def _beta_moments(
    k: FloatArray,
    n: FloatArray,
    mean_bounds: tuple[float, float],
    weight_bounds: tuple[float, float],
) -> tuple[float, float]:
    """Prior mean and weight a + b by the method of moments, clipped to the allowed ranges.

    The spread of raw rates, weighted by n, is binomial noise plus between-group variance
    sigma^2 = mu (1 - mu) / (a + b + 1); subtracting the noise leaves sigma^2.
    """
    total, groups = float(n.sum()), k.size
    mean = float(np.clip(k.sum() / total, *mean_bounds))
    spread = float(np.sum(n * (k / n - mean) ** 2))
    noise = (groups - 1) * mean * (1.0 - mean)
    denominator = total - float(np.sum(n * n)) / total
    between = (spread - noise) / denominator if denominator > 0 else 0.0
    weight = mean * (1.0 - mean) / between - 1.0 if between > 0 else math.inf
    return mean, float(np.clip(weight, *weight_bounds))


def shrink_means(means: npt.ArrayLike, standard_errors: npt.ArrayLike) -> ShrunkMeans:
    """Shrink group means with known standard errors towards their precision-weighted mean.

    Normal-normal model: true group means ~ N(mu, tau^2), observed mean ~ N(true, se^2), with
    tau^2 by DerSimonian-Laird moments (never negative; 0 means the groups differ no more than
    their noise, and all are pulled fully to mu). Posterior mean is w * mean + (1 - w) * mu
    with w = tau^2 / (tau^2 + se^2); posterior variance w * se^2 plus (1 - w)^2 var(mu).
    Groups whose se is NaN, infinite or 0 are not used to estimate mu and tau^2 and get
    w = 0 (the grand mean, sd sqrt(tau^2 + var(mu))). A single account, or a few identical
    values, give no usable se; a zero se is nearly always such a tiny group, and trusting it
    would put it at the top of every ranking. Pass a pooled sd / sqrt(n) for them instead
    if one is available. With fewer than two usable groups nothing is shrunk: usable groups
    keep their mean and se, the others get NaN.
    """
    y = np.asarray(means, dtype=np.float64)
    se = np.asarray(standard_errors, dtype=np.float64)
    if y.ndim != 1 or y.shape != se.shape:
        raise ValueError(f"means {y.shape} and standard_errors {se.shape} must be 1-d "
                         "and of one length")
    if np.any(se < 0):
        raise ValueError("standard errors must be >= 0")
    usable = np.isfinite(y) & np.isfinite(se) & (se > 0)
    if np.count_nonzero(usable) < 2:
        return _unshrunk(y, se, usable)
    tau2 = _dersimonian_laird_tau2(y[usable], se[usable])
    precision = 1.0 / (se[usable] ** 2 + tau2)
    grand_mean = float(np.sum(precision * y[usable]) / np.sum(precision))
    grand_variance = 1.0 / float(np.sum(precision))
    se2 = np.where(usable, se, 1.0) ** 2  # placeholder 1.0 where unusable, never read there
    weight = np.where(usable, tau2 / (tau2 + se2), 0.0)
    own = np.where(usable, weight * se2, tau2)  # posterior variance given mu and tau^2
    return ShrunkMeans(
        grand_mean=grand_mean,
        tau2=tau2,
        weight=weight,
        mean=np.where(usable, weight * y + (1.0 - weight) * grand_mean, grand_mean),
        sd=np.sqrt(own + (1.0 - weight) ** 2 * grand_variance),
    )


def _dersimonian_laird_tau2(y: FloatArray, se: FloatArray) -> float:
    """Between-group variance by DerSimonian & Laird (1986) moments, truncated at 0."""
    w = 1.0 / se**2
    fixed_mean = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fixed_mean) ** 2))
    scale = float(np.sum(w) - np.sum(w * w) / np.sum(w))
    return max(0.0, (q - (y.size - 1)) / scale) if scale > 0 else 0.0


def _unshrunk(y: FloatArray, se: FloatArray, usable: npt.NDArray[np.bool_]) -> ShrunkMeans:
    """Fewer than two usable groups: no between-group variance to estimate, no shrinkage."""
    grand_mean = float(y[usable][0]) if usable.any() else math.nan
    return ShrunkMeans(
        grand_mean=grand_mean,
        tau2=math.nan,
        weight=np.where(usable, 1.0, math.nan),
        mean=np.where(usable, y, math.nan),
        sd=np.where(usable, se, math.nan),
    )
