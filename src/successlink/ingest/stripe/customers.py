"""Stripe customers -> accounts (and affiliate acquisitions); checkout sessions -> acquisitions.

A customer is the company that pays. Its metadata may name the SuccessLink account
explicitly (`IngestOptions.account_metadata_keys`) and the affiliate who referred it
(`IngestOptions.affiliate_metadata_key`); a Checkout Session's `client_reference_id` is where
affiliate tools put the referral id, so a completed session with one is an acquisition.
"""

from __future__ import annotations

from typing import Any

from successlink.ingest.identity import company_domain, normalise_email
from successlink.ingest.stripe.context import SOURCE, Context, Row
from successlink.ingest.stripe.fields import Node, Skip

# Only a completed (or paid later) session acquired anyone; open or expired ones did not.
ACQUIRING_EVENTS = frozenset({"checkout.session.completed",
                              "checkout.session.async_payment_succeeded"})


def map_customer(obj: Node, ctx: Context) -> list[Row]:
    """A customer -> its accounts row, plus an identity link and an affiliate acquisition."""
    if obj.data.get("deleted") is True and "created" not in obj.data:
        raise Skip("customer (deleted, no details)")  # the stub the API returns on delete
    customer_id = obj.text("id", required=True)
    created = obj.instant("created", not_after=ctx.not_after)
    email = normalise_email(obj.text("email"))
    account_id = ctx.explicit_account(obj)
    rows: list[Row] = [("accounts", {
        "account_id": account_id, "source_key_kind": "stripe_customer",
        "source_key": customer_id, "billing_email": email, "name": obj.text("name"),
        "domain": company_domain(email), "country": _country(obj), "created_at": created,
        "source": SOURCE, "properties": _properties(obj, ctx),
    })]
    if account_id is not None:
        observed = ctx.version(obj, created)
        rows.append(("account_identities", {
            "kind": "stripe_customer", "key": customer_id, "account_id": account_id,
            "source": SOURCE, "observed_at": observed}))
    affiliate = _affiliate(obj, ctx)
    if affiliate is not None:
        if created is None:
            raise obj.bad("created", "is missing: needed as the acquisition time")
        rows.append(("acquisitions", {
            "acquisition_id": f"stripe:{customer_id}", "account_id": account_id,
            "customer_key": customer_id, "email": email, "channel": "affiliate",
            "affiliate_id": affiliate, "acquired_at": created, "source": SOURCE}))
    return rows


def _country(obj: Node) -> str | None:
    address = obj.child("address")
    return None if address is None else address.text("country")


def _affiliate(obj: Node, ctx: Context) -> str | None:
    metadata = obj.child("metadata")
    if metadata is None:
        return None
    value = metadata.text(ctx.options.affiliate_metadata_key)
    return value.strip() if value is not None and value.strip() else None


def _properties(obj: Node, ctx: Context) -> dict[str, Any] | None:
    """Attributes worth keeping that have no column: metadata, deletion, delinquency."""
    props: dict[str, Any] = {}
    metadata = obj.data.get("metadata")
    if isinstance(metadata, dict) and metadata:
        props["metadata"] = metadata
    if obj.data.get("delinquent") is True:
        props["delinquent"] = True
    if ctx.event_type == "customer.deleted" or obj.data.get("deleted") is True:
        props["deleted"] = True
    return props or None


def map_checkout_session(obj: Node, ctx: Context) -> list[Row]:
    """A completed Checkout Session naming a referral (`client_reference_id`) -> acquisition."""
    if ctx.event_type is not None and ctx.event_type not in ACQUIRING_EVENTS:
        raise Skip(ctx.event_type)
    if ctx.event_type is None and obj.data.get("status") not in (None, "complete"):
        raise Skip("checkout.session (not complete)")
    session_id = obj.text("id", required=True)
    affiliate = obj.text("client_reference_id")
    if affiliate is None or not affiliate.strip():
        raise Skip("checkout.session (no client_reference_id)")
    acquired = obj.instant("created", not_after=ctx.not_after) or ctx.observed_at
    if acquired is None:
        raise obj.bad("created", "is missing: needed as the acquisition time")
    details = obj.child("customer_details")
    email = normalise_email(details.text("email") if details is not None else None)
    return [("acquisitions", {
        "acquisition_id": f"stripe:{session_id}", "account_id": ctx.explicit_account(obj),
        "customer_key": obj.ref("customer"),
        "email": email or normalise_email(obj.text("customer_email")),
        "channel": "affiliate", "affiliate_id": affiliate.strip(), "acquired_at": acquired,
        "source": SOURCE,
    })]
