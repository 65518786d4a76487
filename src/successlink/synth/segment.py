"""Segment messages (track, page, identify, group) as JSON lines or canonical columns.

Lines are assembled column-wise from Arrow string arrays, in the key order and shape of the
`segment-analytics-python` 2.4.0 batch elements in tests/data: `context.groupId` names the
account on every track and page call, timestamps carry milliseconds and `+00:00`. Every
value spliced in is plain ASCII from the catalog or generated ids, so no escaping is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.synth import catalog, people
from successlink.synth.strings import (
    as_text,
    concat,
    digits,
    iso_millis,
    join,
    literal,
    numbered,
    pick,
    to_arrow,
    uuid4,
)
from successlink.synth.usage import FIRST_PAGE, NAMES, UsageBatch, Users
from successlink.synth.world import Accounts

I64 = npt.NDArray[np.int64]
LIBRARY = '"library":{"name":"analytics-python","version":"2.4.0"}'
TAIL = '"integrations":{}}'
_PROPERTY_HEAD = tuple(f'{{"{f[1]}":' for f in catalog.FEATURES) + tuple(
    f'{{"path":"{path}","url":"{catalog.APP_URL}{path}"}}' for _, path in catalog.PAGES)
_PROPERTY_TAIL = ("}",) * len(catalog.FEATURES) + ("",) * len(catalog.PAGES)
# (source, medium) of the sign-up campaign per channel; direct visits have none.
_CAMPAIGN = (("google", "organic"), ("google", "cpc"), ("partner", "referral"),
             ("affiliate", "affiliate"), ("", ""))


def user_ids(index: I64, user: I64) -> pa.Array:
    """'usr_0000042_007': user 7 of account 42."""
    n = len(index)
    return to_arrow(join(literal("usr_", n), digits(index, 7), literal("_", n),
                         digits(user, 3)))


@dataclass(frozen=True, slots=True)
class Messages:
    """Columns shared by the JSON lines and the canonical tables."""

    message_id: pa.Array
    at_ms: I64
    user_id: pa.Array
    account_id: pa.Array
    kind: pa.Array  # track or page
    name: pa.Array
    properties: pa.Array


def usage_messages(accounts: Accounts, batch: UsageBatch) -> Messages:
    """The track and page calls of a usage batch."""
    index = accounts.index[batch.account]
    page = batch.name >= FIRST_PAGE
    value = pc.if_else(pa.array(page), "", as_text(batch.value))
    properties = concat(pick(_PROPERTY_HEAD, batch.name), value,
                        pick(_PROPERTY_TAIL, batch.name))
    return Messages(batch.message_ids, batch.at_ms, user_ids(index, batch.user),
                    numbered("acct_", index, 7), pick(("track", "page"), page.astype(np.int64)),
                    pick(NAMES, batch.name), properties)


def signup_messages(accounts: Accounts, affiliate_ids: list[str],
                    rng: np.random.Generator) -> tuple[Messages, pa.Array]:
    """A 'Signed Up' track per account, two seconds after acquisition; and its context."""
    n = len(accounts)
    kind = pick(("subscription", "trial"), accounts.trial.astype(np.int64))
    referrer = pa.array([f',"referrer_code":"{affiliate_ids[a]}"' if a >= 0 else ""
                         for a in accounts.affiliate.tolist()], pa.string())
    properties = concat('{"type":"', kind, '"', referrer, "}")
    source = pick([c[0] for c in _CAMPAIGN], accounts.channel)
    medium = pick([c[1] for c in _CAMPAIGN], accounts.channel)
    campaign = concat(',"campaign":{"source":"', source, '","medium":"', medium,
                      '","name":"', accounts.campaign, '"}')
    direct = pa.array(accounts.channel == catalog.CHANNELS.index("direct"))
    context = pc.if_else(direct, "", campaign)
    zero = np.zeros(n, np.int64)
    messages = Messages(uuid4(rng, n), accounts.acquired_at * 1000 + 2000,
                        user_ids(accounts.index, zero), accounts.ids, pick(("track",), zero),
                        pick(("Signed Up",), zero), properties)
    return messages, context


def event_lines(m: Messages, context: pa.Array | str = "") -> pa.Array:
    """Track and page calls as Segment JSON lines (no trailing newline)."""
    is_page = pc.equal(m.kind, "page")
    key = pc.if_else(is_page, ',"name":"', ',"event":"')
    return concat('{"type":"', m.kind, '","messageId":"', m.message_id, '","timestamp":"',
                  iso_millis(m.at_ms), '","userId":"', m.user_id, '","anonymousId":null',
                  key, m.name, '","properties":', m.properties, ',"context":{"groupId":"',
                  m.account_id, '"', context, ",", LIBRARY, "},", TAIL)


def identify_lines(accounts: Accounts, found: Users, rng: np.random.Generator) -> pa.Array:
    """An identify call per user when it first becomes active (traits: e-mail, name, company)."""
    index = accounts.index[found.account]
    email = people.emails(index, found.user, accounts.domains.take(pa.array(found.account)))
    return concat('{"type":"identify","messageId":"', uuid4(rng, len(index)),
                  '","timestamp":"', iso_millis(found.first_seen * 1000), '","userId":"',
                  user_ids(index, found.user), '","anonymousId":null,"traits":{"email":"',
                  email, '","name":"', people.full_names(index, found.user),
                  '","company":{"id":"', numbered("acct_", index, 7), '","name":"',
                  accounts.names.take(pa.array(found.account)), '"}},"context":{', LIBRARY,
                  "},", TAIL)


def group_lines(accounts: Accounts, rng: np.random.Generator) -> pa.Array:
    """A group call per account five seconds after sign-up: the account's traits."""
    n = len(accounts)
    return concat('{"type":"group","messageId":"', uuid4(rng, n), '","timestamp":"',
                  iso_millis(accounts.acquired_at * 1000 + 5000), '","userId":"',
                  user_ids(accounts.index, np.zeros(n, np.int64)),
                  '","anonymousId":null,"groupId":"', accounts.ids, '","traits":{"name":"',
                  accounts.names, '","website":"https://', accounts.domains,
                  '","industry":"', pick(catalog.INDUSTRIES, accounts.industry),
                  '","employees":', as_text(accounts.employees), ',"plan":"',
                  pick(catalog.TIERS, accounts.tier), '"},"context":{', LIBRARY, "},", TAIL)
