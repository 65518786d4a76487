"""Row checks, and the vectorised path agreeing with the row path on every value."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.warehouse.tables import TABLES
from successlink.warehouse.validate import FieldError, validate_row
from successlink.warehouse.validate_arrow import validate_batch

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
COSTS = TABLES["cs_costs"]
GOOD = {"cost_id": "c1", "incurred_on": "2024-01-31", "amount_minor": "1200", "currency": "eur",
        "cost_type": "tooling", "source": "test"}


def test_a_good_row_is_coerced():
    row = validate_row(COSTS, GOOD, now=NOW)
    assert (row["incurred_on"], row["amount_minor"], row["currency"]) == (
        date(2024, 1, 31), 1200, "EUR")
    assert row["account_id"] is None


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("amount_minor", "12,00", "is not an integer"),
    ("amount_minor", "-1", "negative"),
    ("amount_minor", 1.5, "not a whole number"),
    ("amount_minor", True, "boolean"),
    ("amount_minor", str(2**64), "64-bit"),
    ("currency", "ZZZ", "ISO 4217"),
    ("cost_id", "  ", "required"),
    ("incurred_on", "31/01/2024", "YYYY-MM-DD"),
    ("note", "x" * 5000, "limit is 4096"),
])
def test_bad_values_name_the_field_and_reason(field, value, reason):
    with pytest.raises(FieldError, match=reason) as info:
        validate_row(COSTS, {**GOOD, field: value}, now=NOW)
    assert info.value.field == field


def test_unknown_columns_are_a_programming_error():
    with pytest.raises(KeyError):
        validate_row(COSTS, {**GOOD, "colour": "red"}, now=NOW)


def test_instants_before_1990_and_in_the_future_are_rejected():
    spec = TABLES["survey_responses"]
    row = {"response_id": "r", "kind": "nps", "score": 9, "scale_min": 0, "scale_max": 10,
           "source": "t"}
    with pytest.raises(FieldError, match="future"):
        validate_row(spec, {**row, "responded_at": "2027-01-01T00:00:00Z"}, now=NOW)
    with pytest.raises(FieldError, match="1990"):
        validate_row(spec, {**row, "responded_at": 1_000_000}, now=NOW)


values = st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 10**6),
                   st.sampled_from(["usd", "EUR", "XXX", "", "2024-01-31", "12.5", "tooling"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({k: values for k in GOOD}), min_size=1, max_size=8))
def test_vectorised_validation_accepts_exactly_what_the_row_path_accepts(rows):
    as_text = [{k: (None if v is None else str(v)) for k, v in r.items()} for r in rows]
    expected = []
    for i, r in enumerate(as_text):
        with contextlib.suppress(FieldError):
            expected.append((i, validate_row(COSTS, r, now=NOW)))
    table = pa.table({k: pa.array([r[k] for r in as_text], pa.string()) for k in GOOD})
    good, kept, rejects = validate_batch(COSTS, table, NOW)
    assert kept == [i for i, _ in expected]
    assert len(rejects) == len(rows) - len(kept)
    assert good.to_pylist() == [row for _, row in expected]


TICKETS = TABLES["support_tickets"]
mixed = st.one_of(
    st.none(), st.text(max_size=6), st.integers(-3, 3), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["low", "urgent", "open", "solved", "", "2024-03-01T12:00:00Z", "1", "0",
                     "2031-01-01T00:00:00Z"]),
    st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2030, 1, 1),
                 timezones=st.just(UTC)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "ticket_id": mixed, "priority": mixed, "status": mixed, "created_at": mixed,
    "updated_at": mixed, "csat_score": mixed, "source": mixed}), min_size=1, max_size=6))
def test_python_values_validate_alike_on_both_paths(rows):
    expected = []
    for i, r in enumerate(rows):
        with contextlib.suppress(FieldError):
            expected.append((i, validate_row(TICKETS, r, now=NOW)))
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    good, kept, rejects = validate_batch(TICKETS, columns, NOW)
    assert kept == [i for i, _ in expected]
    assert len(rejects) == len(rows) - len(kept)
    assert good.to_pylist() == [row for _, row in expected]
