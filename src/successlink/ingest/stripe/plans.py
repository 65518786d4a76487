"""Subscription items as billed lines, and monthly recurring revenue from them.

An item's price is read from `price` (API 2020+) or, failing that, the legacy `plan`; a
subscription without `items` (very old API versions) is one line from its `plan` and
`quantity`. MRR normalises every interval to a month of 365.25 / 12 = 30.4375 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from successlink.ingest.stripe.fields import Node, SourceFieldError
from successlink.warehouse.tables import INTERVALS

# Billing intervals per month, over the common denominator 336: a month is 30.4375 days, so
# a week recurs 30.4375 / 7 = 1461 / 336 times a month and a day 1461 / 48 = 10227 / 336.
_PER_MONTH_336 = {"month": 336, "year": 28, "week": 1461, "day": 10227}


@dataclass(slots=True)  # not frozen: built for every subscription event, and frozen is slow
class Line:
    """One subscription item: what is sold, at what price, how many, how often."""

    plan_id: str | None
    plan_name: str | None
    product_id: str | None
    # Minor units: an int, a Fraction for sub-cent `unit_amount_decimal` prices, None when the
    # price has no per-unit amount (tiered or custom pricing).
    unit_amount: int | Fraction | None
    currency: str
    quantity: int
    interval: str
    interval_count: int
    metered: bool

    @property
    def offer(self) -> str | None:
        """What is sold: the product, else the plan (old plans may have no product)."""
        return self.product_id or self.plan_id


def round_half_up(value: int | Fraction) -> int:
    """Nearest integer, halves rounded up (amounts here are never negative)."""
    return (value.numerator * 2 + value.denominator) // (value.denominator * 2)


def total_mrr(lines: list[Line]) -> int:
    """MRR of all lines in minor units, summed exactly and rounded once at the end.

    Metered lines bill usage after the fact, so they add nothing. Integer arithmetic (not
    Fraction) because this runs for every subscription event.
    """
    numerator, denominator = 0, 1
    for line in lines:
        unit = line.unit_amount
        if line.metered or unit is None:
            continue
        top = unit.numerator * line.quantity * _PER_MONTH_336[line.interval]
        bottom = unit.denominator * 336 * line.interval_count
        numerator, denominator = numerator * bottom + top * denominator, denominator * bottom
    return (numerator * 2 + denominator) // (denominator * 2)


def subscription_lines(sub: Node) -> list[Line]:
    """The billed lines of a subscription object (at least one), in item order."""
    items = sub.elements("items")
    if items:
        return [item_line(item, item.integer("quantity", required=False)) for item in items]
    plan = sub.child("plan")
    if plan is None:
        raise sub.bad("items", "is missing: a subscription needs items (or a plan)")
    return [price_line(plan, sub.integer("quantity", required=False))]


def item_line(item: Node, quantity: int | None) -> Line:
    """A subscription item's line, with its quantity (None: not given)."""
    price = item.child("price") or item.child("plan")
    if price is None:
        raise item.bad("price", "is missing: a subscription item needs a price or plan")
    return price_line(price, quantity)


def price_line(price: Node, quantity: int | None) -> Line:
    """A line from a Price (recurring.*, unit_amount) or a legacy Plan (interval, amount)."""
    recurring = price.child("recurring") if "recurring" in price.data else price
    if recurring is None:
        raise price.bad("recurring", "is missing: a subscription item needs a recurring price")
    interval = recurring.choice("interval", INTERVALS, "a billing interval")
    count = recurring.integer("interval_count", minimum=1, required=False) or 1
    product = price.data.get("product")
    name = price.text("nickname")
    if isinstance(product, dict):
        name = name or Node(product, price.path("product.")).text("name")
    return Line(
        plan_id=price.text("id"), plan_name=name, product_id=price.ref("product"),
        unit_amount=_unit_amount(price), currency=price.currency(),
        quantity=1 if quantity is None else quantity, interval=interval, interval_count=count,
        metered=recurring.data.get("usage_type") == "metered")


def _unit_amount(price: Node) -> int | Fraction | None:
    key = "unit_amount" if "unit_amount" in price.data else "amount"
    amount = price.amount(key, required=False)
    if amount is not None:
        return amount
    decimal_key = f"{key}_decimal"
    text = price.text(decimal_key)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise price.bad(decimal_key, f"{text!r} is not a decimal amount") from None
    # Stripe allows at most 12 decimal places; huge exponents would make Fraction crawl.
    exponent = value.as_tuple().exponent
    if (not isinstance(exponent, int) or exponent < -12 or value < 0
            or value.adjusted() > 18):
        raise price.bad(decimal_key, f"{text!r} is not a plausible amount in minor units "
                        "(at most 12 decimals)")
    exact = Fraction(value)
    return exact.numerator if exact.denominator == 1 else exact


def check_lines(sub: Node, lines: list[Line]) -> None:
    """Every priced line bills in one currency and has a unit price unless metered."""
    first = lines[0]
    for index, line in enumerate(lines):
        if line.currency != first.currency:
            raise SourceFieldError(
                f"{_price_path(sub, index)}.currency", line.currency.lower(),
                f"differs from the first item's {first.currency}: a Stripe subscription bills "
                "all items in one currency")
        if line.unit_amount is None and (index == 0 or not line.metered):
            raise SourceFieldError(f"{_price_path(sub, index)}.unit_amount", None,
                                   "is null (tiered or custom pricing): SuccessLink needs a "
                                   "per-unit price to compute MRR")


def _price_path(sub: Node, index: int) -> str:
    """Where line `index` came from (only computed for an error message)."""
    items = sub.elements("items")
    if not items:
        return sub.path("plan")
    key = "price" if items[index].data.get("price") is not None else "plan"
    return items[index].path(key)
