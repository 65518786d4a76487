"""Hand-written plans and fact builders shared by the program tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from successlink.program.facts import AccountFacts, Referral, Sale
from successlink.program.plans import Plan, load_plan

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)

QUALITY_PLAN = """
id = "quality"
version = 1
name = "Quality-aware 30% / 20%"
currency = "USD"
effective_from = 2026-01-01

[[rules]]
name = "first payment"
payments = "first"
percent = 30

[[rules]]
name = "recurring year one"
payments = "recurring"
months = 12
percent = 20

[quality]
not_activated = 0.5

[quality.affiliate_tier]
platinum = 1.25
gold = 1.1
bronze = 0.9

[quality.health_band]
yellow = 0.8
red = 0.5

[vesting]
health_floor = "yellow"
tranches = [{ day = 30, percent = 34 }, { day = 90, percent = 33 }, { day = 180, percent = 33 }]
"""


def quality_plan() -> Plan:
    return load_plan(QUALITY_PLAN)


def day(n: float) -> datetime:
    """T0 plus n days."""
    return T0 + timedelta(days=n)


def sale(sale_id: str = "in_1", amount_minor: int = 10_000, at: float = 0, *,
         first: bool = True, **inputs: object) -> Sale:
    return Sale(sale_id=sale_id, amount_minor=amount_minor, currency="USD", paid_at=day(at),
                first_payment=first, **inputs)  # type: ignore[arg-type]


def facts(*sales: Sale, plan_id: str = "quality", **more: object) -> AccountFacts:
    referral = Referral("acc_1", "aff_1", plan_id, T0)
    return AccountFacts(referral, frozenset(sales), **more)  # type: ignore[arg-type]
