"""Rounding money: once, half away from zero, and splits that never lose a minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def round_minor(value: Decimal | Fraction) -> int:
    """Round an exact amount to whole minor units, halves away from zero (0.5 -> 1)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_minor(total: int, weights: list[int] | list[Fraction]) -> list[int]:
    """Split `total` (>= 0) in proportion to `weights` so the parts add up to it exactly.

    Largest remainder (Hamilton): every part gets the floor of its exact share, then the
    minor units left over go one each to the largest fractional remainders, earlier parts
    first on ties. No part exceeds the ceiling of its exact share.
    """
    if total < 0:
        raise ValueError("split_minor takes a total >= 0")
    weight_sum = sum(weights, Fraction(0))
    if weight_sum <= 0:
        raise ValueError("split_minor needs weights with a positive sum")
    shares = [Fraction(total) * Fraction(w) / weight_sum for w in weights]
    parts = [int(s) for s in shares]  # floor: shares are >= 0
    left = total - sum(parts)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts
