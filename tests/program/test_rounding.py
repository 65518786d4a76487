from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from successlink.program.rounding import round_minor, split_minor


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("2.5"), 3), (Decimal("0.5"), 1), (Decimal("1.49"), 1), (Decimal("1234.5"), 1235),
    (Decimal("-2.5"), -3), (Fraction(7, 2), 4), (Fraction(10, 3), 3),
])
def test_halves_round_away_from_zero(value: Decimal | Fraction, expected: int) -> None:
    assert round_minor(value) == expected


@pytest.mark.parametrize(("total", "weights", "parts"), [
    (3300, [34, 33, 33], [1122, 1089, 1089]),  # 1122.0, 1089.0, 1089.0 exactly
    (100, [34, 33, 33], [34, 33, 33]),
    (1, [1, 1, 1], [1, 0, 0]),                 # a tie goes to the earliest part
    (2, [1, 1, 1], [1, 1, 0]),
    (10, [1, 2], [3, 7]),                      # 3.33 and 6.67: the larger remainder wins
    (0, [34, 33, 33], [0, 0, 0]),
])
def test_split_by_largest_remainder(total: int, weights: list[int], parts: list[int]) -> None:
    assert split_minor(total, weights) == parts


@given(st.integers(0, 10**12), st.lists(st.integers(0, 1000), min_size=1, max_size=8)
       .filter(lambda w: sum(w) > 0))
def test_a_split_never_creates_or_loses_a_minor_unit(total: int, weights: list[int]) -> None:
    parts = split_minor(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert floor(exact) <= part <= ceil(exact)


def test_split_refuses_a_negative_total_or_empty_weights() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        split_minor(-1, [1])
    with pytest.raises(ValueError, match="positive sum"):
        split_minor(1, [0, 0])
