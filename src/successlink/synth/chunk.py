"""One chunk of accounts with everything that happened to them, drawn from its own streams.

Every part of a chunk draws from its own random stream (`stream(seed, part, chunk)`), so a
world is the same whatever is written from it, and whichever format is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from successlink.synth import crm, lifecycle, support, surveys, usage
from successlink.synth.affiliates import Affiliates
from successlink.synth.billing import Billing, bill
from successlink.synth.lives import Lifecycle
from successlink.synth.world import Accounts, AcquisitionPlan, Window, draw_accounts

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
# Random streams, one per part of the world.
(AFFILIATES, PLAN, ACCOUNTS, LIFECYCLE, BILLING, USAGE, USAGE_SLICE, SEGMENT, SUPPORT, NPS,
 CSAT, CRM) = range(1, 13)


def stream(seed: int, *keys: int) -> np.random.Generator:
    """An independent random stream for (seed, part, chunk...)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *keys])))


@dataclass(frozen=True, slots=True)
class Chunk:
    """A chunk's accounts and their whole history."""

    number: int
    accounts: Accounts
    life: Lifecycle
    billing: Billing
    activity: usage.UsagePlan
    users: usage.Users
    organizations: B
    tickets: support.Tickets
    nps: surveys.Responses
    csat: surveys.Responses
    company_created: I64
    contacts: crm.Contacts
    stage: I64


def build_chunk(number: int, first: int, stop: int, plan: AcquisitionPlan,
                affiliates: Affiliates, customers: int, window: Window, seed: int,
                rate: float) -> Chunk:
    """Accounts first..stop-1 and everything that happens to them."""
    accounts = draw_accounts(plan, first, stop, affiliates, customers, seed,
                             stream(seed, ACCOUNTS, number))
    life = lifecycle.simulate(accounts, window, stream(seed, LIFECYCLE, number))
    billing = bill(accounts, life, window, stream(seed, BILLING, number))
    activity = usage.plan_usage(life.periods, rate, stream(seed, USAGE, number))
    support_rng = stream(seed, SUPPORT, number)
    organizations = support.has_organization(accounts, support_rng)
    tickets = support.draw_tickets(accounts, life.periods, organizations, window, support_rng)
    crm_rng = stream(seed, CRM, number)
    created = crm.company_created(accounts, window, crm_rng)
    return Chunk(
        number=number, accounts=accounts, life=life, billing=billing, activity=activity,
        users=usage.users(life.periods, activity), organizations=organizations,
        tickets=tickets,
        nps=surveys.draw_nps(accounts, life.periods, stream(seed, NPS, number)),
        csat=surveys.draw_csat(tickets, window, stream(seed, CSAT, number)),
        company_created=created,
        contacts=crm.draw_contacts(accounts, created, window, crm_rng),
        stage=crm.lifecycle_stages(accounts, life.lives))


def usage_batches(chunk: Chunk, seed: int) -> Iterator[usage.UsageBatch]:
    """The chunk's usage events, slice by slice (each slice from its own stream)."""
    return usage.batches(chunk.life.periods, chunk.activity,
                         lambda part: stream(seed, USAGE_SLICE, chunk.number, part))
