"""Stripe API objects as the two API versions in the world serialise them.

`2020-08-27` keeps `invoice.subscription`, `invoice.charge`, `subscription.current_period_*`
and a top-level `plan` / `quantity` on single-item subscriptions; `2025-03-31.basil` moves
the subscription under `invoice.parent.subscription_details`, lists payments as
`invoice.payments`, and keeps periods only on `subscription.items.data[]`. Field names and
nesting follow the fixtures in tests/data/stripe (ruby-mock events, dj-stripe, openapi).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from successlink.synth import catalog

OLD_API = "2020-08-27"
BASIL_API = "2025-03-31.basil"
Json = dict[str, Any]


@dataclass(slots=True)
class SubscriptionState:
    """A subscription as it stands at one moment (mutated as its events are written)."""

    id: str
    customer: str
    items: list[str]  # si ids: core, add-on
    created: int
    anchor: int
    trial_start: int | None
    trial_end: int | None
    status: str
    tier: int
    seats: int
    addon: bool
    annual: bool
    eur: bool
    period_start: int
    period_end: int
    latest_invoice: str | None = None
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    feedback: str | None = None
    reason: str | None = None


def currency(eur: bool) -> str:
    """Stripe's lower-case currency code."""
    return catalog.CURRENCIES[int(eur)]


@functools.cache
def price(tier: int, annual: bool, eur: bool, created: int) -> Json:
    """A core plan's price (tier -1 is the add-on)."""
    if tier < 0:
        product, nickname = catalog.ADDON_PRODUCT[0], "Insights add-on"
        amount, pid = catalog.addon_amount(annual), catalog.addon_price_id(annual, eur)
    else:
        product, nickname = catalog.CORE_PRODUCT[0], catalog.TIER_NAMES[tier]
        amount, pid = catalog.unit_amount(tier, annual), catalog.price_id(tier, annual, eur)
    interval = "year" if annual else "month"
    return {
        "id": pid, "object": "price", "active": True, "billing_scheme": "per_unit",
        "created": created, "currency": currency(eur), "livemode": False, "lookup_key": None,
        "metadata": {}, "nickname": f"{nickname} ({interval}ly)", "product": product,
        "recurring": {"aggregate_usage": None, "interval": interval, "interval_count": 1,
                      "trial_period_days": None, "usage_type": "licensed"},
        "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None,
        "type": "recurring", "unit_amount": amount, "unit_amount_decimal": str(amount),
    }


@functools.cache
def plan(tier: int, annual: bool, eur: bool, created: int) -> Json:
    """The legacy Plan view of the same price."""
    p = price(tier, annual, eur, created)
    return {
        "id": p["id"], "object": "plan", "active": True, "aggregate_usage": None,
        "amount": p["unit_amount"], "amount_decimal": p["unit_amount_decimal"],
        "billing_scheme": "per_unit", "created": created, "currency": p["currency"],
        "interval": p["recurring"]["interval"], "interval_count": 1, "livemode": False,
        "metadata": {}, "nickname": p["nickname"], "product": p["product"],
        "tiers_mode": None, "transform_usage": None, "trial_period_days": None,
        "usage_type": "licensed",
    }


def _lines(sub: SubscriptionState) -> list[tuple[str, int, int]]:
    """(item id, price tier or -1 for the add-on, quantity) of each item."""
    lines = [(sub.items[0], sub.tier, sub.seats)]
    if sub.addon:
        lines.append((sub.items[1], -1, 1))
    return lines


def items(sub: SubscriptionState, basil: bool, created: int) -> Json:
    """The subscription's `items` list."""
    data = []
    for item_id, tier, quantity in _lines(sub):
        item: Json = {
            "id": item_id, "object": "subscription_item", "billing_thresholds": None,
            "created": sub.created, "metadata": {},
            "plan": plan(tier, sub.annual, sub.eur, created),
            "price": price(tier, sub.annual, sub.eur, created), "quantity": quantity,
            "subscription": sub.id, "tax_rates": []}
        if basil:
            item["current_period_start"] = sub.period_start
            item["current_period_end"] = sub.period_end
        data.append(item)
    return {"object": "list", "data": data, "has_more": False, "total_count": len(data),
            "url": f"/v1/subscription_items?subscription={sub.id}"}


def subscription(sub: SubscriptionState, basil: bool, created: int) -> Json:
    """A subscription object in the account's API shape."""
    single = not sub.addon
    obj: Json = {
        "id": sub.id, "object": "subscription", "application_fee_percent": None,
        "automatic_tax": {"enabled": False}, "billing_cycle_anchor": sub.anchor,
        "billing_thresholds": None, "cancel_at": sub.cancel_at,
        "cancel_at_period_end": sub.cancel_at is not None and sub.ended_at is None,
        "canceled_at": sub.canceled_at,
        "cancellation_details": {"comment": None, "feedback": sub.feedback,
                                 "reason": sub.reason},
        "collection_method": "charge_automatically", "created": sub.created,
        "currency": currency(sub.eur), "customer": sub.customer, "days_until_due": None,
        "default_payment_method": None, "discount": None, "ended_at": sub.ended_at,
        "items": items(sub, basil, created), "latest_invoice": sub.latest_invoice,
        "livemode": False, "metadata": {}, "schedule": None, "start_date": sub.created,
        "status": sub.status, "trial_end": sub.trial_end, "trial_start": sub.trial_start,
    }
    if not basil:
        obj["current_period_start"] = sub.period_start
        obj["current_period_end"] = sub.period_end
        obj["plan"] = plan(sub.tier, sub.annual, sub.eur, created) if single else None
        obj["quantity"] = sub.seats if single else None
    return obj


def top_level(sub: SubscriptionState, created: int) -> tuple[Json | None, int | None]:
    """(plan, quantity) as the 2020-08-27 API shows them: only for single-item subscriptions."""
    if sub.addon:
        return None, None
    return plan(sub.tier, sub.annual, sub.eur, created), sub.seats


def customer(cid: str, account_id: str, affiliate: str | None, email: str, name: str,
             country: str, created: int, prefix: str) -> Json:
    """A customer; its metadata names the account and the referring affiliate."""
    metadata = {"account_id": account_id}
    if affiliate is not None:
        metadata["affiliate"] = affiliate
    return {
        "id": cid, "object": "customer",
        "address": {"city": None, "country": country, "line1": None, "line2": None,
                    "postal_code": None, "state": None},
        "balance": 0, "created": created, "currency": None, "default_source": None,
        "delinquent": False, "description": None, "discount": None, "email": email,
        "invoice_prefix": prefix,
        "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                             "footer": None},
        "livemode": False, "metadata": metadata, "name": name, "next_invoice_sequence": 1,
        "phone": None, "preferred_locales": [], "shipping": None, "tax_exempt": "none",
    }


def checkout_session(session_id: str, cid: str, sub_id: str, affiliate: str | None,
                     email: str, name: str, amount: int, eur: bool, created: int) -> Json:
    """The completed Checkout Session that created the subscription."""
    return {
        "id": session_id, "object": "checkout.session", "amount_subtotal": amount,
        "amount_total": amount, "cancel_url": "https://successlink.example/pricing",
        "client_reference_id": affiliate, "created": created, "currency": currency(eur),
        "customer": cid, "customer_creation": "always",
        "customer_details": {"email": email, "name": name, "phone": None,
                             "tax_exempt": "none", "tax_ids": []},
        "customer_email": None, "expires_at": created + 86400, "livemode": False,
        "metadata": {}, "mode": "subscription", "payment_method_types": ["card"],
        "payment_status": "paid" if amount else "no_payment_required", "status": "complete",
        "subscription": sub_id, "success_url": "https://app.successlink.example/welcome",
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    }
