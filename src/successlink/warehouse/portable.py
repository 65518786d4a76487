"""Small Ibis expressions that compile the same way on DuckDB, PostgreSQL and SQLite."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir


def double(value: float) -> ir.FloatingValue:
    """A float literal typed as double everywhere.

    PostgreSQL reads a bare 1.0 as NUMERIC (so a constant column would come back as
    Decimal), and Ibis drops a cast of a literal to its own type, so the cast is built by hand.
    """
    return ops.Cast(ibis.literal(float(value)).op(), to=dt.float64).to_expr()
