"""HubSpot CRM: companies for most accounts, and one to six contacts with buying roles.

Exports use HubSpot's property labels as headers, dates as '2024-03-01 12:00' and buying
roles as HubSpot's internal values (DECISION_MAKER, CHAMPION;END_USER...), some empty.
Contacts are the account's people (see `people.py`), so they are also its product users,
ticket requesters and survey respondents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.synth import catalog, people
from successlink.synth.columns import constant, instants
from successlink.synth.lives import Lives, rank_within
from successlink.synth.periods import DAY
from successlink.synth.strings import as_text, concat, local_minutes
from successlink.synth.world import Accounts, Window

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
COMPANY_ID_BASE = 5_000_000_000
CONTACT_ID_BASE = 200_000_000
COMPANY_HEADER = ("Record ID", "Company name", "Company Domain Name", "Industry",
                  "Number of Employees", "Country/Region", "Lifecycle Stage", "Create Date")
CONTACT_HEADER = ("Record ID", "First Name", "Last Name", "Email", "Job Title", "Buying Role",
                  "Associated Company ID", "Create Date")
STAGES = ("Customer", "Opportunity", "Evangelist", "Other")
STAGE_VALUES = ("customer", "opportunity", "evangelist", "other")
# Canonical role of each ROLE_CHOICES value: the most senior of a multi-valued role.
CANONICAL_ROLES = ("decision_maker", "champion", "influencer", "budget_holder", "end_user",
                   "decision_maker", "champion", "influencer", "other")


def lifecycle_stages(accounts: Accounts, lives: Lives) -> I64:
    """CRM stage per account: lapsed trials are opportunities, churned ones other."""
    last = np.r_[lives.account[1:] != lives.account[:-1], True] if len(lives) else np.zeros(
        0, bool)
    stage = np.zeros(len(accounts), np.int64)
    ended = np.zeros(len(accounts), bool)
    ended[lives.account[last]] = lives.ended_at[last] >= 0
    never_paid = np.zeros(len(accounts), bool)
    never_paid[lives.account[last]] = (lives.mode[last] == 3) & (lives.life[last] == 0)
    stage[accounts.quality > 1.0] = 2
    stage[ended] = 3
    stage[never_paid] = 1
    return stage


@dataclass(frozen=True, slots=True)
class Contacts:
    """CRM contacts of the chunk's companies, by account then position."""

    account: I64
    person: I64
    role: I64  # index into catalog.ROLE_CHOICES
    title: I64  # index into the role's job titles
    created: I64

    def __len__(self) -> int:
        return len(self.account)


def company_created(accounts: Accounts, window: Window, rng: np.random.Generator) -> I64:
    """When each company was created in the CRM: up to three weeks before sign-up."""
    early = accounts.acquired_at - (rng.random(len(accounts)) * 21 * DAY).astype(np.int64)
    return np.maximum(early, window.start)


def draw_contacts(accounts: Accounts, created: I64, window: Window,
                  rng: np.random.Generator) -> Contacts:
    """One to six contacts per CRM company; bigger accounts have more."""
    rows = np.flatnonzero(accounts.in_crm)
    counts = np.clip(1 + rng.poisson(np.log1p(accounts.seats[rows])), 1, 6)
    account = np.repeat(rows, counts)
    person = rank_within(account)
    n = len(account)
    first_weights = catalog.ROLE_WEIGHTS_FIRST / catalog.ROLE_WEIGHTS_FIRST.sum()
    other_weights = catalog.ROLE_WEIGHTS_OTHER / catalog.ROLE_WEIGHTS_OTHER.sum()
    role = np.where(person == 0, rng.choice(len(first_weights), size=n, p=first_weights),
                    rng.choice(len(other_weights), size=n, p=other_weights))
    added = created[account] + (rng.random(n) * 60 * DAY).astype(np.int64)
    added = np.minimum(added, window.horizon - 1)
    return Contacts(account, person, role.astype(np.int64), rng.integers(0, 3, n), added)


def _titles(contacts: Contacts) -> list[str]:
    titles = []
    for role, pick in zip(contacts.role.tolist(), contacts.title.tolist(), strict=True):
        main = catalog.ROLE_CHOICES[role].split(";")[0]
        titles.append(catalog.JOB_TITLES[main][pick])
    return titles


def company_rows(accounts: Accounts, created: I64, stage: I64) -> Iterator[list[Any]]:
    """companies.csv rows of the chunk, by Record ID."""
    rows = np.flatnonzero(accounts.in_crm)
    taken = pa.array(rows)
    names = accounts.names.take(taken).to_pylist()
    domains = accounts.domains.take(taken).to_pylist()
    stamps = local_minutes(created[rows]).to_pylist()
    for i, row in enumerate(rows.tolist()):
        yield [COMPANY_ID_BASE + int(accounts.index[row]), names[i], domains[i],
               catalog.INDUSTRIES[accounts.industry[row]], int(accounts.employees[row]),
               catalog.COUNTRIES[accounts.country[row]][0], STAGES[stage[row]], stamps[i]]


def contact_rows(accounts: Accounts, contacts: Contacts) -> Iterator[list[Any]]:
    """contacts.csv rows of the chunk, by Record ID."""
    index = accounts.index[contacts.account]
    firsts = people.first_names(index, contacts.person).to_pylist()
    lasts = people.last_names(index, contacts.person).to_pylist()
    emails = people.emails(index, contacts.person,
                           accounts.domains.take(pa.array(contacts.account))).to_pylist()
    stamps = local_minutes(contacts.created).to_pylist()
    titles = _titles(contacts)
    ids = (CONTACT_ID_BASE + index * 8 + contacts.person).tolist()
    for i, contact_id in enumerate(ids):
        yield [contact_id, firsts[i], lasts[i], emails[i], titles[i],
               catalog.ROLE_CHOICES[contacts.role[i]], COMPANY_ID_BASE + int(index[i]),
               stamps[i]]


def contact_columns(accounts: Accounts, contacts: Contacts) -> dict[str, Any]:
    """Canonical contacts columns, with the account resolved."""
    index = accounts.index[contacts.account]
    raw = pa.array(list(catalog.ROLE_CHOICES)).take(pa.array(contacts.role))
    return {
        "contact_id": concat("hubspot:", as_text(CONTACT_ID_BASE + index * 8 + contacts.person)),
        "account_id": accounts.ids.take(pa.array(contacts.account)),
        "company_key": as_text(COMPANY_ID_BASE + index),
        "email": people.emails(index, contacts.person,
                               accounts.domains.take(pa.array(contacts.account))),
        "first_name": people.first_names(index, contacts.person),
        "last_name": people.last_names(index, contacts.person),
        "job_title": pa.array(_titles(contacts), pa.string()),
        "role": pa.array(list(CANONICAL_ROLES)).take(pa.array(contacts.role)),
        "role_raw": pc.if_else(pc.equal(raw, ""), None, raw),
        "created_at": instants(contacts.created), "source": constant("hubspot", len(contacts)),
    }
