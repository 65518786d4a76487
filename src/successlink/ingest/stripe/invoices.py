"""Stripe invoices -> invoices; invoice payments (API 2025-03-31+) -> payments.

Since API 2025-03-31 an invoice names its subscription under
`parent.subscription_details.subscription` (before: `invoice.subscription`) and its payments
are `invoice_payment` objects instead of `invoice.charge`. An invoice payment is written as
the payments row of its underlying charge (or payment intent) so that it merges with the
charge instead of counting the money twice.
"""

from __future__ import annotations

from datetime import datetime

from successlink.ingest.stripe.context import SOURCE, Context, Row
from successlink.ingest.stripe.fields import Node

INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")
_PAYMENT_STATUS = {"paid": "succeeded", "open": "pending", "canceled": "failed"}


def map_invoice(obj: Node, ctx: Context) -> list[Row]:
    """An invoice -> its invoices row (any invoice.* event carries its latest state)."""
    invoice_id = obj.text("id", required=True)
    created = obj.instant("created", required=True, not_after=ctx.not_after)
    transitions = obj.child("status_transitions")
    paid_at = finalized = voided = written_off = None
    if transitions is not None:
        paid_at = transitions.instant("paid_at", not_after=ctx.not_after)
        finalized = transitions.instant("finalized_at")
        voided = transitions.instant("voided_at")
        written_off = transitions.instant("marked_uncollectible_at")
    period_start, period_end = _service_period(obj)
    return [("invoices", {
        "invoice_id": invoice_id, "account_id": None, "customer_key": obj.ref("customer"),
        "subscription_id": _subscription_id(obj), "number": obj.text("number"),
        "status": obj.choice("status", INVOICE_STATUSES, "an invoice status"),
        "billing_reason": obj.text("billing_reason"), "currency": obj.currency(),
        "subtotal_minor": obj.amount("subtotal", signed=True),
        "total_minor": obj.amount("total", signed=True),
        "amount_paid_minor": obj.amount("amount_paid"),
        "amount_due_minor": obj.amount("amount_due"),
        "created_at": created, "period_start": period_start, "period_end": period_end,
        "paid_at": paid_at,
        "updated_at": ctx.version(obj, created, paid_at, finalized, voided, written_off),
        "source": SOURCE,
    })]


def _subscription_id(obj: Node) -> str | None:
    """`subscription` (API before 2025-03-31), else `parent.subscription_details`."""
    old = obj.ref("subscription")
    if old is not None:
        return old
    parent = obj.child("parent")
    details = parent.child("subscription_details") if parent is not None else None
    return details.ref("subscription") if details is not None else None


def _service_period(obj: Node) -> tuple[datetime | None, datetime | None]:
    """The span of the line items' periods; the top-level period_* only when lines have none.

    For subscription invoices Stripe's top-level `period_start`/`period_end` describe the
    previous period (both equal `created` on the first invoice), so the lines are preferred.
    """
    starts: list[datetime] = []
    ends: list[datetime] = []
    for line in obj.elements("lines"):
        period = line.child("period")
        if period is None:
            continue
        start, end = period.instant("start"), period.instant("end")
        if start is not None:
            starts.append(start)
        if end is not None:
            ends.append(end)
    if starts or ends:
        return min(starts, default=None), max(ends, default=None)
    return obj.instant("period_start"), obj.instant("period_end")


def map_invoice_payment(obj: Node, ctx: Context) -> list[Row]:
    """An invoice payment -> the payments row of its charge, linked to the invoice."""
    own_id = obj.text("id", required=True)
    payment = obj.child("payment", required=True)
    assert payment is not None
    key = payment.ref("charge") or payment.ref("payment_intent")
    if key is None:
        if payment.data.get("type") != "out_of_band_payment":
            raise payment.bad("payment_intent", "is missing: an invoice payment needs "
                              "payment.charge or payment.payment_intent to merge with its charge")
        key = own_id  # paid outside Stripe: no charge to merge with
    raw_status = obj.choice("status", tuple(_PAYMENT_STATUS), "an invoice payment status")
    amount_key = "amount_paid" if raw_status == "paid" else "amount_requested"
    created = obj.instant("created", required=True, not_after=ctx.not_after)
    transitions = obj.child("status_transitions")
    settled = [transitions.instant(k) for k in ("paid_at", "canceled_at")] if transitions else []
    invoice = obj.data.get("invoice")
    customer = Node(invoice, obj.path("invoice.")).ref("customer") \
        if isinstance(invoice, dict) else None
    return [("payments", {
        "payment_id": key, "account_id": None, "customer_key": customer,
        "invoice_id": obj.ref("invoice"), "amount_minor": obj.amount(amount_key),
        "amount_refunded_minor": None, "currency": obj.currency(),
        "status": _PAYMENT_STATUS[raw_status], "failure_reason": None, "created_at": created,
        "updated_at": ctx.version(obj, created, *settled), "source": SOURCE,
    })]
