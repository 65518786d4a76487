"""Hand-written bad Stripe inputs: each bad record is one reject naming its line and field.

Records start from real fixtures (tests/data/stripe) and break one thing each.
"""

from __future__ import annotations

import codecs
import copy
import gzip
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from successlink.errors import InputFileError
from successlink.ingest.records import CollectingSink, Reject, SourceFile
from successlink.ingest.stripe import StripeAdapter

DATA = Path(__file__).resolve().parent.parent / "data" / "stripe"
NOW = datetime(2026, 9, 1, tzinfo=UTC)


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((DATA / name).read_bytes())
    return data


INVOICE_PAID = fixture("stripe-ruby-mock-events/invoice.paid.json")
CHARGE = fixture("stripe-ruby-mock-events/charge.succeeded.json")
CUSTOMER = fixture("stripe-ruby-mock-events/customer.created.json")
SUBSCRIPTION = fixture("stripe-ruby-mock-events/customer.subscription.created.json")


def read_bytes(tmp_path: Path, content: bytes,
               name: str = "input.jsonl") -> tuple[StripeAdapter, CollectingSink]:
    path = tmp_path / name
    path.write_bytes(content)
    adapter, sink = StripeAdapter(), CollectingSink(now=NOW)
    adapter.read(SourceFile(path, NOW), sink)
    assert adapter.records == adapter.mapped + adapter.rejected + sum(adapter.ignored.values())
    assert len(sink.rejects) == adapter.rejected
    return adapter, sink


def jsonl(*records: Any) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def with_object(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of `event` with data.object fields replaced (None deletes nothing: it sets null)."""
    out = copy.deepcopy(event)
    out["data"]["object"].update(changes)
    return out


def single_reject(tmp_path: Path, *records: Any) -> Reject:
    """Reads a good customer event then `records`; exactly one reject, on line 2."""
    _, sink = read_bytes(tmp_path, jsonl(CUSTOMER, *records))
    assert len(sink.rows["accounts"]) == 1  # the good first line still loads
    (reject,) = sink.rejects
    assert reject.line == 2
    return reject


@pytest.mark.parametrize(("changes", "field", "reason_start"), [
    ({"amount_paid": "12,00"}, "data.object.amount_paid",
     "'12,00' is not an integer (Stripe amounts are integers in minor units, e.g. 1200 for"),
    ({"amount_paid": 12.5}, "data.object.amount_paid", "12.5 is not an integer"),
    ({"amount_paid": True}, "data.object.amount_paid", "a boolean is not an integer"),
    ({"amount_due": -200}, "data.object.amount_due", "is negative"),
    ({"amount_paid": 2**63}, "data.object.amount_paid", "is out of the 64-bit integer range"),
    ({"currency": "xyz"}, "data.object.currency", "'xyz' is not an ISO 4217 currency code"),
    ({"currency": None}, "data.object.currency", "is missing"),
    ({"status": "settled"}, "data.object.status", "'settled' is not an invoice status"),
    ({"id": None}, "data.object.id", "is missing"),
    ({"id": 42}, "data.object.id", "is a number, expected text"),
    ({"created": "2022-03-26"}, "data.object.created", "'2022-03-26' is not a Unix timestamp"),
    ({"created": 1648320012000}, "data.object.created", "is out of range"),  # milliseconds
    ({"created": 86400}, "data.object.created", "is 1970-01-02T00:00:00+00:00, before 1990"),
    ({"created": 4102444800}, "data.object.created", "is 2100-01-01T00:00:00+00:00, in the future"),
    ({"customer": 7}, "data.object.customer", "is a number, expected text"),
    ({"customer": {"object": "customer"}}, "data.object.customer.id", "is missing"),
    ({"lines": {"data": "none"}}, "data.object.lines.data", "is text, expected an array"),
    ({"lines": {"data": [1]}}, "data.object.lines.data[0]", "is a number, expected an object"),
    ({"status_transitions": []}, "data.object.status_transitions", "is an array, expected"),
    ({"number": "N" * 5000}, "data.object.number", "is 5000 characters long; the limit is 4096"),
])
def test_a_bad_invoice_field_is_one_reject_naming_its_path(
        tmp_path: Path, changes: dict[str, Any], field: str, reason_start: str) -> None:
    reject = single_reject(tmp_path, with_object(INVOICE_PAID, **changes))
    assert reject.field == field
    assert reject.reason.startswith(reason_start), reject.reason


@pytest.mark.parametrize(("change", "field", "reason_start"), [
    ({"id": None}, "id", "is missing"),
    ({"type": None}, "type", "is missing"),
    ({"created": None}, "created", "is missing"),
    ({"created": 4102444800}, "created", "is 2100-01-01T00:00:00+00:00, in the future"),
    ({"data": None}, "data", "is missing"),
    ({"data": {"object": "cus_1"}}, "data.object", "is text, expected an object"),
    ({"data": {"object": {"id": "cus_1"}}}, "data.object.object", "is missing"),
    ({"object": None}, "object", "is missing: expected a Stripe event, list or object"),
])
def test_a_broken_event_envelope_is_one_reject(tmp_path: Path, change: dict[str, Any],
                                               field: str, reason_start: str) -> None:
    event = copy.deepcopy(CHARGE)
    event.update(change)
    reject = single_reject(tmp_path, event)
    assert (reject.field, reject.reason[:len(reason_start)]) == (field, reason_start)


def test_a_charge_with_an_unknown_status_is_rejected(tmp_path: Path) -> None:
    reject = single_reject(tmp_path, with_object(CHARGE, status="captured"))
    assert reject.field == "data.object.status"
    assert reject.reason == "'captured' is not a charge status (succeeded, pending, failed)"


def test_a_bad_embedded_refund_rejects_its_charge_once(tmp_path: Path) -> None:
    event = fixture("stripe-ruby-mock-events/charge.refunded.json")
    event["data"]["object"]["refunds"]["data"][0]["amount"] = "1.00"
    reject = single_reject(tmp_path, event)
    assert reject.field == "data.object.refunds.data[0].amount"


def test_a_subscription_with_an_unknown_interval_is_rejected(tmp_path: Path) -> None:
    event = copy.deepcopy(SUBSCRIPTION)
    event["data"]["object"]["items"]["data"][0]["price"]["recurring"]["interval"] = "fortnight"
    reject = single_reject(tmp_path, event)
    assert reject.field == "data.object.items.data[0].price.recurring.interval"
    assert reject.reason.startswith("'fortnight' is not a billing interval (day, week")


def test_a_subscription_start_in_the_future_is_rejected(tmp_path: Path) -> None:
    reject = single_reject(tmp_path, with_object(SUBSCRIPTION, start_date=4102444800))
    assert reject.field == "data.object.start_date"
    assert reject.reason.endswith("in the future")


def test_too_long_values_the_sink_catches_name_the_canonical_column(tmp_path: Path) -> None:
    email = "a" * 400 + "@acme.com"  # under 4096 characters, over the 320 of billing_email
    reject = single_reject(tmp_path, with_object(CUSTOMER, email=email))
    assert reject.field == "accounts.billing_email"
    assert reject.reason == "is 409 characters long; the limit is 320"


def test_records_that_are_not_stripe_objects_are_rejected(tmp_path: Path) -> None:
    content = jsonl(CUSTOMER, 42, ["x"], {"id": "cus_1"}, "text") + b'{"broken": \n'
    _, sink = read_bytes(tmp_path, content)
    assert [(r.line, r.field) for r in sink.rejects] == [
        (2, "(record)"), (3, "(record)"), (4, "object"), (5, "(record)"), (6, "(record)")]
    assert sink.rejects[0].reason.startswith("is a number, expected a Stripe event, list")
    assert sink.rejects[4].reason.startswith("not valid JSON")


def test_a_list_whose_data_is_not_an_array_is_one_reject(tmp_path: Path) -> None:
    _, sink = read_bytes(tmp_path, jsonl({"object": "list", "data": {"a": 1}}))
    assert [(r.line, r.field) for r in sink.rejects] == [(1, "data")]


def test_a_list_inside_a_list_is_rejected_not_recursed(tmp_path: Path) -> None:
    inner = {"object": "list", "data": [CUSTOMER]}
    _, sink = read_bytes(tmp_path, jsonl({"object": "list", "data": [CUSTOMER, inner]}))
    assert len(sink.rows["accounts"]) == 1
    assert [(r.line, r.field) for r in sink.rejects] == [(1, "data[1].object")]


def test_unknown_event_and_object_types_are_ignored_and_counted(tmp_path: Path) -> None:
    source_event = copy.deepcopy(CUSTOMER)
    source_event["type"] = "customer.source.created"
    source_event["data"]["object"] = {"id": "card_1", "object": "card"}
    upcoming = copy.deepcopy(INVOICE_PAID)
    upcoming["type"] = "invoice.upcoming"
    del upcoming["data"]["object"]["id"]  # upcoming invoices have no id
    thin = {"object": "v2.core.event", "id": "evt_thin", "type": "v1.billing.meter.no_meter"}
    adapter, sink = read_bytes(tmp_path, jsonl(source_event, upcoming, thin,
                                               {"object": "coupon", "id": "25OFF"}))
    assert adapter.ignored == Counter({"customer.source.created": 1, "invoice.upcoming": 1,
                                       "v2.core.event": 1, "coupon": 1})
    assert sink.rejects == [] and not any(sink.rows.values())


def test_duplicate_event_ids_are_all_mapped_for_the_warehouse_to_merge(tmp_path: Path) -> None:
    _, sink = read_bytes(tmp_path, jsonl(INVOICE_PAID, INVOICE_PAID, INVOICE_PAID))
    assert [r["invoice_id"] for r in sink.rows["invoices"]] == ["in_000000000000000000000000"] * 3


@pytest.mark.parametrize("encode", [
    lambda text: codecs.BOM_UTF8 + text.encode(),
    lambda text: text.encode("utf-16"),  # with its BOM
])
def test_bom_and_utf16_files_are_read(tmp_path: Path, encode: Any) -> None:
    text = orjson.dumps(CUSTOMER, option=orjson.OPT_INDENT_2).decode()
    _, sink = read_bytes(tmp_path, encode(text), name="customer.json")
    assert sink.rows["accounts"][0]["source_key"] == "cus_00000000000000"


def test_gzip_files_are_read_and_truncated_ones_refused(tmp_path: Path) -> None:
    packed = gzip.compress(jsonl(CUSTOMER, INVOICE_PAID))
    _, sink = read_bytes(tmp_path, packed, name="events.jsonl.gz")
    assert len(sink.rows["accounts"]) == len(sink.rows["invoices"]) == 1
    with pytest.raises(InputFileError, match="gzip"):
        read_bytes(tmp_path, packed[: len(packed) // 2], name="cut.jsonl.gz")


@pytest.mark.parametrize(("content", "message"), [
    (b"id,object\ncus_1,customer\n", "this is not JSON"),
    (b'{"object": "event",\n "id": ', "not valid JSON"),
    (b"[1, 2", "not valid JSON"),
    (b"\xff\xfe\x00", "not valid"),
])
def test_files_that_are_not_json_are_refused_whole(tmp_path: Path, content: bytes,
                                                   message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        read_bytes(tmp_path, content, name="input.json")


def test_an_empty_file_loads_nothing(tmp_path: Path) -> None:
    adapter, sink = read_bytes(tmp_path, b"\n\n")
    assert adapter.records == 0 and sink.rejects == [] and not any(sink.rows.values())


def test_counts_describe_the_latest_file(tmp_path: Path) -> None:
    adapter = StripeAdapter()
    for name, content in (("a.jsonl", jsonl(CUSTOMER, 1)), ("b.jsonl", jsonl(CUSTOMER))):
        (tmp_path / name).write_bytes(content)
        adapter.read(SourceFile(tmp_path / name, NOW), CollectingSink(now=NOW))
    assert (adapter.records, adapter.mapped, adapter.rejected) == (1, 1, 0)


@pytest.mark.parametrize("decimal", ["1e-999999999", "1e999999999", "NaN", "-1", "12,5"])
def test_implausible_decimal_prices_are_rejected_quickly(tmp_path: Path, decimal: str) -> None:
    event = copy.deepcopy(SUBSCRIPTION)
    the_price = event["data"]["object"]["items"]["data"][0]["price"]
    the_price["unit_amount"], the_price["unit_amount_decimal"] = None, decimal
    reject = single_reject(tmp_path, event)
    assert reject.field == "data.object.items.data[0].price.unit_amount_decimal"
