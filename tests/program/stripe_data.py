"""Stripe fixture bodies (tests/data/stripe) and helpers to sign and re-id them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import stripe

STRIPE = Path(__file__).parents[1] / "data" / "stripe"
RUBY_MOCK = STRIPE / "stripe-ruby-mock-events"
SECRET = "whsec_test_secret"
HANDLED = {"checkout.session.completed", "checkout.session.completed.payment_mode",
           "customer.created", "customer.updated", "invoice.paid",
           "invoice.payment_succeeded", "charge.refunded", "charge.dispute.created",
           "customer.subscription.created", "customer.subscription.updated",
           "customer.subscription.deleted"}
IGNORED = {"charge.succeeded", "customer.deleted", "customer.subscription.trial_will_end",
           "invoice.payment_failed"}


def ruby_mock_bodies() -> dict[str, bytes]:
    """Every ruby-mock event body, raw, by file name (without .json)."""
    return {p.name.removesuffix(".json"): p.read_bytes()
            for p in sorted(RUBY_MOCK.glob("*.json"))}


def with_id(body: bytes, event_id: str) -> bytes:
    """The same event under another id (the ruby-mock events all share a zeroed id)."""
    data = json.loads(body)
    data["id"] = event_id
    return json.dumps(data).encode()


def envelope(event_type: str, obj: dict[str, Any], *, event_id: str, created: int,
             api_version: str = "2026-07-29.basil") -> bytes:
    """A resource object wrapped in an event, as openapi-fixtures3/event.json wraps its own."""
    return json.dumps({"id": event_id, "object": "event", "type": event_type,
                       "api_version": api_version, "created": created,
                       "data": {"object": obj}}).encode()


def paying_customer(n: int, paid: int, affiliate: str = "aff_1") -> list[bytes]:
    """customer.created and invoice.paid: customer cus_N, referred by `affiliate` in its
    metadata, pays 100.00 USD (invoice in_N) at unix time `paid`."""
    customer = {"id": f"cus_{n}", "object": "customer", "created": paid - 60,
                "email": f"c{n}@example.com", "metadata": {"affiliate": affiliate}}
    invoice = {"id": f"in_{n}", "object": "invoice", "customer": f"cus_{n}",
               "amount_paid": 10_000, "currency": "usd", "charge": f"ch_{n}",
               "billing_reason": "subscription_create",
               "status_transitions": {"paid_at": paid}}
    return [envelope("customer.created", customer, event_id=f"evt_c{n}", created=paid - 60),
            envelope("invoice.paid", invoice, event_id=f"evt_i{n}", created=paid)]


def sign(body: bytes, timestamp: int = 1_700_000_000) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET,
                                                             timestamp=timestamp)


def load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((STRIPE / path).read_text(encoding="utf-8"))
    return data
