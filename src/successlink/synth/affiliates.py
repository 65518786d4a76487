"""The affiliate population: latent quality, referral volume, fraud, and who they are.

Quality and volume are independent, as in real programs: some prolific affiliates bring poor
customers and some quiet ones bring excellent customers, which is what a scorecard must see
through. Volume is lognormal, so a few affiliates refer hundreds of accounts and most refer
fewer than ten. A few affiliates are fraudulent (self-referrals, quick refunds, disputes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.synth import catalog
from successlink.synth.periods import DAY

FRAUD_SHARE = 0.015
VOLUME_SIGMA = 1.0
_BUSINESS_WORDS = (" Partners", " Media", " Agency", " Reviews", " Consulting", " Digital")


@dataclass(frozen=True, slots=True)
class Affiliates:
    """All affiliates, index-aligned arrays plus their display attributes."""

    ids: list[str]
    quality: npt.NDArray[np.float64]
    is_fraud: npt.NDArray[np.bool_]
    weight: npt.NDArray[np.float64]  # relative referral volume
    joined_at: npt.NDArray[np.int64]
    names: list[str]
    emails: list[str]
    domains: list[str | None]  # the affiliate's company domain; None for a personal mailbox

    def __len__(self) -> int:
        return len(self.ids)


def draw_affiliates(count: int, start: int, horizon: int,
                    rng: np.random.Generator) -> Affiliates:
    """`count` affiliates who joined between `start` and `horizon` (Unix seconds)."""
    quality = rng.normal(0.0, 1.0, count)
    is_fraud = np.zeros(count, dtype=bool)
    is_fraud[rng.choice(count, size=max(1, round(count * FRAUD_SHARE)), replace=False)] = True
    weight = rng.lognormal(0.0, VOLUME_SIGMA, count)
    early = rng.random(count) < 0.55
    span = horizon - start
    joined = np.where(early, start + rng.random(count) * 21 * DAY,
                      start + rng.random(count) * 0.8 * span).astype(np.int64)
    business = is_fraud | (rng.random(count) < 0.65)
    first = rng.integers(0, len(catalog.FIRST_NAMES), count)
    last = rng.integers(0, len(catalog.LAST_NAMES), count)
    stem = rng.integers(0, len(catalog.NAME_STEMS), count)
    end = rng.integers(0, len(catalog.NAME_ENDS), count)
    word = rng.integers(0, len(_BUSINESS_WORDS), count)
    mailbox = rng.integers(0, len(catalog.FREEMAIL), count)
    ids: list[str] = []
    names: list[str] = []
    emails: list[str] = []
    domains: list[str | None] = []
    for i in range(count):
        ids.append(f"aff_{i + 1:05d}")
        person = f"{catalog.FIRST_NAMES[first[i]]} {catalog.LAST_NAMES[last[i]]}"
        if business[i]:
            brand = catalog.NAME_STEMS[stem[i]] + catalog.NAME_ENDS[end[i]]
            domain = f"{brand}-partners{i + 1}.com"
            names.append(brand.capitalize() + _BUSINESS_WORDS[word[i]])
            emails.append(f"partners@{domain}")
            domains.append(domain)
        else:
            names.append(person)
            emails.append(f"{person.lower().replace(' ', '.')}{i + 1}@"
                          f"{catalog.FREEMAIL[mailbox[i]]}")
            domains.append(None)
    return Affiliates(ids, quality, is_fraud, weight, joined, names, emails, domains)


def affiliate_status(referred: npt.NDArray[np.int64]) -> list[str]:
    """Program status: active once they have referred anyone, pending before."""
    return ["active" if n > 0 else "pending" for n in referred]


def affiliate_tier(referred: npt.NDArray[np.int64]) -> list[str]:
    """Program tier by referral volume over the window."""
    return ["gold" if n >= 50 else "silver" if n >= 10 else "standard" for n in referred]
