"""Stripe charges -> payments (and their embedded refunds); refunds; disputes.

Charges from API versions before 2022-11-15 embed `refunds.data`, which become refunds rows;
later charges have no `refunds` field at all, and their refunds arrive as refund objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from successlink.ingest.stripe.context import SOURCE, Context, Row
from successlink.ingest.stripe.fields import Node

CHARGE_STATUSES = ("succeeded", "pending", "failed")


def map_charge(obj: Node, ctx: Context) -> list[Row]:
    """A charge -> its payments row, then one refunds row per embedded refund."""
    charge_id = obj.text("id", required=True)
    customer = obj.ref("customer")
    created = obj.instant("created", required=True, not_after=ctx.not_after)
    refunds = [_refund_values(node, ctx, charge_id, customer)
               for node in obj.elements("refunds")]
    version = ctx.version(obj, created, *(r["created_at"] for r in refunds))
    payment = {
        "payment_id": charge_id, "account_id": None, "customer_key": customer,
        "invoice_id": obj.ref("invoice"), "amount_minor": obj.amount("amount"),
        "amount_refunded_minor": obj.amount("amount_refunded", required=False),
        "currency": obj.currency(),
        "status": obj.choice("status", CHARGE_STATUSES, "a charge status"),
        "failure_reason": obj.text("failure_message") or obj.text("failure_code"),
        "created_at": created, "updated_at": version, "source": SOURCE,
    }
    rows: list[Row] = [("payments", payment)]
    for refund in refunds:
        refund["updated_at"] = version
        rows.append(("refunds", refund))
    return rows


def map_refund(obj: Node, ctx: Context) -> list[Row]:
    """A refund object (API 2022-11-15+, or refund events) -> its refunds row."""
    values = _refund_values(obj, ctx, None, None)
    values["updated_at"] = ctx.version(obj, values["created_at"])
    return [("refunds", values)]


def _refund_values(obj: Node, ctx: Context, charge_id: str | None,
                   customer: str | None) -> dict[str, Any]:
    created: datetime | None = obj.instant("created", required=True, not_after=ctx.not_after)
    return {
        "refund_id": obj.text("id", required=True),
        "payment_id": obj.ref("charge") or obj.ref("payment_intent") or charge_id,
        "account_id": None, "customer_key": obj.ref("customer") or customer,
        "amount_minor": obj.amount("amount"), "currency": obj.currency(),
        "status": obj.text("status", required=True), "reason": obj.text("reason"),
        "created_at": created, "updated_at": None, "source": SOURCE,
    }


def map_dispute(obj: Node, ctx: Context) -> list[Row]:
    """A dispute (chargeback) -> its disputes row."""
    dispute_id = obj.text("id", required=True)
    created = obj.instant("created", required=True, not_after=ctx.not_after)
    charge = obj.data.get("charge")
    customer = Node(charge, obj.path("charge.")).ref("customer") \
        if isinstance(charge, dict) else None
    return [("disputes", {
        "dispute_id": dispute_id, "payment_id": obj.ref("charge") or obj.ref("payment_intent"),
        "account_id": None, "customer_key": customer, "amount_minor": obj.amount("amount"),
        "currency": obj.currency(), "status": obj.text("status", required=True),
        "reason": obj.text("reason"), "created_at": created,
        "updated_at": ctx.version(obj, created), "source": SOURCE,
    })]
