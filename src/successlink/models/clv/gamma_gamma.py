"""Gamma-Gamma: what a customer's purchases are worth, and the discounted CLV it implies.

BG/NBD forecasts how many purchases; the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and
CLV"; Hardie note 025) forecasts their value. Each transaction value z ~ Gamma(p, nu) and a
customer's nu ~ Gamma(q, gamma), so a customer's observed mean ``monetary_value`` (zbar over x
repeat purchases) is shrunk toward the population mean p * gamma / (q - 1), the more so the
fewer purchases back it. The model assumes spend is independent of purchase frequency; it is
fitted on repeat buyers only (x >= 1, zbar > 0), since x = 0 carries no value information.

Money is in the currency of ``monetary_value``; time in the periods of the BG/NBD fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from successlink.models.clv.bgnbd import BgNbdFit, distinct_rows

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model and the number of repeat buyers it was fitted on."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int

    def population_mean_spend(self) -> float:
        """E[Z] = p * gamma / (q - 1), the mean transaction value; infinite when q <= 1."""
        if self.q <= 1.0:
            return float("inf")
        return self.p * self.gamma / (self.q - 1.0)

    def expected_spend(self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> FloatArray:
        """E[Z | x, zbar]: a credibility-weighted mix of the population mean and zbar (note 025).

        weight on zbar = p x / (p x + q - 1); a customer with x = 0 gets the population mean.
        """
        x, zbar = _as_spend(frequency, monetary_value)
        p, q, g = self.p, self.q, self.gamma
        return np.asarray(p * (g + x * zbar) / (p * x + q - 1.0), dtype=np.float64)


def gamma_gamma_log_likelihood(
    p: float, q: float, gamma: float, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> FloatArray:
    """Per-customer log density of zbar given x (note 025), for repeat buyers (x >= 1, zbar > 0).

    ln f = lnG(px+q) - lnG(px) - lnG(q) + q ln gamma + (px-1) ln zbar + px ln x
           - (px+q) ln(gamma + x zbar).
    """
    x, zbar = _as_spend(frequency, monetary_value)
    if np.any(x < 1) or np.any(zbar <= 0):
        raise ValueError(
            "the Gamma-Gamma likelihood needs repeat buyers: frequency >= 1, value > 0"
        )
    return _log_likelihood(p, q, gamma, x, zbar)


def fit_gamma_gamma(frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood on the repeat buyers among the rows given.

    Rows with frequency 0 (no repeat purchase, so no mean value) are dropped, not rejected, so
    the same RFM table feeds both models. Log-parameters (bounded to |ln| <= 20), L-BFGS-B from a
    fixed start: deterministic. Uses the analytic gradient and fits on the distinct
    (x, zbar) pairs weighted by their counts (exact), as the BG/NBD fit does.
    """
    x, zbar = _as_spend(frequency, monetary_value)
    keep = x > 0
    x, zbar = x[keep], zbar[keep]
    if x.size == 0:
        raise ValueError("cannot fit Gamma-Gamma without repeat buyers (frequency >= 1)")
    if np.any(zbar <= 0):
        raise ValueError("repeat buyers need a mean purchase value > 0")

    n_customers = int(x.size)
    x, zbar, weight = distinct_rows(x, zbar)
    share = weight / float(n_customers)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, g = np.exp(theta)
        ll, grad = _log_likelihood_and_gradient(p, q, g, x, zbar)
        value = -float(np.dot(share, ll))
        if not np.isfinite(value):
            return 1e300, np.zeros(3)
        return value, -(grad @ share) * np.array([p, q, g])

    start = np.log([1.0, 2.0, float(np.dot(share, zbar))])
    best = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-20.0, 20.0)] * 3,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000},
    )
    p, q, g = (float(v) for v in np.exp(best.x))
    log_likelihood = float(np.dot(weight, _log_likelihood(p, q, g, x, zbar)))
    return GammaGammaFit(
        p=p, q=q, gamma=g, log_likelihood=log_likelihood, n_customers=n_customers
    )


def expected_value(
    bgnbd_fit: BgNbdFit,
    gamma_gamma_fit: GammaGammaFit,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,  # noqa: N803
    monetary: npt.ArrayLike,
    *,
    periods: int,
    discount_per_period: float,
) -> FloatArray:
    """Discounted CLV over the next ``periods`` periods of ``bgnbd_fit.period_days`` days each.

    CLV = sum_{i=1..n} (E[Y(i)] - E[Y(i-1)]) * E[Z | x, zbar] / (1 + d)^i: purchases expected in
    period i (conditional BG/NBD) times expected spend, discounted at the end of the period.
    ``discount_per_period`` is the rate per one such period (e.g. weekly when period_days = 7),
    stated by the caller so no month length is assumed here.
    """
    if periods < 0:
        raise ValueError(f"periods must be >= 0, got {periods}")
    if discount_per_period <= -1.0:
        raise ValueError(f"discount_per_period must be > -1, got {discount_per_period}")
    spend = gamma_gamma_fit.expected_spend(frequency, monetary)
    total = np.zeros(np.shape(spend), dtype=np.float64)
    previous = np.zeros_like(total)
    for i in range(1, periods + 1):
        cumulative = bgnbd_fit.expected_purchases(float(i), frequency, recency, T)
        total = total + (cumulative - previous) * spend / (1.0 + discount_per_period) ** i
        previous = cumulative
    return total


def _log_likelihood(p: float, q: float, g: float, x: FloatArray, zbar: FloatArray) -> FloatArray:
    """Note-025 log density on validated repeat-buyer arrays."""
    px = p * x
    return np.asarray(
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(g + x * zbar),
        dtype=np.float64,
    )


def _log_likelihood_and_gradient(
    p: float, q: float, g: float, x: FloatArray, zbar: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Note-025 log density and its gradient in (p, q, gamma), shape (3, n).

    d/dp = x (psi(px+q) - psi(px) + ln zbar + ln x - ln(gamma + x zbar))
    d/dq = psi(px+q) - psi(q) + ln gamma - ln(gamma + x zbar)
    d/dgamma = q/gamma - (px+q)/(gamma + x zbar)
    """
    px = p * x
    psi_sum = special.digamma(px + q)
    log_mix = np.log(g + x * zbar)
    grad = np.stack(
        [
            x * (psi_sum - special.digamma(px) + np.log(zbar) + np.log(x) - log_mix),
            psi_sum - special.digamma(q) + np.log(g) - log_mix,
            q / g - (px + q) / (g + x * zbar),
        ]
    )
    return _log_likelihood(p, q, g, x, zbar), np.asarray(grad, dtype=np.float64)


def _as_spend(
    frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Broadcast and check (x, zbar): whole x >= 0, finite zbar >= 0."""
    x, zbar = np.broadcast_arrays(
        np.asarray(frequency, dtype=np.float64), np.asarray(monetary_value, dtype=np.float64)
    )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(zbar))):
        raise ValueError("frequency and monetary_value must be finite")
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("frequency must be a whole number of repeat purchases >= 0")
    if np.any(zbar < 0):
        raise ValueError("monetary_value must be >= 0")
    return x, zbar
