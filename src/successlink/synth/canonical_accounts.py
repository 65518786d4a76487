"""Accounts, identities, acquisitions, affiliates, product users and usage as canonical tables.

Identities list every source key that names an account (Stripe customer, Segment group and
users, Zendesk organization, HubSpot company), as the adapters would state them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.synth import catalog, people
from successlink.synth.affiliates import Affiliates, affiliate_status, affiliate_tier
from successlink.synth.columns import constant, instants
from successlink.synth.costs import csm_name
from successlink.synth.crm import COMPANY_ID_BASE, STAGE_VALUES
from successlink.synth.segment import Messages, user_ids
from successlink.synth.strings import as_text, concat, pick
from successlink.synth.support import ORGANIZATION_ID_BASE
from successlink.synth.usage import Users
from successlink.synth.world import Accounts

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
Columns = dict[str, Any]


def segments(employees: I64) -> pa.Array:
    """smb below 100 employees, mid_market below 1,000, else enterprise."""
    return pick(("smb", "mid_market", "enterprise"), np.digitize(employees, [100, 1000]))


def accounts_table(accounts: Accounts, stage: I64, created: I64) -> Columns:
    """One row per account with its CRM attributes and its CSM in `properties`."""
    n = len(accounts)
    csm = pa.array([csm_name(c) for c in accounts.csm.tolist()], pa.string())
    return {
        "account_id": accounts.ids, "source_key_kind": constant("stripe_customer", n),
        "source_key": accounts.customer_ids, "billing_email": accounts.billing_emails,
        "name": accounts.names, "domain": accounts.domains,
        "industry": pick(catalog.INDUSTRIES, accounts.industry),
        "country": pick([c[1] for c in catalog.COUNTRIES], accounts.country),
        "employees": accounts.employees, "segment": segments(accounts.employees),
        "lifecycle_stage": pick(STAGE_VALUES, stage),
        "created_at": instants(np.minimum(created, accounts.acquired_at)),
        "source": constant("synth", n), "properties": concat('{"csm":"', csm, '"}'),
    }


def identities(accounts: Accounts, organizations: B, found: Users) -> Columns:
    """Every source key that names an account, with when the link was first seen."""
    n = len(accounts)
    org, crm = np.flatnonzero(organizations), np.flatnonzero(accounts.in_crm)
    index = accounts.index
    kinds = pa.concat_arrays([
        constant("stripe_customer", n), constant("segment_group", n),
        constant("zendesk_org", len(org)), constant("hubspot_company", len(crm)),
        constant("segment_user", len(found.account))])
    keys = pa.concat_arrays([
        accounts.customer_ids, accounts.ids, as_text(ORGANIZATION_ID_BASE + index[org]),
        as_text(COMPANY_ID_BASE + index[crm]),
        user_ids(index[found.account], found.user)])
    rows = np.r_[np.arange(n), np.arange(n), org, crm, found.account]
    seen = np.r_[accounts.acquired_at, accounts.acquired_at + 5, accounts.acquired_at[org]
                 + 3600, accounts.acquired_at[crm], found.first_seen]
    sources = pa.concat_arrays([
        constant("stripe", n), constant("segment", n), constant("zendesk", len(org)),
        constant("hubspot", len(crm)), constant("segment", len(found.account))])
    return {"kind": kinds, "key": keys, "account_id": accounts.ids.take(pa.array(rows)),
            "source": sources, "observed_at": instants(seen)}


def acquisitions(accounts: Accounts, affiliate_ids: list[str]) -> Columns:
    """How each account was acquired."""
    n = len(accounts)
    affiliate = pa.array([affiliate_ids[a] if a >= 0 else None
                          for a in accounts.affiliate.tolist()], pa.string())
    return {
        "acquisition_id": concat("synth:", accounts.ids), "account_id": accounts.ids,
        "customer_key": accounts.customer_ids, "email": accounts.billing_emails,
        "channel": pick(catalog.CHANNELS, accounts.channel), "affiliate_id": affiliate,
        "campaign": pc.if_else(pc.equal(accounts.campaign, ""), None, accounts.campaign),
        "acquired_at": instants(accounts.acquired_at), "source": constant("synth", n),
    }


def affiliates_table(affiliates: Affiliates, referred: I64) -> Columns:
    """The affiliate program's members."""
    n = len(affiliates)
    return {
        "affiliate_id": affiliates.ids, "name": affiliates.names, "email": affiliates.emails,
        "status": affiliate_status(referred), "tier": affiliate_tier(referred),
        "joined_at": instants(affiliates.joined_at), "account_id": pa.nulls(n, pa.string()),
        "source": constant("synth", n),
    }


def product_users(accounts: Accounts, found: Users) -> Columns:
    """Users from identify calls: e-mail, name and company traits."""
    index = accounts.index[found.account]
    rows = pa.array(found.account)
    email = people.emails(index, found.user, accounts.domains.take(rows))
    name = people.full_names(index, found.user)
    account = accounts.ids.take(rows)
    traits = concat('{"company":{"id":"', account, '","name":"', accounts.names.take(rows),
                    '"},"email":"', email, '","name":"', name, '"}')
    return {"user_id": user_ids(index, found.user), "account_id": account, "email": email,
            "name": name, "traits": traits, "identified_at": instants(found.first_seen),
            "source": constant("segment", len(index))}


def usage_events(messages: Messages) -> Columns:
    """Track and page calls as usage events."""
    n = len(messages.at_ms)
    occurred = pa.array(messages.at_ms * 1000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    return {"event_id": messages.message_id, "account_id": messages.account_id,
            "group_key": messages.account_id, "user_id": messages.user_id,
            "event_type": messages.kind, "event": messages.name, "occurred_at": occurred,
            "properties": messages.properties, "source": constant("segment", n)}
