"""Onboarding milestones: what in an account's first days separates those who stay.

A milestone is something an account did or did not do in its first N days: used a given
feature, had k or more people active, was active on k or more days. For each, the accounts
that reached it and those that did not are compared on retention over the following
months. The difference gets Newcombe's hybrid score interval (method 10 of Newcombe 1998,
built from the two Wilson intervals), and milestones are ranked by the interval's lower
end, so a big difference seen on ten accounts does not outrank a solid one seen on a
thousand. These are associations, not proof that coaching the milestone causes retention;
the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.models.drivers.deciles import Rate, rates

Bools = npt.NDArray[np.bool_]

# Thresholds tried for the count milestones ("k or more in the first N days").
USER_STEPS = (2, 3, 5, 10)
DAY_STEPS = (2, 3, 5, 10, 15, 20)
FEATURE_STEPS = (2, 3, 5, 8)


@dataclass(frozen=True)
class Milestone:
    """A yes/no fact about an account's first days."""

    key: str
    label: str


@dataclass(frozen=True)
class MilestoneEffect:
    """Retention of accounts that reached a milestone against those that did not."""

    milestone: Milestone
    reached: Rate       # retained among accounts that reached it
    not_reached: Rate   # retained among the others
    difference: float
    low: float
    high: float

    @property
    def reach_share(self) -> float:
        total = self.reached.accounts + self.not_reached.accounts
        return self.reached.accounts / total if total else math.nan


def difference_interval(a: Rate, b: Rate) -> tuple[float, float, float]:
    """a.rate - b.rate with Newcombe's hybrid score interval (NaN if either is empty)."""
    if a.accounts == 0 or b.accounts == 0:
        return math.nan, math.nan, math.nan
    d = a.rate - b.rate
    low = d - math.sqrt((a.rate - a.low) ** 2 + (b.high - b.rate) ** 2)
    high = d + math.sqrt((a.high - a.rate) ** 2 + (b.rate - b.low) ** 2)
    return d, max(low, -1.0), min(high, 1.0)


def effect(milestone: Milestone, reached: npt.ArrayLike, retained: npt.ArrayLike, *,
           confidence: float = 0.95) -> MilestoneEffect:
    """Compare retention with and without the milestone."""
    r = np.asarray(reached, dtype=bool)
    k = np.asarray(retained, dtype=bool)
    yes, no = rates([int((k & r).sum()), int((k & ~r).sum())],
                    [int(r.sum()), int((~r).sum())], confidence=confidence)
    d, low, high = difference_interval(yes, no)
    return MilestoneEffect(milestone, yes, no, d, low, high)


def candidates(counts: Mapping[str, npt.ArrayLike], features: Mapping[str, Bools], *,
               days: int, min_share: float = 0.05) -> list[tuple[Milestone, Bools]]:
    """Milestones worth testing: reached by at least `min_share` and missed by as many.

    `counts` holds onboarding_users, onboarding_active_days and onboarding_features per
    account; `features` maps a feature name to whether each account used it.
    """
    out: list[tuple[Milestone, Bools]] = []
    steps = {"onboarding_users": (USER_STEPS, "{k} or more people active"),
             "onboarding_active_days": (tuple(s for s in DAY_STEPS if s <= days),
                                        "active on {k} or more days"),
             "onboarding_features": (FEATURE_STEPS, "used {k} or more features")}
    for column, (ks, text) in steps.items():
        if column not in counts:
            continue
        values = np.asarray(counts[column], dtype=np.float64)
        for k in ks:
            out.append((Milestone(f"{column}>={k}",
                                  f"{text.format(k=k)} in the first {days} days"),
                        values >= k))
    for name in sorted(features):
        out.append((Milestone(f"feature:{name}", f"used {name} in the first {days} days"),
                    np.asarray(features[name], dtype=bool)))
    return [(m, r) for m, r in out if r.size and min_share <= r.mean() <= 1.0 - min_share]


def rank_milestones(found: Sequence[tuple[Milestone, Bools]], retained: npt.ArrayLike, *,
                    confidence: float = 0.95) -> list[MilestoneEffect]:
    """Effects, strongest reliable separator first (by the lower end of the difference)."""
    effects = [effect(m, r, retained, confidence=confidence) for m, r in found]
    return sorted(effects, key=lambda e: (-(e.low if not math.isnan(e.low) else -2.0),
                                          e.milestone.key))
