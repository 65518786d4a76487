"""Figures read the same in the terminal and the HTML file."""

from __future__ import annotations

import math

from successlink.reports.formatting import MISSING, interval, money, number, rank, share


def test_money_uses_the_currency_minor_unit():
    assert money(1_234_567, "USD") == "12,346 USD"
    assert money(1_234, "USD") == "12.34 USD"
    assert money(1_234, "JPY") == "1,234 JPY"
    assert money(-5_000, "EUR") == "-50.00 EUR"
    assert money(1_234, "KWD") == "1.23 KWD"


def test_missing_values_read_as_a_dash():
    for value in (None, math.nan):
        assert money(value, "USD") == share(value) == number(value) == rank(value) == MISSING
    assert interval(None, 3) == MISSING


def test_shares_intervals_and_ranks():
    assert share(0.1234) == "12.3%"
    assert interval(0.1, 0.25, 1, percent=True) == "[10.0%, 25.0%]"
    assert interval(-12.4, 30.6) == "[-12, 31]"
    assert rank(3.0) == "#3"
    assert number(12345.678, 1) == "12,345.7"
