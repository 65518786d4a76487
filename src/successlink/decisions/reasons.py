"""Why an account is a good advocate, in sentences a customer-success manager can say aloud.

The advocacy score ranks; these sentences justify. Each sentence comes from one signal and is
left out when the signal says nothing good or is unknown (a missing survey is not a reason).
Warnings that do not exclude an account (usage falling) are said too: the person making the
call should hear them before the customer does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from successlink.money import minor_exponent

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}
_TIMES = {1: "once", 2: "twice"}
_TREND_STEADY = 0.05  # changes within +-5% read as steady (as the health score's bands do)


@dataclass(frozen=True)
class Facts:
    """The figures the sentences are made of (one account, one as-of day)."""

    nps_score: int | None = None
    nps_answered_days_ago: int | None = None
    usage_trend: float | None = None
    active_days_30: int | None = None
    active_users_30: int | None = None
    expansions: int = 0
    expansion_mrr_minor: int = 0
    health_score: float | None = None
    health_band: str | None = None
    tenure_days: float | None = None
    tickets_90d: int | None = None
    ltv_percentile: float | None = None
    currency: str = "USD"

    @classmethod
    def of(cls, row: dict[str, Any], as_of: date, nps_answered: date | None,
           currency: str) -> Facts:
        """The facts of one scored row (see advocates.advocacy)."""
        def whole(name: str) -> int | None:
            value = row.get(name)
            return None if value is None else int(value)
        return cls(
            nps_score=whole("nps_latest_score"),
            nps_answered_days_ago=None if nps_answered is None else (as_of - nps_answered).days,
            usage_trend=row.get("usage_trend"), active_days_30=whole("active_days_30"),
            active_users_30=whole("active_users_30"),
            expansions=(whole("upsell_count") or 0) + (whole("cross_sell_count") or 0),
            expansion_mrr_minor=whole("expansion_mrr_minor") or 0,
            health_score=row.get("health_score"), health_band=row.get("health_band"),
            tenure_days=row.get("tenure_days"), tickets_90d=whole("tickets_90d"),
            ltv_percentile=row.get("ltv_percentile"), currency=currency)


def money_words(amount_minor: int, currency: str) -> str:
    """'$240', '€1,200.50', '1,000 SEK': whole amounts without decimals."""
    exp = minor_exponent(currency)
    major = Decimal(amount_minor).scaleb(-exp)
    text = f"{major:,.0f}" if major == major.to_integral_value() else f"{major:,.{exp}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def _days_ago(days: int) -> str:
    return {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")


def nps_reason(score: int | None, answered_days_ago: int | None) -> str | None:
    """'Promoter (NPS 10, answered 12 days ago)'."""
    if score is None:
        return None
    kind = "Promoter" if score >= 9 else "Passive" if score >= 7 else "Detractor"
    when = "" if answered_days_ago is None else f", answered {_days_ago(answered_days_ago)}"
    return f"{kind} (NPS {score}{when})"


def trend_reason(trend: float | None) -> str | None:
    """'Usage up 35% on the previous 30 days' (or down, or steady)."""
    if trend is None or math.isnan(trend):
        return None
    if abs(trend) < _TREND_STEADY:
        return "Usage steady on the previous 30 days"
    word = "up" if trend > 0 else "down"
    return f"Usage {word} {abs(trend):.0%} on the previous 30 days"


def activity_reason(active_days: int | None, users: int | None) -> str | None:
    """'Active on 22 of the last 30 days (8 users)'."""
    if not active_days:
        return None
    who = "" if not users else f" ({users} user{'s' if users != 1 else ''})"
    return f"Active on {active_days} of the last 30 days{who}"


def expansion_reason(count: int, mrr_minor: int, currency: str) -> str | None:
    """'Expanded twice (+$240 MRR)'."""
    if count <= 0:
        return None
    times = _TIMES.get(count, f"{count} times")
    gained = f" (+{money_words(mrr_minor, currency)} MRR)" if mrr_minor > 0 else ""
    return f"Expanded {times}{gained}"


def health_reason(score: float | None, band: str | None) -> str | None:
    """'Health 82 (green)'."""
    if score is None:
        return None
    return f"Health {score:.0f}" + (f" ({band})" if band else "")


def tenure_reason(days: float | None) -> str | None:
    """'Customer for 14 months', 'Customer for 2 years 3 months'."""
    if days is None:
        return None
    months = round(days / 30.4375)
    if months < 24:
        return f"Customer for {months} month{'s' if months != 1 else ''}"
    years, rest = divmod(months, 12)
    return f"Customer for {years} years" + (f" {rest} month{'s' if rest != 1 else ''}"
                                              if rest else "")


def tickets_reason(tickets: int | None) -> str | None:
    """'No support tickets in the last 90 days'; 'Only 2 ...'; nothing above 3."""
    if tickets is None or tickets > 3:
        return None
    if tickets == 0:
        return "No support tickets in the last 90 days"
    return f"Only {tickets} support ticket{'s' if tickets != 1 else ''} in the last 90 days"


def ltv_reason(percentile: float | None) -> str | None:
    """'Top 10% of customers by lifetime value' (top quarter only)."""
    if percentile is None or percentile < 0.75:
        return None
    if percentile >= 1.0:
        return "Highest lifetime value of all customers"
    top = max(1, math.ceil(round((1.0 - percentile) * 100, 6)))
    return f"Top {top}% of customers by lifetime value"


def reasons_for(f: Facts) -> list[str]:
    """Every sentence that applies, strongest evidence of advocacy first."""
    said = [nps_reason(f.nps_score, f.nps_answered_days_ago), trend_reason(f.usage_trend),
            activity_reason(f.active_days_30, f.active_users_30),
            expansion_reason(f.expansions, f.expansion_mrr_minor, f.currency),
            health_reason(f.health_score, f.health_band), tenure_reason(f.tenure_days),
            tickets_reason(f.tickets_90d), ltv_reason(f.ltv_percentile)]
    return [s for s in said if s]
