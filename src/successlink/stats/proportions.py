"""Intervals for proportions and Net Promoter Scores.

A rate from a handful of accounts (2 of 3 renewed) says little; these intervals say how little,
so scorecards can rank on a lower bound instead of on luck. Confidence defaults to 95%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
NpsCategory = Literal["promoter", "passive", "detractor"]
NpsMethod = Literal["adjusted_wald", "wald"]


def z_value(confidence: float) -> float:
    """Two-sided standard-normal quantile for `confidence` (1.95996 for 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson_intervals(
    successes: npt.ArrayLike, n: npt.ArrayLike, *, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score intervals for `successes` of `n`, element-wise (arrays broadcast).

    Wilson rather than the textbook Wald interval because Wald collapses to a zero-width
    interval at 0 or n successes, exactly the small-group cases a ranking must not trust.
    Where n == 0 the interval is (0, 1): the limit of the Wilson formula as n -> 0, and the
    honest statement that the rate could be anything. Counts may be fractional (weights).
    """
    k = np.asarray(successes, dtype=np.float64)
    total = np.asarray(n, dtype=np.float64)
    k, total = np.broadcast_arrays(k, total)
    if np.any(total < 0) or np.any(k < 0) or np.any(k > total):
        raise ValueError("need 0 <= successes <= n for every group")
    z = z_value(confidence)
    low = np.zeros(total.shape, dtype=np.float64)
    high = np.ones(total.shape, dtype=np.float64)
    has = total > 0
    kk, nn = k[has], total[has]
    p = kk / nn
    denominator = 1.0 + z * z / nn
    centre = (p + z * z / (2.0 * nn)) / denominator
    half = z * np.sqrt(p * (1.0 - p) / nn + z * z / (4.0 * nn * nn)) / denominator
    # Exactly, 0 of n has low end 0 and n of n high end 1; floating point misses by 1e-16,
    # enough to exclude the point estimate itself.
    low[has] = np.where(kk == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high[has] = np.where(kk == nn, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def wilson_interval(
    successes: float, n: float, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson score interval for one proportion; (0, 1) when n == 0 (see `wilson_intervals`)."""
    low, high = wilson_intervals(successes, n, confidence=confidence)
    return float(low), float(high)


@dataclass(frozen=True)
class NpsEstimate:
    """An NPS on the -100..100 scale with its interval, the respondent count and the method.

    For the adjusted-Wald method `nps` is the adjusted point estimate (the centre of the
    interval), as Rocks (2016) reports it; it differs from the raw NPS for small n.
    """

    nps: float
    low: float
    high: float
    n: int
    method: NpsMethod


def categorise_nps(score: int) -> NpsCategory:
    """Promoter (9-10), passive (7-8) or detractor (0-6) for one 0-10 answer."""
    if isinstance(score, bool) or not isinstance(score, int | np.integer) or not 0 <= score <= 10:
        raise ValueError(f"an NPS answer is a whole number from 0 to 10, got {score!r}")
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def nps(promoters: int, passives: int, detractors: int) -> float:
    """Net Promoter Score, % promoters minus % detractors; NaN when nobody answered."""
    n = _respondents(promoters, passives, detractors)
    if n == 0:
        return math.nan
    return 100.0 * (promoters - detractors) / n


def nps_interval(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    method: NpsMethod = "adjusted_wald",
    confidence: float = 0.95,
) -> NpsEstimate:
    """NPS with a confidence interval, clipped to [-100, 100].

    NPS is a difference of two proportions from one multinomial sample, so its variance is
    [pP + pD - (pP - pD)^2] / n (Wald). The adjusted-Wald method (Rocks 2016) first adds 3/4
    to promoters and detractors (3 to n), which keeps coverage near nominal for small n and
    for scores near +-100, where plain Wald is too narrow. With no respondents every figure
    is NaN: an interval around nothing would look like information.
    """
    n = _respondents(promoters, passives, detractors)
    if method not in ("adjusted_wald", "wald"):
        raise ValueError(f"method must be 'adjusted_wald' or 'wald', got {method!r}")
    if n == 0:
        return NpsEstimate(math.nan, math.nan, math.nan, 0, method)
    shift = 0.75 if method == "adjusted_wald" else 0.0
    total = n + 4.0 * shift
    p_promoter = (promoters + shift) / total
    p_detractor = (detractors + shift) / total
    score = p_promoter - p_detractor
    variance = (p_promoter + p_detractor - score * score) / total
    half = z_value(confidence) * math.sqrt(max(variance, 0.0))
    return NpsEstimate(
        nps=100.0 * score,
        low=100.0 * max(score - half, -1.0),
        high=100.0 * min(score + half, 1.0),
        n=n,
        method=method,
    )


def _respondents(promoters: int, passives: int, detractors: int) -> int:
    """Total respondents, refusing negative counts (a sign of a join gone wrong upstream)."""
    counts = (promoters, passives, detractors)
    if any(c < 0 for c in counts):
        raise ValueError(f"NPS counts must be >= 0, got {counts}")
    return int(sum(counts))
