"""Every file parses with the standard library, in the documented vendor layout."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from successlink.warehouse.tables import TABLES
from tests.synth.helpers import Events, csv_rows, segment_messages, stripe_events

OLD, BASIL = "2020-08-27", "2025-03-31.basil"
EVENT_TYPES = {
    "customer.created", "checkout.session.completed", "customer.subscription.created",
    "customer.subscription.updated", "customer.subscription.deleted", "invoice.paid",
    "invoice.payment_failed", "invoice.marked_uncollectible", "invoice_payment.paid",
    "charge.succeeded", "charge.failed", "charge.refunded", "refund.created",
    "charge.dispute.created",
}
SEGMENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")
ZENDESK_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
HUBSPOT_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
ROLES = {"DECISION_MAKER", "CHAMPION", "INFLUENCER", "BUDGET_HOLDER", "END_USER",
         "EXECUTIVE_SPONSOR"}


def _by_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def test_stripe_events_are_webhook_envelopes_in_time_order(small_world: Path) -> None:
    events = stripe_events(small_world)
    assert {tuple(sorted(e)) for e in events} == {tuple(sorted(
        ("id", "object", "api_version", "created", "data", "livemode", "pending_webhooks",
         "request", "type")))}
    assert {e["object"] for e in events} == {"event"}
    assert all(e["livemode"] is False for e in events)
    assert {e["type"] for e in events} <= EVENT_TYPES
    assert len({e["id"] for e in events}) == len(events)
    assert all(e["id"].startswith("evt_") for e in events)
    created = [e["created"] for e in events]
    assert created == sorted(created)
    updates = _by_type(events, "customer.subscription.updated")
    assert updates and all("previous_attributes" in e["data"] for e in updates)


def test_half_of_the_customers_use_each_api_version(small_world: Path) -> None:
    versions = Counter(e["api_version"] for e in _by_type(stripe_events(small_world),
                                                          "customer.created"))
    assert set(versions) == {OLD, BASIL}
    assert 0.35 < versions[OLD] / sum(versions.values()) < 0.65


def test_old_and_basil_shapes_put_subscription_and_periods_where_each_version_does(
        small_world: Path) -> None:
    events = stripe_events(small_world)
    for event in _by_type(events, "invoice.paid"):
        invoice = event["data"]["object"]
        if event["api_version"] == OLD:
            assert invoice["subscription"].startswith("sub_")
            assert "charge" in invoice and "parent" not in invoice
        else:
            assert "subscription" not in invoice and "charge" not in invoice
            assert invoice["parent"]["subscription_details"]["subscription"].startswith("sub_")
            assert invoice["payments"]["object"] == "list"
    for event in _by_type(events, "customer.subscription.created"):
        sub = event["data"]["object"]
        item = sub["items"]["data"][0]
        if event["api_version"] == OLD:
            assert isinstance(sub["current_period_start"], int)
            assert "current_period_start" not in item
        else:
            assert "current_period_start" not in sub
            assert isinstance(item["current_period_end"], int)


def test_amounts_are_integer_minor_units_in_lower_case_currencies(small_world: Path) -> None:
    events = stripe_events(small_world)
    currencies: Counter[str] = Counter()
    for event in events:
        obj = event["data"]["object"]
        for key in ("amount", "amount_due", "amount_paid", "total", "subtotal",
                    "amount_refunded", "amount_total"):
            if key in obj:
                assert type(obj[key]) is int and obj[key] >= 0, (event["id"], key)
        if "currency" in obj and obj["currency"] is not None:
            assert obj["currency"] in ("usd", "eur")
        if event["type"] == "customer.subscription.created":
            currencies[obj["currency"]] += 1
    assert 0.03 < currencies["eur"] / sum(currencies.values()) < 0.25


def test_cancellations_carry_stripe_reason_and_customer_feedback(small_world: Path) -> None:
    feedback = {"too_expensive", "missing_features", "switched_service", "unused",
                "customer_service", "low_quality", "other"}
    deleted = _by_type(stripe_events(small_world), "customer.subscription.deleted")
    assert deleted
    for event in deleted:
        sub = event["data"]["object"]
        details = sub["cancellation_details"]
        assert sub["status"] == "canceled" and sub["ended_at"] == event["created"]
        if details["reason"] == "cancellation_requested":
            assert details["feedback"] in feedback
        else:
            assert details == {"comment": None, "feedback": None, "reason": "payment_failed"}


def test_refunds_and_disputes_are_stripe_objects(medium_events: Events) -> None:
    events = medium_events
    refunds = [e["data"]["object"] for e in _by_type(events, "refund.created")]
    refunds += [r for e in _by_type(events, "charge.refunded")
                for r in e["data"]["object"].get("refunds", {}).get("data", [])]
    assert refunds
    for refund in refunds:
        assert {"id", "object", "amount", "charge", "currency", "status", "reason",
                "created"} <= set(refund)
        assert refund["id"].startswith("re_") and refund["status"] == "succeeded"
    disputes = [e["data"]["object"] for e in _by_type(events, "charge.dispute.created")]
    assert disputes
    for dispute in disputes:
        assert dispute["id"].startswith("dp_") and dispute["charge"].startswith("ch_")
        assert type(dispute["amount"]) is int and dispute["currency"] in ("usd", "eur")


def test_plan_and_seat_changes_keep_the_old_items_in_previous_attributes(
        medium_events: Events) -> None:
    changed = [e for e in _by_type(medium_events, "customer.subscription.updated")
               if "items" in e["data"]["previous_attributes"]
               and "latest_invoice" not in e["data"]["previous_attributes"]]
    assert changed
    kinds: Counter[str] = Counter()
    for event in changed:
        old = event["data"]["previous_attributes"]["items"]["data"]
        new = event["data"]["object"]["items"]["data"]
        assert [(i["price"]["id"], i["quantity"]) for i in old] != [
            (i["price"]["id"], i["quantity"]) for i in new]
        kinds["added" if len(new) > len(old) else "same" if len(new) == len(old) else "less"] += 1
    assert kinds["added"] > 0 and kinds["same"] > 0


def test_segment_lines_are_spec_messages(small_world: Path) -> None:
    kinds: Counter[str] = Counter()
    ids = set()
    for message in segment_messages(small_world):
        kinds[message["type"]] += 1
        ids.add(message["messageId"])
        assert SEGMENT_TIME.match(message["timestamp"])
        if message["type"] in ("track", "page"):
            assert message["context"]["groupId"].startswith("acct_")
            assert message["userId"].startswith("usr_")
            assert isinstance(message["properties"], dict)
        if message["type"] == "track":
            assert isinstance(message["event"], str)
        if message["type"] == "identify":
            assert "@" in message["traits"]["email"] and message["traits"]["name"]
        if message["type"] == "group":
            assert message["groupId"].startswith("acct_")
            assert {"name", "website", "industry", "employees", "plan"} <= set(
                message["traits"])
    assert set(kinds) == {"track", "page", "identify", "group"}
    assert kinds["group"] == 300
    assert len(ids) == sum(kinds.values())


def test_zendesk_exports_are_incremental_pages(small_world: Path) -> None:
    page = json.loads((small_world / "zendesk" / "tickets.json").read_text(encoding="utf-8"))
    assert page["end_of_stream"] is True and isinstance(page["end_time"], int)
    tickets = page["tickets"]
    assert tickets and page["count"] == len(tickets)
    assert len({t["id"] for t in tickets}) == len(tickets)
    for ticket in tickets:
        assert ZENDESK_TIME.match(ticket["created_at"]) and ZENDESK_TIME.match(
            ticket["updated_at"])
        assert ticket["priority"] in ("low", "normal", "high", "urgent")
        assert ticket["satisfaction_rating"]["score"] in ("good", "bad", "offered",
                                                          "unoffered")
        assert (ticket["solved_at"] is not None) == (ticket["status"] in ("solved", "closed"))
        assert {"channel", "source"} <= set(ticket["via"])
    updated = [t["updated_at"] for t in tickets]
    assert updated == sorted(updated)
    users = {u["id"] for u in page["users"]}
    assert {t["requester_id"] for t in tickets} == users
    orgs = json.loads((small_world / "zendesk" / "organizations.json").read_text(
        encoding="utf-8"))["organizations"]
    assert all(o["external_id"].startswith("acct_") and o["domain_names"] for o in orgs)


def test_survey_exports_are_delighted_csv(small_world: Path) -> None:
    header = ["Response ID", "Email", "Score", "Comment", "Created At",
              "Properties: account_id"]
    for name, (low, high) in (("nps", (0, 10)), ("csat", (1, 5))):
        columns, rows = csv_rows(small_world / "surveys" / f"{name}.csv")
        assert columns == header and rows
        assert all(low <= int(r["Score"]) <= high and "@" in r["Email"] for r in rows)
        tagged = sum(1 for r in rows if r["Properties: account_id"].startswith("acct_"))
        assert 0.7 < tagged / len(rows) < 0.98  # some answers match by e-mail only


def test_hubspot_exports_use_labels_and_internal_buying_roles(medium_world: Path) -> None:
    columns, companies = csv_rows(medium_world / "hubspot" / "companies.csv")
    assert columns == ["Record ID", "Company name", "Company Domain Name", "Industry",
                       "Number of Employees", "Country/Region", "Lifecycle Stage",
                       "Create Date"]
    assert 0.85 < len(companies) / 3000 < 0.95
    columns, contacts = csv_rows(medium_world / "hubspot" / "contacts.csv")
    assert columns == ["Record ID", "First Name", "Last Name", "Email", "Job Title",
                       "Buying Role", "Associated Company ID", "Create Date"]
    company_ids = {c["Record ID"] for c in companies}
    assert {c["Associated Company ID"] for c in contacts} == company_ids
    roles = Counter(c["Buying Role"] for c in contacts)
    assert {r for value in roles for r in value.split(";") if r} == ROLES
    assert roles[""] > 0 and any(";" in r for r in roles)
    assert all(HUBSPOT_TIME.match(c["Create Date"]) for c in contacts + companies)
    counts = Counter(c["Associated Company ID"] for c in contacts)
    assert min(counts.values()) >= 1 and max(counts.values()) <= 6
    free = sum(1 for c in contacts if c["Email"].endswith(("gmail.com", "yahoo.com",
                                                           "outlook.com", "hotmail.com",
                                                           "icloud.com")))
    assert 0 < free < len(contacts) * 0.2


def test_canonical_csvs_have_exactly_the_table_columns(small_world: Path) -> None:
    for table in ("cs_costs", "affiliates", "acquisitions"):
        columns, rows = csv_rows(small_world / "canonical" / f"{table}.csv")
        assert columns == list(TABLES[table].names), table
        assert rows
    _, costs = csv_rows(small_world / "canonical" / "cs_costs.csv")
    assert {r["cost_type"] for r in costs} == {"csm_salary", "tooling", "onboarding",
                                               "support"}
    assert all(int(r["amount_minor"]) >= 0 and r["currency"] == "USD" for r in costs)
    pooled = [r for r in costs if r["cost_type"] in ("csm_salary", "tooling")]
    assert pooled and all(r["account_id"] == "" for r in pooled)
    assert all(r["csm"].startswith("csm_") for r in costs if r["cost_type"] == "csm_salary")
    _, acquisitions = csv_rows(small_world / "canonical" / "acquisitions.csv")
    assert len(acquisitions) == 300
    assert all(r["acquisition_id"] == f"synth:{r['account_id']}" for r in acquisitions)


def test_manifest_counts_every_file(small_world: Path) -> None:
    manifest = json.loads((small_world / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 11 and manifest["arguments"]["customers"] == 300
    for name, count in manifest["files"].items():
        path = small_world / name
        if name.endswith((".jsonl",)):
            assert sum(1 for _ in path.open(encoding="utf-8")) == count, name
        elif name.endswith(".csv"):
            assert len(csv_rows(path)[1]) == count, name
    written = {str(p.relative_to(small_world)) for p in small_world.rglob("*") if p.is_file()}
    assert written == set(manifest["files"]) | {"manifest.json", "truth/README.md"}
