"""The people at an account: person j of account i, the same in every source.

A person is a pure function of (account index, position), so HubSpot contacts, Segment users,
Zendesk requesters and survey respondents agree without storing anyone. Names within one
account never repeat (position -> name is a bijection), so e-mails are unique.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.synth import catalog
from successlink.synth.strings import as_text, concat, mix64, pick

I64 = npt.NDArray[np.int64]
_FIRST = len(catalog.FIRST_NAMES)
_LAST = len(catalog.LAST_NAMES)
_STRIDE = 2654435761  # prime, so coprime to the number of name pairs
FREEMAIL_PERCENT = 7
_FIRST_LOWER = [name.lower() for name in catalog.FIRST_NAMES]
_LAST_LOWER = [name.lower() for name in catalog.LAST_NAMES]


def _pair(account: I64, position: I64) -> tuple[I64, I64]:
    """(first-name index, last-name index), distinct for distinct positions of one account."""
    offset = (mix64(account, 11) % np.uint64(_FIRST * _LAST)).astype(np.int64)
    code = (position * _STRIDE + offset) % (_FIRST * _LAST)
    return code % _FIRST, code // _FIRST


def _freemail(account: I64, position: I64) -> npt.NDArray[np.bool_]:
    salt = mix64(account * 4096 + position, 12)
    return (salt % np.uint64(100)).astype(np.int64) < FREEMAIL_PERCENT


def first_names(account: I64, position: I64) -> pa.Array:
    """Given names."""
    return pick(catalog.FIRST_NAMES, _pair(account, position)[0])


def last_names(account: I64, position: I64) -> pa.Array:
    """Family names."""
    return pick(catalog.LAST_NAMES, _pair(account, position)[1])


def full_names(account: I64, position: I64) -> pa.Array:
    """'First Last'."""
    return concat(first_names(account, position), " ", last_names(account, position))


def emails(account: I64, position: I64, domains: pa.Array) -> pa.Array:
    """first.last@company-domain, or a personal mailbox for a few people.

    `domains` is each row's company domain (already aligned with `account`).
    """
    first, last = _pair(account, position)
    local = concat(pick(_FIRST_LOWER, first), ".", pick(_LAST_LOWER, last))
    personal = _freemail(account, position)
    mailbox = (mix64(account, 13) % np.uint64(len(catalog.FREEMAIL))).astype(np.int64)
    free = concat(local, as_text(account * 1000 + position), "@",
                  pick(catalog.FREEMAIL, mailbox))
    work = concat(local, "@", domains)
    return pc.if_else(pa.array(personal), free, work)
