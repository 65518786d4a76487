"""The Stripe adapter on real payloads: ruby-mock events, Stripe's openapi objects, dj-stripe.

Expected values are read off the fixture JSON by hand (see tests/data/stripe/README.md).
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from successlink.ingest.records import CollectingSink, IngestOptions, SourceFile
from successlink.ingest.stripe import StripeAdapter

DATA = Path(__file__).resolve().parent.parent / "data" / "stripe"
RUBY = DATA / "stripe-ruby-mock-events"
OPENAPI = DATA / "openapi-fixtures3"
DJ = DATA / "dj-stripe-objects"
NOW = datetime(2026, 9, 1, tzinfo=UTC)


def utc(seconds: int) -> datetime:
    """The instant of a Unix timestamp copied from a fixture."""
    return datetime.fromtimestamp(seconds, UTC)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


def read(path: Path, options: IngestOptions | None = None) -> tuple[StripeAdapter, CollectingSink]:
    adapter, sink = StripeAdapter(), CollectingSink(now=NOW)
    adapter.read(SourceFile(path, NOW, options or IngestOptions()), sink)
    assert adapter.records == adapter.mapped + adapter.rejected + sum(adapter.ignored.values())
    assert len(sink.rejects) == adapter.rejected
    return adapter, sink


def read_jsonl(tmp_path: Path, records: list[Any],
               options: IngestOptions | None = None) -> tuple[StripeAdapter, CollectingSink]:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return read(path, options)


def only(sink: CollectingSink, table: str) -> dict[str, Any]:
    rows = sink.rows[table]
    assert len(rows) == 1, rows
    return rows[0]


# What each fixture file yields: tables written, ("ignored", kind) or ("reject", field).
EXPECTED: dict[str, Any] = {
    "dj-stripe-objects/charge_ch_fakefakefakefakefake0001.json": {"payments": 1},
    "dj-stripe-objects/customer_cus_6lsBvm5rJ0zyHc.json": {"accounts": 1},
    "dj-stripe-objects/invoice_in_fakefakefakefakefake0001.json": {"invoices": 1},
    "dj-stripe-objects/price_gold21323.json": ("ignored", "price"),
    "dj-stripe-objects/product_prod_fake1.json": ("ignored", "product"),
    "dj-stripe-objects/subscription_sub_fakefakefakefakefake0001.json": {"subscriptions": 1},
    "openapi-fixtures3/charge.json": {"payments": 1},
    "openapi-fixtures3/checkout.session.json": ("ignored", "checkout.session (not complete)"),
    "openapi-fixtures3/coupon.json": ("ignored", "coupon"),
    "openapi-fixtures3/credit_note.json": ("ignored", "credit_note"),
    "openapi-fixtures3/customer.json": {"accounts": 1},
    "openapi-fixtures3/deleted_customer.json": ("ignored", "customer (deleted, no details)"),
    "openapi-fixtures3/discount.json": ("ignored", "discount"),
    "openapi-fixtures3/dispute.json": {"disputes": 1},
    "openapi-fixtures3/event.json": ("ignored", "plan.created"),
    "openapi-fixtures3/invoice.json": {"invoices": 1},
    # Filler data: no charge or payment intent to key it by (see the test below).
    "openapi-fixtures3/invoice_payment.json": ("reject", "payment.payment_intent"),
    "openapi-fixtures3/line_item.json": ("ignored", "line_item"),
    "openapi-fixtures3/payment_intent.json": ("ignored", "payment_intent"),
    "openapi-fixtures3/plan.json": ("ignored", "plan"),
    "openapi-fixtures3/price.json": ("ignored", "price"),
    "openapi-fixtures3/product.json": ("ignored", "product"),
    "openapi-fixtures3/promotion_code.json": ("ignored", "promotion_code"),
    "openapi-fixtures3/refund.json": {"refunds": 1},
    "openapi-fixtures3/subscription.json": {"subscriptions": 1},
    "openapi-fixtures3/subscription_item.json": ("ignored", "subscription_item"),
    "stripe-ruby-mock-events/charge.dispute.created.json": {"disputes": 1},
    "stripe-ruby-mock-events/charge.refunded.json": {"payments": 1, "refunds": 1},
    "stripe-ruby-mock-events/charge.succeeded.json": {"payments": 1},
    "stripe-ruby-mock-events/checkout.session.completed.json":
        ("ignored", "checkout.session (no client_reference_id)"),
    "stripe-ruby-mock-events/checkout.session.completed.payment_mode.json":
        ("ignored", "checkout.session (no client_reference_id)"),
    "stripe-ruby-mock-events/customer.created.json": {"accounts": 1},
    "stripe-ruby-mock-events/customer.deleted.json": {"accounts": 1},
    "stripe-ruby-mock-events/customer.subscription.created.json":
        {"subscriptions": 1, "subscription_changes": 1},
    "stripe-ruby-mock-events/customer.subscription.deleted.json":
        {"subscriptions": 1, "subscription_changes": 1},
    # A hand-made mock whose two items bill in USD and EUR: not a possible Stripe state.
    "stripe-ruby-mock-events/customer.subscription.trial_will_end.json":
        ("reject", "data.object.items.data[1].plan.currency"),
    "stripe-ruby-mock-events/customer.subscription.updated.json": {"subscriptions": 1},
    "stripe-ruby-mock-events/customer.updated.json": {"accounts": 1},
    "stripe-ruby-mock-events/invoice.paid.json": {"invoices": 1},
    "stripe-ruby-mock-events/invoice.payment_failed.json": {"invoices": 1},
    "stripe-ruby-mock-events/invoice.payment_succeeded.json": {"invoices": 1},
}


def test_the_expectations_cover_every_fixture_file() -> None:
    on_disk = {p.relative_to(DATA).as_posix() for p in DATA.glob("*/*.json")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_fixture_file_is_mapped_ignored_or_rejected_as_expected(name: str) -> None:
    adapter, sink = read(DATA / name)
    expected = EXPECTED[name]
    assert adapter.records == 1
    if isinstance(expected, dict):
        assert {t: len(rows) for t, rows in sink.rows.items() if rows} == expected
        assert sink.rejects == [] and adapter.mapped == 1
    elif expected[0] == "ignored":
        assert dict(adapter.ignored) == {expected[1]: 1}
        assert not any(sink.rows.values()) and sink.rejects == []
    else:
        assert [(r.line, r.field) for r in sink.rejects] == [(1, expected[1])]
        assert not any(sink.rows.values())


# --- dj-stripe: a linked customer -> subscription -> invoice -> charge graph (pre-2025 API) ---

def test_dj_stripe_customer_becomes_an_account_keyed_by_its_customer_id() -> None:
    _, sink = read(DJ / "customer_cus_6lsBvm5rJ0zyHc.json")
    account = only(sink, "accounts")
    assert account["account_id"] is None  # no explicit account in metadata: the loader resolves
    assert account["source_key_kind"] == "stripe_customer"
    assert account["source_key"] == "cus_6lsBvm5rJ0zyHc"
    assert account["billing_email"] == "michael.smith@example.com"
    assert account["domain"] is None  # example.com is on the freemail list
    assert account["name"] is None and account["country"] is None
    assert account["created_at"] == utc(1557995166)
    assert sink.rows["acquisitions"] == [] and sink.rows["account_identities"] == []


def test_dj_stripe_subscription_reads_plan_and_top_level_period() -> None:
    _, sink = read(DJ / "subscription_sub_fakefakefakefakefake0001.json")
    sub = only(sink, "subscriptions")
    assert sub["subscription_id"] == "sub_fakefakefakefakefake0001"
    assert sub["customer_key"] == "cus_6lsBvm5rJ0zyHc"
    assert (sub["plan_id"], sub["plan_name"], sub["product_id"]) == (
        "gold21323", "New plan name", "prod_fake1")
    assert (sub["unit_amount_minor"], sub["currency"], sub["quantity"]) == (2000, "USD", 1)
    assert (sub["interval"], sub["interval_count"], sub["mrr_minor"]) == ("month", 1, 2000)
    assert sub["status"] == "active"
    assert sub["started_at"] == utc(1559476700)  # start_date, not created
    assert sub["current_period_start"] == utc(1557995176)
    assert sub["current_period_end"] == utc(1560673576)
    assert sub["canceled_at"] is None and sub["ended_at"] is None
    # A bare object's version is its latest past timestamp: start_date here.
    assert sub["updated_at"] == utc(1559476700)
    assert sink.rows["subscription_changes"] == []  # changes come from events only


def test_dj_stripe_invoice_is_linked_to_its_subscription_and_its_charge() -> None:
    _, invoices = read(DJ / "invoice_in_fakefakefakefakefake0001.json")
    _, charges = read(DJ / "charge_ch_fakefakefakefakefake0001.json")
    invoice = only(invoices, "invoices")
    payment = only(charges, "payments")
    assert invoice["invoice_id"] == "in_fakefakefakefakefake0001"
    assert invoice["subscription_id"] == "sub_fakefakefakefakefake0001"  # invoice.subscription
    assert invoice["customer_key"] == "cus_6lsBvm5rJ0zyHc"
    assert invoice["number"] == "E5B23224-0001"
    assert (invoice["status"], invoice["billing_reason"]) == ("paid", "subscription_create")
    assert (invoice["amount_paid_minor"], invoice["amount_due_minor"]) == (2000, 2000)
    assert (invoice["subtotal_minor"], invoice["total_minor"]) == (2000, 2000)
    assert invoice["paid_at"] == utc(1593225983)  # status_transitions.paid_at
    assert invoice["created_at"] == utc(1557995176)
    # `lines` is {} in this fixture, so the top-level period is used.
    assert invoice["period_start"] == invoice["period_end"] == utc(1557995176)
    assert invoice["updated_at"] == utc(1593225983)
    assert payment["payment_id"] == "ch_fakefakefakefakefake0001"
    assert payment["invoice_id"] == invoice["invoice_id"]
    assert (payment["amount_minor"], payment["amount_refunded_minor"]) == (2000, 0)
    assert (payment["status"], payment["currency"]) == ("succeeded", "USD")
    assert payment["customer_key"] == "cus_6lsBvm5rJ0zyHc"
    assert charges.rows["refunds"] == []  # refunds.data is empty


# --- openapi fixtures: the 2026 (Basil+) shapes ---

def test_openapi_invoice_reads_its_subscription_from_parent_and_period_from_lines() -> None:
    _, sink = read(OPENAPI / "invoice.json")
    invoice = only(sink, "invoices")
    assert invoice["invoice_id"] == "in_1Pgc6tB7WZ01zgkWu9fdqL6I"
    # `subscription` is null; parent.subscription_details.subscription is "subscription".
    assert invoice["subscription_id"] == "subscription"
    assert (invoice["status"], invoice["amount_due_minor"], invoice["amount_paid_minor"]) == (
        "draft", 1000, 0)
    assert invoice["period_start"] == invoice["period_end"] == utc(1721954054)
    assert invoice["paid_at"] is None
    assert invoice["created_at"] == invoice["updated_at"] == utc(1234567890)


def test_openapi_subscription_reads_price_and_periods_from_its_items() -> None:
    _, sink = read(OPENAPI / "subscription.json")
    sub = only(sink, "subscriptions")
    # The item's `price` (2000 USD / month) wins over its filler legacy `plan`.
    assert (sub["plan_id"], sub["product_id"]) == (
        "price_1PgafmB7WZ01zgkW6dKueIc5", "prod_QXg1hqf4jFNsqG")
    assert (sub["unit_amount_minor"], sub["interval"], sub["interval_count"]) == (
        2000, "month", 1)
    assert sub["mrr_minor"] == 2000
    # No top-level current_period_*: read from items.data[0] (filler values, kept as given).
    assert sub["current_period_start"] == utc(1896570518)
    assert sub["current_period_end"] == utc(976287773)
    assert sub["canceled_at"] == sub["ended_at"] == sub["cancel_at"] == utc(1234567890)
    assert sub["cancellation_reason"] is None  # cancellation_details are all null
    # The 2030 item period start has not happened yet, so it is not the version.
    assert sub["updated_at"] == utc(1234567890)


def test_subscription_periods_come_from_the_top_level_when_both_shapes_are_present(
        tmp_path: Path) -> None:
    sub = load(OPENAPI / "subscription.json")
    sub["current_period_start"], sub["current_period_end"] = 1700000000, 1702592000
    _, sink = read_jsonl(tmp_path, [sub])
    row = only(sink, "subscriptions")
    assert (row["current_period_start"], row["current_period_end"]) == (
        utc(1700000000), utc(1702592000))
    assert row["updated_at"] == utc(1700000000)  # a past period start is a later observation


def test_openapi_refund_dispute_and_charge_link_to_the_same_charge() -> None:
    refund = only(read(OPENAPI / "refund.json")[1], "refunds")
    dispute = only(read(OPENAPI / "dispute.json")[1], "disputes")
    payment = only(read(OPENAPI / "charge.json")[1], "payments")
    assert refund["payment_id"] == dispute["payment_id"] == payment["payment_id"] == (
        "ch_1PgafuB7WZ01zgkWXYmPNZs8")
    assert (refund["refund_id"], refund["amount_minor"], refund["status"]) == (
        "re_1Pgc72B7WZ01zgkWqPvrRrPE", 100, "succeeded")
    assert (dispute["dispute_id"], dispute["amount_minor"]) == ("dp_1Pgc71B7WZ01zgkWMevJiAUx", 1000)
    assert (dispute["status"], dispute["reason"]) == ("warning_needs_response", "general")
    assert (payment["amount_minor"], payment["status"], payment["invoice_id"]) == (
        100, "succeeded", None)


def test_openapi_invoice_payment_filler_is_rejected_naming_the_missing_link() -> None:
    _, sink = read(OPENAPI / "invoice_payment.json")
    (reject,) = sink.rejects
    assert reject.field == "payment.payment_intent"
    assert "payment.charge or payment.payment_intent" in reject.reason


def test_invoice_payment_merges_with_its_charge_instead_of_double_counting(
        tmp_path: Path) -> None:
    charge = load(OPENAPI / "charge.json")
    del charge["refunds"]  # charges after 2022-11-15 have no refunds field
    payment = load(OPENAPI / "invoice_payment.json")
    payment.update(currency="usd", status="paid", amount_paid=100, amount_requested=100,
                   created=1234567990, invoice="in_1Pgc6tB7WZ01zgkWu9fdqL6I",
                   payment={"type": "charge", "charge": "ch_1PgafuB7WZ01zgkWXYmPNZs8"},
                   status_transitions={"canceled_at": None, "paid_at": 1234568000})
    _, sink = read_jsonl(tmp_path, [charge, payment])
    assert sink.rejects == []
    from_charge, from_invoice_payment = sink.rows["payments"]
    assert from_charge["payment_id"] == from_invoice_payment["payment_id"] == (
        "ch_1PgafuB7WZ01zgkWXYmPNZs8")
    assert from_invoice_payment["invoice_id"] == "in_1Pgc6tB7WZ01zgkWu9fdqL6I"
    assert (from_invoice_payment["amount_minor"], from_invoice_payment["status"]) == (
        100, "succeeded")
    assert from_invoice_payment["updated_at"] == utc(1234568000)  # paid_at
    assert sink.rows["refunds"] == []


# --- ruby-mock webhook events (API 2020-08-27) ---

RUBY_ORDER = [
    "charge.dispute.created", "charge.refunded", "charge.succeeded",
    "checkout.session.completed", "checkout.session.completed.payment_mode",
    "customer.created", "customer.deleted", "customer.subscription.created",
    "customer.subscription.deleted", "customer.subscription.trial_will_end",
    "customer.subscription.updated", "customer.updated", "invoice.paid",
    "invoice.payment_failed", "invoice.payment_succeeded",
]


def test_the_fifteen_ruby_events_in_one_json_lines_file(tmp_path: Path) -> None:
    events = [load(RUBY / f"{name}.json") for name in RUBY_ORDER]
    adapter, sink = read_jsonl(tmp_path, events)
    counts = {table: len(rows) for table, rows in sink.rows.items() if rows}
    assert counts == {"disputes": 1, "payments": 2, "refunds": 1, "accounts": 3,
                      "subscriptions": 3, "subscription_changes": 2, "invoices": 3}
    # They all share evt_000...: fine here, de-duplication happens in the warehouse.
    changes = sink.rows["subscription_changes"]
    assert {c["change_id"] for c in changes} == {"evt_000000000000000000000000"}
    assert [(r.line, r.field) for r in sink.rejects] == [
        (10, "data.object.items.data[1].plan.currency")]
    assert adapter.ignored == Counter({"checkout.session (no client_reference_id)": 2})
    assert (adapter.records, adapter.mapped) == (15, 12)


def test_subscription_created_and_deleted_events_are_new_and_cancel_changes() -> None:
    _, created = read(RUBY / "customer.subscription.created.json")
    _, deleted = read(RUBY / "customer.subscription.deleted.json")
    new = only(created, "subscription_changes")
    cancel = only(deleted, "subscription_changes")
    assert (new["change_type"], new["mrr_delta_minor"], new["currency"]) == ("new", 1500, "USD")
    assert (new["from_plan_id"], new["to_plan_id"]) == (None, "price_000000000000000000000000")
    assert (new["from_quantity"], new["to_quantity"]) == (0, 1)
    assert new["changed_at"] == utc(1648320110)
    assert (cancel["change_type"], cancel["mrr_delta_minor"]) == ("cancel", -1500)
    assert (cancel["from_plan_id"], cancel["to_plan_id"]) == (
        "price_000000000000000000000000", None)
    sub = only(deleted, "subscriptions")
    assert sub["status"] == "canceled"
    assert sub["canceled_at"] == sub["ended_at"] == utc(1648320097)
    assert sub["updated_at"] == utc(1648320097)  # the event's created


def test_a_schedule_only_update_writes_the_state_but_no_change() -> None:
    _, sink = read(RUBY / "customer.subscription.updated.json")
    assert only(sink, "subscriptions")["updated_at"] == utc(1648320106)
    assert sink.rows["subscription_changes"] == []


def test_charge_refunded_event_writes_the_payment_and_its_embedded_refund() -> None:
    _, sink = read(RUBY / "charge.refunded.json")
    payment = only(sink, "payments")
    refund = only(sink, "refunds")
    assert (payment["payment_id"], payment["amount_minor"], payment["amount_refunded_minor"]) == (
        "ch_000000000000000000000000", 100, 100)
    assert payment["customer_key"] is None  # the CLI charge has no customer
    assert (refund["refund_id"], refund["payment_id"], refund["amount_minor"]) == (
        "re_000000000000000000000000", "ch_000000000000000000000000", 100)
    assert refund["created_at"] == utc(1648319949)
    assert payment["updated_at"] == refund["updated_at"] == utc(1648319949)


def test_invoice_payment_failed_updates_the_invoice_row() -> None:
    _, sink = read(RUBY / "invoice.payment_failed.json")
    invoice = only(sink, "invoices")
    assert (invoice["status"], invoice["amount_paid_minor"], invoice["amount_due_minor"]) == (
        "open", 0, 2000)
    assert invoice["paid_at"] is None
    assert invoice["updated_at"] == utc(1648320009)  # the event's created
    # The only line's period (1648320006), not the top-level period (1648320007).
    assert invoice["period_start"] == invoice["period_end"] == utc(1648320006)


def test_customer_deleted_event_keeps_the_account_and_marks_it_deleted() -> None:
    _, sink = read(RUBY / "customer.deleted.json")
    account = only(sink, "accounts")
    assert account["source_key"] == "cus_00000000000000"
    assert orjson.loads(account["properties"]) == {"deleted": True}


def test_dispute_event_maps_the_dispute() -> None:
    _, sink = read(RUBY / "charge.dispute.created.json")
    dispute = only(sink, "disputes")
    assert (dispute["dispute_id"], dispute["payment_id"]) == (
        "dp_000000000000000000000000", "ch_000000000000000000000000")
    assert (dispute["amount_minor"], dispute["reason"]) == (100, "fraudulent")
    assert dispute["status"] == "warning_needs_response"


# --- acquisitions ---

def test_customer_metadata_names_the_affiliate_with_a_custom_key(tmp_path: Path) -> None:
    customer = load(DJ / "customer_cus_6lsBvm5rJ0zyHc.json")
    customer["metadata"] = {"partner_ref": " aff_42 ", "affiliate": "not-this-one",
                            "successlink_account_id": "acct-9"}
    options = IngestOptions(affiliate_metadata_key="partner_ref")
    _, sink = read_jsonl(tmp_path, [customer], options)
    acquisition = only(sink, "acquisitions")
    assert acquisition == {
        "acquisition_id": "stripe:cus_6lsBvm5rJ0zyHc", "account_id": "acct-9",
        "customer_key": "cus_6lsBvm5rJ0zyHc", "email": "michael.smith@example.com",
        "channel": "affiliate", "affiliate_id": "aff_42", "campaign": None,
        "acquired_at": utc(1557995166), "source": "stripe",
    }
    assert only(sink, "accounts")["account_id"] == "acct-9"
    identity = only(sink, "account_identities")
    assert (identity["kind"], identity["key"], identity["account_id"]) == (
        "stripe_customer", "cus_6lsBvm5rJ0zyHc", "acct-9")


def test_customer_without_the_affiliate_key_is_no_acquisition(tmp_path: Path) -> None:
    customer = load(DJ / "customer_cus_6lsBvm5rJ0zyHc.json")
    customer["metadata"] = {"affiliate": "aff_1"}
    _, sink = read_jsonl(tmp_path, [customer], IngestOptions(affiliate_metadata_key="partner"))
    assert sink.rows["acquisitions"] == [] and len(sink.rows["accounts"]) == 1


def test_completed_checkout_with_client_reference_id_is_an_affiliate_acquisition(
        tmp_path: Path) -> None:
    event = load(RUBY / "checkout.session.completed.json")
    event["data"]["object"]["client_reference_id"] = "aff_7"
    _, sink = read_jsonl(tmp_path, [event])
    assert only(sink, "acquisitions") == {
        "acquisition_id": "stripe:cs_test_" + "0" * 58, "account_id": None,
        "customer_key": "cus_00000000000000", "email": "stripe@example.com",
        "channel": "affiliate", "affiliate_id": "aff_7", "campaign": None,
        # This 2020 session has no `created`: the event's time is used.
        "acquired_at": utc(1648319959), "source": "stripe",
    }


def test_bare_checkout_session_needs_to_be_complete(tmp_path: Path) -> None:
    session = load(OPENAPI / "checkout.session.json")
    session["client_reference_id"] = "aff_9"
    open_one = copy.deepcopy(session)
    session["status"] = "complete"
    adapter, sink = read_jsonl(tmp_path, [session, open_one])
    acquisition = only(sink, "acquisitions")
    assert acquisition["affiliate_id"] == "aff_9"
    assert acquisition["email"] == "example@example.com"  # customer_details.email
    assert acquisition["acquired_at"] == utc(1234567890)
    assert adapter.ignored == Counter({"checkout.session (not complete)": 1})


def test_expired_checkout_session_event_is_ignored(tmp_path: Path) -> None:
    event = load(RUBY / "checkout.session.completed.json")
    event["type"] = "checkout.session.expired"
    event["data"]["object"]["client_reference_id"] = "aff_7"
    adapter, sink = read_jsonl(tmp_path, [event])
    assert sink.rows["acquisitions"] == []
    assert adapter.ignored == Counter({"checkout.session.expired": 1})


# --- file shapes ---

def test_list_response_elements_are_read_one_by_one_with_their_index(tmp_path: Path) -> None:
    customer = load(OPENAPI / "customer.json")
    product = load(OPENAPI / "product.json")
    broken = load(OPENAPI / "refund.json")
    broken["amount"] = -5
    page = {"object": "list", "url": "/v1/x", "has_more": False,
            "data": [customer, product, broken]}
    path = tmp_path / "page.json"
    path.write_bytes(orjson.dumps(page, option=orjson.OPT_INDENT_2))
    adapter, sink = read(path)
    assert len(sink.rows["accounts"]) == 1
    assert adapter.ignored == Counter({"product": 1})
    assert [(r.line, r.field, r.reason) for r in sink.rejects] == [
        (1, "data[2].amount",
         "is negative (Stripe amounts are integers in minor units, e.g. 1200 for 12.00 EUR)")]


def test_events_in_a_json_array_are_numbered_by_position(tmp_path: Path) -> None:
    events = [load(RUBY / "customer.created.json"), load(RUBY / "invoice.paid.json")]
    events[1]["data"]["object"]["amount_paid"] = "12,00"
    path = tmp_path / "events.json"
    path.write_bytes(orjson.dumps(events))
    _, sink = read(path)
    assert len(sink.rows["accounts"]) == 1
    (reject,) = sink.rejects
    assert (reject.line, reject.field, reject.value) == (2, "data.object.amount_paid", "12,00")
    assert reject.reason.startswith("'12,00' is not an integer (Stripe amounts are integers")


def test_reading_the_same_export_twice_gives_the_same_rows() -> None:
    first = read(DJ / "subscription_sub_fakefakefakefakefake0001.json")[1].rows
    second = read(DJ / "subscription_sub_fakefakefakefakefake0001.json")[1].rows
    assert first == second


def test_the_adapter_describes_itself() -> None:
    adapter = StripeAdapter()
    assert adapter.name == "stripe"
    assert {"subscriptions", "invoices", "payments", "acquisitions"} <= set(adapter.tables)


def test_a_charge_without_a_refunds_field_loads(tmp_path: Path) -> None:
    charge = load(OPENAPI / "charge.json")
    del charge["refunds"]  # API 2022-11-15 and later
    _, sink = read_jsonl(tmp_path, [charge])
    assert only(sink, "payments")["payment_id"] == "ch_1PgafuB7WZ01zgkWXYmPNZs8"
    assert sink.rows["refunds"] == []


def test_invoice_payment_without_a_charge_is_keyed_by_its_payment_intent(tmp_path: Path) -> None:
    payment = load(OPENAPI / "invoice_payment.json")
    payment.update(currency="eur", status="open", amount_requested=4900, invoice="in_42",
                   payment={"type": "payment_intent", "payment_intent": "pi_42"},
                   created=1700000000)
    _, sink = read_jsonl(tmp_path, [payment])
    row = only(sink, "payments")
    assert (row["payment_id"], row["invoice_id"], row["status"]) == ("pi_42", "in_42", "pending")
    assert (row["amount_minor"], row["currency"]) == (4900, "EUR")


def test_search_results_are_read_like_lists(tmp_path: Path) -> None:
    page = {"object": "search_result", "data": [load(OPENAPI / "refund.json")]}
    _, sink = read_jsonl(tmp_path, [page])
    assert only(sink, "refunds")["refund_id"] == "re_1Pgc72B7WZ01zgkWqPvrRrPE"
