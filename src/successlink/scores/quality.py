"""One quality score per source, robust to luck: shrink every component, then combine.

Each component (retention, value, health, NPS, expansion, support) is estimated per source
with empirical-Bayes shrinkage toward the program mean, so a source with three accounts
keeps most of the program's value and cannot top the board by chance. Components are put on
a common scale (z-scores across sources), weighted, and mapped to 0-100 with the normal CDF.
The same combination of the raw (unshrunk) estimates is kept beside it, to show what
shrinkage changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from successlink.scores.cohorts import Accounts, F, Groups
from successlink.stats.shrinkage import shrink_means, shrink_rates

RETENTION_DAYS = 180
# A forecast of a young account's retention counts as this much of an observed account: it
# lets a young book show its promise without letting forecasts outvote what was seen.
FORECAST_WEIGHT = 0.5
MONTH_DAYS = 30.4375
_Z90 = float(sps.norm.ppf(0.95))


@dataclass(frozen=True, eq=False)
class Component:
    """One component per group: raw and shrunk estimates, posterior sd, better = +1 or -1."""

    name: str
    raw: F
    shrunk: F
    sd: F
    direction: float
    n: F  # observations behind each group's raw estimate


@dataclass(frozen=True, eq=False)
class Quality:
    """Quality per group: shrunk score with its 90% interval, and the raw score."""

    score: F
    low: F
    high: F
    raw: F
    components: tuple[Component, ...]


def _rate(name: str, k: F, n: F, direction: float = 1.0) -> Component:
    shrunk = shrink_rates(k, n, confidence=0.9)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(n > 0, k / n, np.nan)
    post_a, post_b = k + shrunk.alpha, n - k + shrunk.beta
    sd = np.sqrt(post_a * post_b / ((post_a + post_b) ** 2 * (post_a + post_b + 1)))
    return Component(name, raw, shrunk.mean, sd, direction, n)


def _mean(name: str, groups: Groups, values: F, mask: np.ndarray | None,
          direction: float = 1.0) -> Component:
    mean, se, n = groups.mean_and_se(values, mask)
    has = n > 0
    if not np.any(has):
        nan = np.full(groups.ids.size, np.nan)
        return Component(name, nan, nan, nan, direction, n)
    # Standard errors from the pooled within-group spread: a small group's own spread is as
    # noisy as its mean (and zero for a group of one or of identical values).
    within = se * np.sqrt(n)
    dof = np.maximum(n - 1, 0)
    pooled = float(np.sqrt(np.sum(dof * np.nan_to_num(within) ** 2) / max(dof.sum(), 1)))
    if pooled == 0:
        pooled = float(np.nanstd(values[np.isfinite(values)])) or 1.0
    se = pooled / np.sqrt(np.maximum(n, 1))
    shrunk = shrink_means(np.where(has, mean, 0.0), np.where(has, se, np.inf))
    fill = shrunk.grand_mean
    return Component(name, np.where(has, mean, np.nan), np.where(has, shrunk.mean, fill),
                     np.where(has, shrunk.sd, np.sqrt(max(shrunk.tau2, 0.0))), direction, n)


def components(accounts: Accounts, groups: Groups) -> tuple[Component, ...]:
    """The six components for every group of `accounts`."""
    life = accounts.lifetime_days()
    eligible = (accounts.cutoff - accounts.started) / np.timedelta64(1, "D") >= RETENTION_DAYS
    survived = eligible & (life >= RETENTION_DAYS)
    months = np.maximum(np.nan_to_num(accounts.tenure_days) / MONTH_DAYS, 1.0)
    monthly_value = np.log1p(np.maximum(accounts.revenue_net, 0.0) / months)
    nps_points = np.select([accounts.nps_category == "promoter",
                            accounts.nps_category == "detractor",
                            accounts.nps_category == "passive"], [100.0, -100.0, 0.0], np.nan)
    health = np.where(accounts.active, accounts.health_score, np.nan)
    kept, judged = groups.count(survived), groups.count(eligible)
    if accounts.predicted_retention is not None:
        p = accounts.predicted_retention
        young = ~eligible & accounts.active & np.isfinite(p)
        kept = kept + FORECAST_WEIGHT * groups.total(np.where(young, p, 0.0))
        judged = judged + FORECAST_WEIGHT * groups.count(young)
    return (
        _rate("retention", kept, judged),
        _mean("value", groups, monthly_value, None),
        _mean("health", groups, health, None),
        _mean("nps", groups, nps_points, None),
        _rate("expansion", groups.count(accounts.expanded), groups.count()),
        _mean("support", groups, accounts.tickets_total / months, None, direction=-1.0),
    )


def _spread(values: F) -> float:
    """Standard deviation of the finite values (0 when fewer than two)."""
    finite = values[np.isfinite(values)]
    return float(np.std(finite)) if finite.size > 1 else 0.0


def _scale(part: Component) -> float:
    """How much the component differs between sources: the spread of the raw estimates of
    the better-measured half. Their spread includes sampling noise, so a component on which
    sources truly do not differ gets small z-scores rather than amplified noise."""
    floor = max(10.0, float(np.median(part.n))) if part.n.size else 10.0
    solid = part.raw[(part.n >= floor) & np.isfinite(part.raw)]
    return (_spread(solid) if solid.size > 1 else 0.0) or _spread(part.raw) or 1.0


def combine(parts: tuple[Component, ...], weights: Mapping[str, float]) -> Quality:
    """Weighted z-scores of the shrunk components, mapped to 0-100; raw alongside."""
    size = parts[0].shrunk.size if parts else 0
    index, raw_index, variance = np.zeros(size), np.zeros(size), np.zeros(size)
    # A component on which every source looks the same tells them apart no better than noise.
    used = [p for p in parts if weights.get(p.name, 0) > 0 and _spread(p.raw) > 0
            and _spread(p.shrunk) > 0]
    total = sum(weights[p.name] for p in used) or 1.0
    for part in used:
        w = weights[part.name] / total
        centre = float(np.nanmean(part.shrunk))
        scale = _scale(part)
        shrunk = np.nan_to_num(part.shrunk, nan=centre)
        index = index + w * part.direction * (shrunk - centre) / scale
        raw = np.nan_to_num(part.raw, nan=centre)
        raw_index = raw_index + w * part.direction * (raw - centre) / scale
        variance = variance + (w * np.nan_to_num(part.sd) / scale) ** 2
    spread = _spread(index) or 1.0
    sd = np.sqrt(variance)

    def to_score(x: F) -> F:
        return np.asarray(100.0 * sps.norm.cdf(x / spread), dtype=np.float64)

    return Quality(score=to_score(index), low=to_score(index - _Z90 * sd),
                   high=to_score(index + _Z90 * sd), raw=to_score(raw_index), components=parts)


def suggest_tier(score: F, low: F, accounts: F, early_refund_share: F, *,
                 tiers: Mapping[str, float], min_accounts: int,
                 review_share: float) -> tuple[list[str], list[str]]:
    """A tier per group and the reason, in words.

    Tiers go by the lower end of the 90% interval: a source earns a tier when we are fairly
    sure it is at least that good, so three lucky accounts do not make a platinum affiliate.
    """
    ladder = sorted(tiers.items(), key=lambda kv: -kv[1])
    names, reasons = [], []
    for s, lo, n, refund in zip(score, low, accounts, early_refund_share, strict=True):
        if refund >= review_share and n >= 2:
            names.append("review")
            reasons.append(f"{refund:.0%} of referred accounts refunded or disputed and left "
                           "early: review for fraud before paying")
        elif n < min_accounts:
            names.append("new")
            reasons.append(f"only {int(n)} referred account(s): too few to judge")
        else:
            tier = next((t for t, floor in ladder if lo >= floor), ladder[-1][0])
            names.append(tier)
            reasons.append(f"quality {s:.0f}/100 (90% sure above {lo:.0f}) over {int(n)} "
                           "referred accounts")
    return names, reasons
