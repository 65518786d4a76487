"""How numbers read in the report: money with its currency, shares, intervals, ranks.

Terminal and HTML show the same figures, so both format them here; a missing value (no
respondents, no accounts) reads as an en dash rather than "nan".
"""

from __future__ import annotations

import math

from successlink.money import minor_exponent

MISSING = "–"


def is_missing(value: object) -> bool:
    """None or NaN: a figure that could not be measured."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def major_units(amount_minor: float, currency: str) -> float:
    """Minor units as a float amount of major units (for charts and display only)."""
    return float(amount_minor) / float(10 ** minor_exponent(currency))


def money(amount_minor: object, currency: str) -> str:
    """`12,345 USD`; cents are shown only for amounts under 100, where they matter."""
    if is_missing(amount_minor):
        return MISSING
    amount = major_units(float(amount_minor), currency)  # type: ignore[arg-type]
    digits = min(2, minor_exponent(currency)) if abs(amount) < 100 else 0
    return f"{amount:,.{digits}f} {currency}"


def share(value: object, digits: int = 1) -> str:
    """A 0-1 share as a percentage."""
    if is_missing(value):
        return MISSING
    return f"{100.0 * float(value):.{digits}f}%"  # type: ignore[arg-type]


def number(value: object, digits: int = 0) -> str:
    """A plain number with thousands separators."""
    if is_missing(value):
        return MISSING
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def interval(low: object, high: object, digits: int = 0, *, percent: bool = False) -> str:
    """`[low, high]`, or a dash when either end is unknown."""
    if is_missing(low) or is_missing(high):
        return MISSING
    scale = 100.0 if percent else 1.0
    suffix = "%" if percent else ""
    lo, hi = scale * float(low), scale * float(high)  # type: ignore[arg-type]
    return f"[{lo:.{digits}f}{suffix}, {hi:.{digits}f}{suffix}]"


def rank(value: object) -> str:
    """`#3`."""
    if is_missing(value):
        return MISSING
    return f"#{int(value)}"  # type: ignore[call-overload]
