"""Money in the reporting currency, so accounts billed in different currencies compare.

Amounts stay integer minor units in the warehouse. Metrics convert each row to minor units
of the reporting currency at the configured fixed rate (as float, so sums do not accumulate
rounding) and round once, at the end, with `as_minor`. A currency without a rate converts to
null: it drops out of money metrics instead of being counted at a made-up rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from successlink.money import minor_exponent, normalise_currency


@dataclass(frozen=True, slots=True)
class Fx:
    """Fixed conversion rates into one reporting currency."""

    reporting: str
    rates: Mapping[str, float]  # units of `reporting` per one unit of the key currency

    @classmethod
    def of(cls, reporting: str, rates: Mapping[str, float]) -> Fx:
        code = normalise_currency(reporting)
        table = {normalise_currency(k): float(v) for k, v in rates.items()}
        table.setdefault(code, 1.0)
        return cls(code, table)

    def factor(self, currency: str) -> float:
        """Multiplier from minor units of `currency` to minor units of the reporting one."""
        shift = minor_exponent(self.reporting) - minor_exponent(currency)
        return self.rates[currency] * 10.0**shift


def to_reporting(amount_minor: ir.NumericValue, currency: ir.StringValue,
                 fx: Fx) -> ir.FloatingValue:
    """The amount in minor units of the reporting currency (float; null if no rate)."""
    value = amount_minor.cast("float64")
    branches = [(currency == code, value * fx.factor(code)) for code in sorted(fx.rates)]
    return ibis.cases(*branches, else_=ibis.null("float64"))


def as_minor(value: ir.NumericValue) -> ir.IntegerValue:
    """Round to whole minor units, halves up, the same on every backend.

    ROUND itself is not portable: PostgreSQL rounds a double's halves to even, DuckDB away
    from zero, so 3562.5 would be 3562 on one and 3563 on the other.
    """
    return (value.cast("float64") + 0.5).floor().cast("int64")
