"""Stripe invoices, charges, invoice payments, refunds and disputes in both API shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from successlink.synth import catalog
from successlink.synth.stripe_objects import SubscriptionState, plan, price

Json = dict[str, Any]
FAILURE_MESSAGES = {"card_declined": "Your card was declined.",
                    "insufficient_funds": "Your card has insufficient funds.",
                    "expired_card": "Your card has expired."}


@dataclass(slots=True)
class InvoiceState:
    """An invoice as it stands at one moment."""

    id: str
    number: str
    line_ids: tuple[str, str]
    created: int
    period_start: int
    period_end: int
    total: int
    first: bool
    payment_intent: str
    billed: SubscriptionState  # the plan as it stood when the invoice opened
    status: str = "open"
    attempts: int = 0
    charge: str | None = None
    paid_at: int | None = None
    written_off_at: int | None = None
    next_attempt: int | None = None
    payments: list[Json] | None = None


def _line(inv: InvoiceState, index: int, tier: int, quantity: int, basil: bool,
          created: int) -> Json:
    sub = inv.billed
    unit = price(tier, sub.annual, sub.eur, created)
    amount = unit["unit_amount"] * quantity
    line: Json = {
        "id": inv.line_ids[index], "object": "line_item", "amount": amount,
        "currency": unit["currency"],
        "description": f"{quantity} × {unit['nickname']}", "discount_amounts": [],
        "discountable": True, "discounts": [], "livemode": False, "metadata": {},
        "period": {"end": inv.period_end, "start": inv.period_start}, "quantity": quantity,
    }
    if basil:
        line["invoice"] = inv.id
        line["parent"] = {"subscription_item_details": {
            "invoice_item": None, "proration": False, "proration_details": {
                "credited_items": None}, "subscription": sub.id,
            "subscription_item": sub.items[index]}, "type": "subscription_item_details"}
        line["pricing"] = {"price_details": {"price": unit["id"], "product": unit["product"]},
                           "type": "price_details",
                           "unit_amount_decimal": unit["unit_amount_decimal"]}
    else:
        line.update({"plan": plan(tier, sub.annual, sub.eur, created), "price": unit,
                     "proration": False, "subscription": sub.id,
                     "subscription_item": sub.items[index], "type": "subscription"})
    return line


def invoice(inv: InvoiceState, email: str, name: str, basil: bool, created: int) -> Json:
    """An invoice object, billing the plan as it stood when the invoice opened."""
    sub = inv.billed
    lines = [_line(inv, 0, sub.tier, sub.seats, basil, created)]
    if sub.addon:
        lines.append(_line(inv, 1, -1, 1, basil, created))
    paid = inv.status == "paid"
    obj: Json = {
        "id": inv.id, "object": "invoice", "account_country": "US",
        "account_name": "SuccessLink Synthetic Inc", "amount_due": inv.total,
        "amount_paid": inv.total if paid else 0,
        "amount_remaining": 0 if paid else inv.total, "attempt_count": inv.attempts,
        "attempted": inv.attempts > 0 or paid, "auto_advance": inv.status == "open",
        "billing_reason": "subscription_create" if inv.first else "subscription_cycle",
        "collection_method": "charge_automatically", "created": inv.created,
        "currency": catalog.CURRENCIES[int(sub.eur)], "customer": sub.customer,
        "customer_email": email, "customer_name": name, "default_payment_method": None,
        "description": None, "discounts": [], "due_date": None, "ending_balance": 0,
        "lines": {"object": "list", "data": lines, "has_more": False,
                  "total_count": len(lines), "url": f"/v1/invoices/{inv.id}/lines"},
        "livemode": False, "metadata": {}, "next_payment_attempt": inv.next_attempt,
        "number": inv.number, "period_end": inv.created, "period_start": inv.created,
        "starting_balance": 0, "status": inv.status,
        "status_transitions": {"finalized_at": inv.created, "marked_uncollectible_at":
                               inv.written_off_at, "paid_at": inv.paid_at, "voided_at": None},
        "subtotal": inv.total, "total": inv.total,
    }
    if basil:
        obj["parent"] = {"quote_details": None, "subscription_details": {
            "metadata": {}, "subscription": sub.id}, "type": "subscription_details"}
        payments = inv.payments or []
        obj["payments"] = {"object": "list", "data": payments, "has_more": False,
                           "total_count": len(payments),
                           "url": f"/v1/invoice_payments?invoice={inv.id}"}
        obj["subtotal_excluding_tax"] = obj["total_excluding_tax"] = inv.total
    else:
        obj.update({"charge": inv.charge, "discount": None, "paid": paid,
                    "payment_intent": inv.payment_intent, "subscription": sub.id,
                    "tax": None})
    return obj


def invoice_payment(payment_id: str, inv: InvoiceState, charge_id: str, currency: str,
                    at: int) -> Json:
    """A paid invoice payment (API 2025-03-31+), pointing at its charge."""
    return {"id": payment_id, "object": "invoice_payment", "amount_paid": inv.total,
            "amount_requested": inv.total, "created": at, "currency": currency,
            "invoice": inv.id, "is_default": True, "livemode": False,
            "payment": {"charge": charge_id, "type": "charge"}, "status": "paid",
            "status_transitions": {"canceled_at": None, "paid_at": at}}


@dataclass(slots=True)
class ChargeState:
    """A charge as it stands at one moment."""

    id: str
    customer: str
    invoice: str
    payment_intent: str
    amount: int
    currency: str
    created: int
    failure: str | None
    refunded: int = 0
    refunds: list[Json] | None = None
    disputed: bool = False


def charge(ch: ChargeState, email: str, basil: bool) -> Json:
    """A card charge; the 2020-08-27 shape embeds its refunds and names its invoice."""
    ok = ch.failure is None
    obj: Json = {
        "id": ch.id, "object": "charge", "amount": ch.amount,
        "amount_captured": ch.amount if ok else 0, "amount_refunded": ch.refunded,
        "balance_transaction": None, "billing_details": {"email": email, "name": None},
        "captured": ok, "created": ch.created, "currency": ch.currency,
        "customer": ch.customer, "description": "Subscription update",
        "disputed": ch.disputed, "failure_code": ch.failure,
        "failure_message": FAILURE_MESSAGES.get(ch.failure or ""), "livemode": False,
        "metadata": {},
        "outcome": {"network_status": "approved_by_network" if ok else "declined_by_network",
                    "reason": None if ok else ch.failure, "risk_level": "normal",
                    "seller_message": "Payment complete." if ok else "The bank declined.",
                    "type": "authorized" if ok else "issuer_declined"},
        "paid": ok, "payment_intent": ch.payment_intent,
        "payment_method_details": {"card": {"brand": "visa", "country": "US",
                                            "exp_month": 12, "exp_year": 2030,
                                            "funding": "credit", "last4": "4242"},
                                   "type": "card"},
        "receipt_email": email, "refunded": ok and ch.refunded >= ch.amount,
        "status": "succeeded" if ok else "failed",
    }
    if not basil:
        refunds = ch.refunds or []
        obj["invoice"] = ch.invoice
        obj["refunds"] = {"object": "list", "data": refunds, "has_more": False,
                          "total_count": len(refunds), "url": f"/v1/charges/{ch.id}/refunds"}
    return obj


def refund(refund_id: str, ch: ChargeState, amount: int, reason: str, at: int) -> Json:
    """A refund object."""
    return {"id": refund_id, "object": "refund", "amount": amount, "balance_transaction": None,
            "charge": ch.id, "created": at, "currency": ch.currency, "metadata": {},
            "payment_intent": ch.payment_intent, "reason": reason, "receipt_number": None,
            "status": "succeeded"}


def dispute(dispute_id: str, ch: ChargeState, reason: str, at: int) -> Json:
    """A dispute (chargeback) awaiting the merchant's response."""
    return {"id": dispute_id, "object": "dispute", "amount": ch.amount,
            "balance_transactions": [], "charge": ch.id, "created": at,
            "currency": ch.currency,
            "evidence_details": {"due_by": at + 14 * 86400, "has_evidence": False,
                                 "past_due": False, "submission_count": 0},
            "is_charge_refundable": False, "livemode": False, "metadata": {},
            "payment_intent": ch.payment_intent, "reason": reason, "status": "needs_response"}
