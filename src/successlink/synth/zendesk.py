"""Zendesk Support exports: the Incremental Ticket Export document and organizations.

Tickets follow the incremental export (`{"tickets": [...], "users": [...], "end_time": ...,
"end_of_stream": true}`) with the requesters side-loaded as users, sorted by update time;
`solved_at` sits at the top level of each ticket, where a metric-set export puts it.
Organizations carry the account id as `external_id` and the company domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from successlink.synth import catalog, people
from successlink.synth.columns import constant, instants
from successlink.synth.strings import as_text, concat, iso_z, pick
from successlink.synth.support import (
    ORGANIZATION_ID_BASE,
    RATINGS,
    REQUESTER_ID_BASE,
    STATUSES,
    TICKET_ID_BASE,
    Tickets,
)
from successlink.synth.world import Accounts

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
HOST = "https://successlink-synthetic.zendesk.com/api/v2"
_AGENTS = 12
_EMAIL_CHANNELS = {"email", "web"}


def ticket_ids(accounts: Accounts, tickets: Tickets) -> I64:
    """Zendesk ticket ids: unique per account and ticket number."""
    ids: I64 = TICKET_ID_BASE + accounts.index[tickets.account] * 1000 + tickets.number
    return ids


def requester_emails(accounts: Accounts, tickets: Tickets) -> pa.Array:
    """The e-mail of each ticket's requester."""
    index = accounts.index[tickets.account]
    return people.emails(index, tickets.person, accounts.domains.take(pa.array(tickets.account)))


def _iso_or_none(seconds: I64) -> list[str | None]:
    text = iso_z(np.maximum(seconds, 0)).to_pylist()
    return [t if s >= 0 else None for t, s in zip(text, seconds.tolist(), strict=True)]


def ticket_lines(accounts: Accounts, tickets: Tickets) -> Iterator[tuple[bytes, bytes]]:
    """(sort key, JSON) of every ticket, keyed by update time then id."""
    ids = ticket_ids(accounts, tickets).tolist()
    emails = requester_emails(accounts, tickets).to_pylist()
    index = accounts.index[tickets.account]
    names = people.full_names(index, tickets.person).to_pylist()
    requester = (REQUESTER_ID_BASE + index * 1000 + tickets.person).tolist()
    organization = (ORGANIZATION_ID_BASE + index).tolist()
    created, updated = iso_z(tickets.created).to_pylist(), iso_z(tickets.updated).to_pylist()
    solved, rated = _iso_or_none(tickets.solved), tickets.rating.tolist()
    for i, ticket_id in enumerate(ids):
        channel = catalog.TICKET_CHANNELS[int(tickets.channel[i])]
        source: dict[str, Any] = {"from": {}, "to": {}, "rel": None}
        if channel in _EMAIL_CHANNELS:
            source["from"] = {"address": emails[i], "name": names[i]}
        subject = catalog.TICKET_SUBJECTS[int(tickets.subject[i])]
        record = {
            "url": f"{HOST}/tickets/{ticket_id}.json", "id": ticket_id, "external_id": None,
            "via": {"channel": channel, "source": source}, "created_at": created[i],
            "updated_at": updated[i], "type": "question", "subject": subject,
            "raw_subject": subject, "description": subject,
            "priority": catalog.PRIORITIES[int(tickets.priority[i])],
            "status": STATUSES[int(tickets.status[i])], "requester_id": requester[i],
            "submitter_id": requester[i], "assignee_id": 8_000_000_000 + ticket_id % _AGENTS,
            "organization_id": organization[i] if tickets.linked[i] else None,
            "group_id": 360_000_001, "tags": [], "satisfaction_rating": _rating(
                rated[i], int(tickets.comment[i]), ticket_id),
            "solved_at": solved[i], "generated_timestamp": int(tickets.updated[i]),
        }
        yield b"%011d%012d" % (tickets.updated[i], ticket_id), orjson.dumps(record)


def _rating(rating: int, comment: int, ticket_id: int) -> dict[str, Any]:
    score = RATINGS[rating]
    if score == "good":
        return {"id": ticket_id, "score": score, "comment": catalog.GOOD_COMMENTS[comment]}
    if score == "bad":
        return {"id": ticket_id, "score": score, "comment": catalog.BAD_COMMENTS[comment]}
    return {"score": score}


def user_lines(accounts: Accounts, tickets: Tickets) -> Iterator[tuple[bytes, bytes]]:
    """(sort key, JSON) of each requester, side-loaded with the tickets."""
    key = tickets.account * 1000 + tickets.person
    unique, first = np.unique(key, return_index=True)
    rows, person = unique // 1000, unique % 1000
    index = accounts.index[rows]
    ids = (REQUESTER_ID_BASE + index * 1000 + person).tolist()
    emails = people.emails(index, person, accounts.domains.take(pa.array(rows))).to_pylist()
    names = people.full_names(index, person).to_pylist()
    since = iso_z(tickets.created[first]).to_pylist()
    for i, user_id in enumerate(ids):
        record = {"id": user_id, "url": f"{HOST}/users/{user_id}.json", "name": names[i],
                  "email": emails[i], "role": "end-user",
                  "organization_id": ORGANIZATION_ID_BASE + int(index[i]),
                  "created_at": since[i], "updated_at": since[i]}
        yield b"%012d" % user_id, orjson.dumps(record)


def organization_lines(accounts: Accounts, organizations: B) -> list[bytes]:
    """One JSON object per Zendesk organization, in account order."""
    rows = np.flatnonzero(organizations)
    stamps = iso_z(accounts.acquired_at[rows] + 3600).to_pylist()
    ids = accounts.ids.take(pa.array(rows)).to_pylist()
    names = accounts.names.take(pa.array(rows)).to_pylist()
    domains = accounts.domains.take(pa.array(rows)).to_pylist()
    tiers = [catalog.TIERS[t] for t in accounts.tier[rows].tolist()]
    out = []
    for i, row in enumerate(rows.tolist()):
        org_id = ORGANIZATION_ID_BASE + int(accounts.index[row])
        out.append(orjson.dumps({
            "url": f"{HOST}/organizations/{org_id}.json", "id": org_id, "name": names[i],
            "shared_tickets": False, "shared_comments": False, "external_id": ids[i],
            "created_at": stamps[i], "updated_at": stamps[i], "domain_names": [domains[i]],
            "details": "", "notes": "", "group_id": None, "tags": [tiers[i]],
            "organization_fields": {"plan": tiers[i]}}))
    return out


def ticket_columns(accounts: Accounts, tickets: Tickets) -> dict[str, Any]:
    """The canonical support_tickets columns, with the account already resolved."""
    rows = pa.array(tickets.account)
    index = accounts.index[tickets.account]
    ratings = pick(RATINGS, tickets.rating)
    answered = tickets.rating >= 2
    good = pc.if_else(pa.array(tickets.rating == 2), pick(catalog.GOOD_COMMENTS, np.minimum(
        tickets.comment, len(catalog.GOOD_COMMENTS) - 1)), pick(catalog.BAD_COMMENTS, np.minimum(
            tickets.comment, len(catalog.BAD_COMMENTS) - 1)))
    return {
        "ticket_id": concat("zendesk:", as_text(ticket_ids(accounts, tickets))),
        "account_id": accounts.ids.take(rows),
        "organization_key": pc.if_else(pa.array(tickets.linked),
                                       as_text(ORGANIZATION_ID_BASE + index), None),
        "requester_email": requester_emails(accounts, tickets),
        "subject": pick(catalog.TICKET_SUBJECTS, tickets.subject),
        "priority": pick(catalog.PRIORITIES, tickets.priority),
        "status": pick(STATUSES, tickets.status),
        "channel": pick(catalog.TICKET_CHANNELS, tickets.channel),
        "created_at": instants(tickets.created), "solved_at": instants(tickets.solved),
        "csat_score": pa.array(np.where(tickets.rating == 2, 1, 0), mask=~answered),
        "csat_raw": ratings,
        "csat_comment": pc.if_else(pc.and_(pa.array(answered), pc.not_equal(good, "")), good,
                                   None),
        "updated_at": instants(tickets.updated), "source": constant("zendesk", len(tickets)),
    }

