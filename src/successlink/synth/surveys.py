"""Survey answers: quarterly NPS from the account's contacts, CSAT after some solved tickets.

NPS comes from health and quality (promoters 9-10 are healthy accounts of good channels);
CSAT (1-5) from health and how long the ticket took. Files are Delighted-style CSV exports
with the account id as a person property (missing on some answers, which then match by
e-mail).
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
from successlink.synth.lives import Periods, rank_within
from successlink.synth.strings import as_text, concat, delighted_time
from successlink.synth.support import HOUR, Tickets
from successlink.synth.world import Accounts, Window

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
HEADER = ("Response ID", "Email", "Score", "Comment", "Created At", "Properties: account_id")
KINDS = ("nps", "csat")
SCALES = ((0, 10), (1, 5))
ID_OFFSET = (1, 101)  # NPS answers 0-99, CSAT answers 100-999 of each account
ID_LIMIT = (100, 900)
_NPS_GROUPS = ("detractor", "passive", "promoter")


@dataclass(frozen=True, slots=True)
class Responses:
    """One row per answer."""

    account: I64
    kind: I64  # 0 nps, 1 csat
    number: I64  # within the account and kind
    at: I64
    person: I64
    score: I64
    comment: pa.Array
    tagged: B  # the export carries the account id

    def __len__(self) -> int:
        return len(self.account)


def draw_nps(accounts: Accounts, periods: Periods, rng: np.random.Generator) -> Responses:
    """Quarterly NPS: every third paid period, some of the first three contacts answer."""
    due = (periods.k >= 0) & ((periods.k + 1) % 3 == 0) & ~periods.dunning
    rows = np.flatnonzero(due)
    counts = rng.binomial(np.minimum(periods.seats[rows], 3), 0.3)
    p = np.repeat(rows, counts)
    person = rank_within(p)
    n = len(p)
    at = periods.start[p] + (rng.random(n) * (periods.end - periods.start)[p]).astype(np.int64)
    account = periods.account[p]
    latent = (6.9 + 1.6 * periods.health[p] + 0.4 * accounts.quality[account]
              + rng.normal(0.0, 1.5, n))
    score = np.clip(np.rint(latent), 0, 10).astype(np.int64)
    group = np.digitize(score, [7, 9])
    comment = _comments(group, rng)
    return _finish(account, 0, at, person, score, comment, rng)


def draw_csat(tickets: Tickets, window: Window, rng: np.random.Generator) -> Responses:
    """A 1-5 CSAT answer after a quarter of the solved tickets."""
    n = len(tickets)
    at = tickets.solved + (rng.uniform(1, 48, n) * HOUR).astype(np.int64)
    chosen = (tickets.solved >= 0) & (rng.random(n) < 0.25) & (at < window.horizon)
    hours = (tickets.solved - tickets.created) / HOUR
    latent = 3.6 + 0.9 * tickets.health - hours / 72 + rng.normal(0.0, 0.8, n)
    score = np.clip(np.rint(latent), 1, 5).astype(np.int64)
    pool = catalog.CSAT_COMMENTS
    comment = pa.array(list(pool)).take(pa.array(rng.integers(0, len(pool), n)))
    rows = np.flatnonzero(chosen)
    return _finish(tickets.account[rows], 1, at[rows], tickets.person[rows], score[rows],
                   comment.take(pa.array(rows)), rng)


def _comments(group: I64, rng: np.random.Generator) -> pa.Array:
    pools = [catalog.NPS_COMMENTS[g] for g in _NPS_GROUPS]
    flat = [c for pool in pools for c in pool]
    starts = np.cumsum([0] + [len(p) for p in pools])[:-1]
    sizes = np.array([len(p) for p in pools])
    pick = starts[group] + (rng.random(len(group)) * sizes[group]).astype(np.int64)
    return pa.array(flat).take(pa.array(pick))


def _finish(account: I64, kind: int, at: I64, person: I64, score: I64, comment: pa.Array,
            rng: np.random.Generator) -> Responses:
    """Sort by account and time, number the answers, and drop those beyond the id space."""
    order = np.lexsort((at, account))
    account, at, person, score = account[order], at[order], person[order], score[order]
    number = rank_within(account)
    keep = number < ID_LIMIT[kind]
    tagged = rng.random(len(account)) < 0.85
    picked = pa.array(order[keep])
    return Responses(account[keep], np.full(int(keep.sum()), kind, np.int64), number[keep],
                     at[keep], person[keep], score[keep], comment.take(picked), tagged[keep])


def response_ids(accounts: Accounts, answers: Responses) -> I64:
    """Delighted-style numeric response ids, unique across both files."""
    offset = np.asarray(ID_OFFSET)[answers.kind]
    ids: I64 = accounts.index[answers.account] * 1000 + offset + answers.number
    return ids


def _emails(accounts: Accounts, answers: Responses) -> pa.Array:
    index = accounts.index[answers.account]
    return people.emails(index, answers.person, accounts.domains.take(pa.array(answers.account)))


def csv_rows(accounts: Accounts, answers: Responses) -> Iterator[tuple[bytes, list[Any]]]:
    """(sort key, CSV cells) per answer, keyed by time then id."""
    ids = response_ids(accounts, answers).tolist()
    emails = _emails(accounts, answers).to_pylist()
    created = delighted_time(answers.at).to_pylist()
    account_ids = accounts.ids.take(pa.array(answers.account)).to_pylist()
    comments = answers.comment.to_pylist()
    for i, response in enumerate(ids):
        key = b"%011d%012d" % (answers.at[i], response)
        yield key, [response, emails[i], int(answers.score[i]), comments[i], created[i],
                    account_ids[i] if answers.tagged[i] else ""]


def columns(accounts: Accounts, answers: Responses) -> dict[str, Any]:
    """Canonical survey_responses columns, with the account resolved."""
    n = len(answers)
    low = np.asarray([s[0] for s in SCALES])[answers.kind]
    high = np.asarray([s[1] for s in SCALES])[answers.kind]
    comment = pc.if_else(pc.equal(answers.comment, ""), None, answers.comment)
    return {
        "response_id": concat("surveys:", as_text(response_ids(accounts, answers))),
        "account_id": accounts.ids.take(pa.array(answers.account)),
        "respondent_email": _emails(accounts, answers),
        "kind": pa.array(list(KINDS)).take(pa.array(answers.kind)), "score": answers.score,
        "scale_min": low, "scale_max": high, "comment": comment,
        "responded_at": instants(answers.at), "source": constant("surveys", n),
    }
