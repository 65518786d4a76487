"""The latent world: who is acquired when, through which channel or affiliate, and what they buy.

Acquisition is planned for every account at once (a few numbers each, so even a million
accounts fit easily), which fixes each affiliate's referral count before any chunk is built.
Everything else about an account is drawn chunk by chunk from the chunk's own random stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.synth import catalog, people
from successlink.synth.affiliates import Affiliates
from successlink.synth.periods import DAY
from successlink.synth.strings import as_text, concat, numbered, pick, stripe_ids

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
GROWTH = 1.5  # the acquisition rate at the end of the window is 1 + GROWTH times the start's
FRAUD_REFERRAL_SHARE = 0.75  # of a fraudulent affiliate's referrals
SELF_REFERRAL_SHARE = 0.5  # of fraudulent referrals
ACCOUNTS_PER_CSM = 400


@dataclass(frozen=True, slots=True)
class Window:
    """The world's time span in Unix seconds: [start, horizon)."""

    start: int
    horizon: int  # 00:00 UTC of the day after `end`: every instant is before it

    @property
    def span(self) -> int:
        return self.horizon - self.start


@dataclass(frozen=True, slots=True)
class AcquisitionPlan:
    """Channel, affiliate and time of every account, ordered by acquisition time."""

    channel: I64
    affiliate: I64  # index into Affiliates, -1 when not referred
    acquired_at: I64
    fraud: B  # referred by a fraudulent affiliate as part of the fraud
    self_referral: B  # ...and with the affiliate's own e-mail domain

    def __len__(self) -> int:
        return len(self.channel)


def plan_acquisitions(customers: int, affiliates: Affiliates, window: Window,
                      rng: np.random.Generator) -> AcquisitionPlan:
    """When and how each of `customers` accounts is acquired (growing over the window)."""
    channel = rng.choice(len(catalog.CHANNELS), size=customers, p=catalog.CHANNEL_SHARES)
    u = rng.random(customers)
    share = (-1 + np.sqrt(1 + 2 * GROWTH * u * (1 + GROWTH / 2))) / GROWTH
    last = window.span - DAY  # at least a day of history for every account
    acquired = window.start + (share * last).astype(np.int64)
    referred = channel == catalog.AFFILIATE_CHANNEL
    weights = affiliates.weight / affiliates.weight.sum()
    affiliate = np.where(referred, rng.choice(len(affiliates), size=customers, p=weights), -1)
    joined = np.where(referred, affiliates.joined_at[np.maximum(affiliate, 0)], window.start)
    early = acquired < joined
    acquired = np.where(early, joined + (rng.random(customers) * (window.start + last - joined))
                        .astype(np.int64), acquired)
    fraud = referred & affiliates.is_fraud[np.maximum(affiliate, 0)] & (
        rng.random(customers) < FRAUD_REFERRAL_SHARE)
    self_referral = fraud & (rng.random(customers) < SELF_REFERRAL_SHARE)
    order = np.argsort(acquired, kind="stable")
    return AcquisitionPlan(channel[order].astype(np.int64), affiliate[order].astype(np.int64),
                           acquired[order], fraud[order], self_referral[order])


@dataclass(frozen=True, slots=True)
class Accounts:
    """One chunk of accounts: latent traits, what they bought first, and who they are."""

    index: I64  # global account number: acct_0000042 is index 42
    ids: pa.Array
    customer_ids: pa.Array  # Stripe cus_...
    channel: I64
    affiliate: I64
    acquired_at: I64
    fraud: B
    self_referral: B
    quality: F64
    tier: I64
    seats: I64
    annual: B
    eur: B
    trial: B
    converts: B  # a trial that turns into a paid subscription
    basil: B  # Stripe API shape 2025-03-31.basil (else 2020-08-27)
    country: I64
    industry: I64
    employees: I64
    names: pa.Array
    domains: pa.Array
    billing_emails: pa.Array
    in_crm: B
    csm: I64
    campaign: pa.Array

    def __len__(self) -> int:
        return len(self.index)


def draw_accounts(plan: AcquisitionPlan, first: int, stop: int, affiliates: Affiliates,
                  customers: int, seed: int, rng: np.random.Generator) -> Accounts:
    """Accounts `first`..`stop`-1 of the plan, with their latent traits drawn from `rng`."""
    index = np.arange(first, stop, dtype=np.int64)
    n = len(index)
    channel, affiliate = plan.channel[first:stop], plan.affiliate[first:stop]
    fraud = plan.fraud[first:stop]
    base = np.where(affiliate >= 0, 0.9 * affiliates.quality[np.maximum(affiliate, 0)],
                    catalog.CHANNEL_QUALITY[channel])
    quality = base + rng.normal(0.0, 0.6, n)
    tier = _tiers(quality, fraud, rng)
    seats = np.clip(np.rint(rng.lognormal(np.log(catalog.TIER_MEDIAN_SEATS[tier])
                                          + 0.15 * quality, 0.55)), 1, catalog.MAX_SEATS)
    annual = ~fraud & (rng.random(n) < 1 / (1 + np.exp(1.3 - 0.5 * quality)))
    trial = ~fraud & (rng.random(n) < 0.55)
    converts = rng.random(n) < 1 / (1 + np.exp(-(1.2 + 0.8 * quality)))
    country = rng.choice(len(catalog.COUNTRIES), size=n, p=catalog.COUNTRY_WEIGHTS)
    names, domains = _companies(index, rng)
    employees = np.clip(seats + np.rint(seats * rng.lognormal(2.0, 0.7, n)), 1, 200_000)
    in_crm = rng.random(n) < np.where(fraud, 0.4, 0.92)
    return Accounts(
        index=index, ids=numbered("acct_", index, 7),
        customer_ids=stripe_ids("cus", index, seed), channel=channel, affiliate=affiliate,
        acquired_at=plan.acquired_at[first:stop], fraud=fraud,
        self_referral=plan.self_referral[first:stop], quality=quality, tier=tier,
        seats=seats.astype(np.int64), annual=annual, eur=catalog.COUNTRY_EUR[country],
        trial=trial, converts=converts | ~trial, basil=rng.random(n) < 0.5,
        country=country.astype(np.int64),
        industry=rng.integers(0, len(catalog.INDUSTRIES), n),
        employees=employees.astype(np.int64), names=names, domains=domains,
        billing_emails=_billing_emails(index, domains, plan.self_referral[first:stop],
                                       affiliate, affiliates, rng),
        in_crm=in_crm, csm=rng.integers(0, csm_count(customers), n),
        campaign=_campaigns(channel, rng))


def csm_count(customers: int) -> int:
    """How many CSMs the company employs for a book of `customers` accounts."""
    return max(2, -(-customers // ACCOUNTS_PER_CSM))


def _tiers(quality: F64, fraud: B, rng: np.random.Generator) -> I64:
    """Initial plan: better accounts buy larger plans; fraud buys the cheap ones."""
    logits = catalog.TIER_LOGITS + quality[:, None] * catalog.TIER_QUALITY_SLOPE
    logits[fraud, 2:] = -np.inf
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(quality))[:, None]
    tier: I64 = np.minimum((cumulative < u).sum(axis=1), len(catalog.TIERS) - 1)
    return tier.astype(np.int64)


def _companies(index: I64, rng: np.random.Generator) -> tuple[pa.Array, pa.Array]:
    """Company names and unique web domains (the account number keeps domains apart)."""
    n = len(index)
    stem = pick(catalog.NAME_STEMS, rng.integers(0, len(catalog.NAME_STEMS), n))
    end = pick(catalog.NAME_ENDS, rng.integers(0, len(catalog.NAME_ENDS), n))
    suffix = pick(catalog.NAME_SUFFIXES, rng.integers(0, len(catalog.NAME_SUFFIXES), n))
    tld = pick(catalog.TLDS, rng.integers(0, len(catalog.TLDS), n))
    brand = concat(stem, end)
    capital = concat(pc.utf8_upper(pc.utf8_slice_codeunits(brand, 0, 1)),
                     pc.utf8_slice_codeunits(brand, 1))
    return concat(capital, suffix), concat(brand, "-", as_text(index), ".", tld)


def _billing_emails(index: I64, domains: pa.Array, self_referral: B, affiliate: I64,
                    affiliates: Affiliates, rng: np.random.Generator) -> pa.Array:
    """Who receives invoices: a shared mailbox or the first contact; fraud uses its own domain."""
    n = len(index)
    zero = np.zeros(n, dtype=np.int64)
    person = people.emails(index, zero, domains)
    kind = rng.random(n)
    shared = pc.if_else(pa.array(kind < 0.45), concat("billing@", domains),
                        concat("finance@", domains))
    chosen = pc.if_else(pa.array(kind < 0.55), shared, person)
    own = [affiliates.domains[a] or "" for a in affiliate.tolist()]
    local = pc.utf8_lower(concat(people.first_names(index, zero), ".",
                                 people.last_names(index, zero)))
    fraudulent = concat(local, "@", pa.array(own, pa.string()))
    return pc.if_else(pa.array(self_referral), fraudulent, chosen)


def _campaigns(channel: I64, rng: np.random.Generator) -> pa.Array:
    """A campaign name per account from its channel's campaigns (empty for direct)."""
    options = [catalog.CAMPAIGNS[c] for c in range(len(catalog.CHANNELS))]
    flat = [name for names in options for name in names]
    starts = np.cumsum([0] + [len(o) for o in options])[:-1]
    sizes = np.array([len(o) for o in options])
    choice = starts[channel] + (rng.random(len(channel)) * sizes[channel]).astype(np.int64)
    return pick(flat, choice)
