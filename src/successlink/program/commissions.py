"""What each sale earns: the plan in force, the first matching rule, its tier, the quality
multipliers, rounding and caps, with a sentence that says how the number came about."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from successlink.money import Money
from successlink.program.facts import AccountFacts, Referral, Sale
from successlink.program.plans import Plan, Rule
from successlink.program.rounding import round_minor


@dataclass(frozen=True)
class Commission:
    """A sale's commission before vesting: the total and how it was reached."""

    sale: Sale
    amount_minor: int
    plan_id: str | None
    plan_version: int | None
    explanation: str
    inputs: dict[str, Any] = field(default_factory=dict)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day-of-month `months` later, clamped to the month's last day (Jan 31 + 1 ->
    Feb 28), as billing systems count months."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def plan_in_force(plans: Sequence[Plan], plan_id: str, at: datetime) -> Plan | None:
    """The version of `plan_id` in force at `at`: the latest `effective_from` not after it."""
    candidates = [p for p in plans if p.id == plan_id and p.effective_from <= at]
    return max(candidates, key=lambda p: (p.effective_from, p.version), default=None)


def commissions(facts: AccountFacts, plans: Sequence[Plan]) -> list[Commission]:
    """Every sale's commission, in payment order (caps are used up in that order)."""
    used: dict[tuple[str, str], int] = {}
    out = []
    for sale in sorted(facts.sales, key=lambda s: (s.paid_at, s.sale_id)):
        out.append(_commission(facts.referral, sale, plans, used))
    return out


def _commission(referral: Referral, sale: Sale, plans: Sequence[Plan],
                used: dict[tuple[str, str], int]) -> Commission:
    head = f"Invoice {sale.sale_id} ({Money(sale.amount_minor, sale.currency).format()}"
    head += ", first payment)" if sale.first_payment else ")"
    plan = plan_in_force(plans, referral.plan_id, sale.paid_at)
    if plan is None:
        return Commission(sale, 0, None, None,
                          f"{head} earns nothing: plan '{referral.plan_id}' was not in force "
                          f"on {sale.paid_at:%Y-%m-%d}.")
    rule = next((r for r in plan.rules if _matches(r, referral, sale)), None)
    label = f"plan {plan.id} v{plan.version}"
    if rule is None:
        return Commission(sale, 0, plan.id, plan.version,
                          f"{head} earns nothing: no rule of {label} covers it.")
    return _earned(head, label, plan, rule, sale, used)


def _matches(rule: Rule, referral: Referral, sale: Sale) -> bool:
    if rule.payments == "first" and not sale.first_payment:
        return False
    if rule.payments == "recurring" and sale.first_payment:
        return False
    if rule.products and sale.product_id not in rule.products:
        return False
    if rule.prices and sale.price_id not in rule.prices:
        return False
    return rule.months is None or sale.paid_at < add_months(referral.referred_at, rule.months)


def _earned(head: str, label: str, plan: Plan, rule: Rule, sale: Sale,
            used: dict[tuple[str, str], int]) -> Commission:
    percent, flat = rule.percent, rule.flat
    tier = next((t for t in reversed(rule.tiers) if sale.active_referrals >= t.min_referrals),
                None)
    if tier is not None:
        percent, flat = tier.percent, tier.flat
    inputs: dict[str, Any] = {
        "amount_minor": sale.amount_minor, "currency": sale.currency, "rule": rule.name,
        "tier_min_referrals": tier.min_referrals if tier else None,
        "affiliate_tier": sale.affiliate_tier, "health_band": sale.health_band,
        "activated": sale.activated}
    base_text = f"{head} earns"
    if flat is not None:
        if sale.currency != plan.currency:
            return Commission(sale, 0, plan.id, plan.version,
                              f"{head} earns nothing: rule '{rule.name}' pays a flat amount in "
                              f"{plan.currency} and the invoice is in {sale.currency}.", inputs)
        exact = Decimal(plan.minor(flat))
        base_text += f" a flat {Money(plan.minor(flat), plan.currency).format()}"
    else:
        assert percent is not None  # the plan validator guarantees one of the two
        exact = Decimal(sale.amount_minor) * percent / 100
        base_text += f" {percent.normalize():f}%"
    base_text += f" under rule '{rule.name}' of {label}"
    if tier is not None:
        base_text += f" (tier of {tier.min_referrals}+ paying referrals)"
    factors = _multipliers(plan, sale)
    inputs["multipliers"] = {why: str(m) for why, m in factors}
    for _, m in factors:
        exact *= m
    amount = round_minor(exact)
    text = base_text + "".join(f", × {m.normalize():f} {why}" for why, m in factors)
    text, amount = _capped(text, plan, rule, sale, amount, used)
    inputs["exact_minor"] = str(exact)
    return Commission(sale, amount, plan.id, plan.version,
                      f"{text} = {Money(amount, sale.currency).format()}.", inputs)


def _multipliers(plan: Plan, sale: Sale) -> list[tuple[str, Decimal]]:
    q = plan.quality
    out = []
    tier = sale.affiliate_tier
    if tier in q.affiliate_tier:
        out.append((f"for a {tier} affiliate", q.affiliate_tier[tier]))
    if sale.health_band in q.health_band:
        out.append((f"for an account in {sale.health_band} health",
                    q.health_band[sale.health_band]))
    if sale.activated is False and q.not_activated != 1:
        out.append(("for an account not yet activated", q.not_activated))
    return [(why, m) for why, m in out if m != 1]


def _capped(text: str, plan: Plan, rule: Rule, sale: Sale, amount: int,
            used: dict[tuple[str, str], int]) -> tuple[str, int]:
    if rule.cap is None:
        return text, amount
    cap = plan.minor(rule.cap)
    key = (plan.id, rule.name)  # a new plan version does not reset what was paid
    if sale.currency != plan.currency:
        return (text + f"; the rule's cap is in {plan.currency}, so this {sale.currency} "
                "invoice earns nothing", 0)
    left = max(cap - used.get(key, 0), 0)
    if amount > left:
        text += (f", capped at the {Money(left, sale.currency).format()} left of the rule's "
                 f"{Money(cap, plan.currency).format()} per account")
        amount = left
    used[key] = used.get(key, 0) + amount
    return text, amount
