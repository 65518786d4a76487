"""Rounding money: once, half away from zero, and splits that never lose a minor unit."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def round_minor(value: Decimal | Fraction) -> int:
    """Round an exact amount to whole minor units, halves away from zero (0.5 -> 1)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_minor(total: int, weights: Sequence[int | Fraction | Decimal]) -> list[int]:
    """Split `total` (>= 0) in proportion to `weights` so the parts add up to it exactly.

    Largest remainder (Hamilton): every part gets the floor of its exact share, then the
    minor units left over go one each to the largest fractional remainders, earlier parts
    first on ties. No part exceeds the ceiling of its exact share.
    """
    if total < 0:
        raise ValueError("split_minor takes a total >= 0")
    scaled, weight_sum = _integer_weights(tuple(weights))
    if weight_sum <= 0:
        raise ValueError("split_minor needs weights with a positive sum")
    # Share i is total * w_i / sum: its floor and remainder are a divmod, and every
    # remainder has the same denominator, so ranking them ranks the fractional parts.
    floors, remainders = zip(*(divmod(total * w, weight_sum) for w in scaled), strict=True)
    parts = list(floors)
    left = total - sum(parts)
    order = sorted(range(len(parts)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


@functools.lru_cache(maxsize=1024)
def _integer_weights(weights: tuple[int | Fraction | Decimal, ...]
                     ) -> tuple[tuple[int, ...], int]:
    """The weights over their common denominator, and their sum (settling splits every
    commission by the same few plans' percents, many times over)."""
    fractions = [Fraction(w) for w in weights]
    denominator = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    scaled = tuple(f.numerator * (denominator // f.denominator) for f in fractions)
    return scaled, sum(scaled)
