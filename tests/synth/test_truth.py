"""The ground truth agrees with what the vendor files say."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from successlink.ingest.identity import company_domain
from tests.synth.helpers import HORIZON, csv_rows, epoch, instant, stripe_events, truth


def _customer_events(world: Path) -> dict[str, list[dict[str, Any]]]:
    """Events per Stripe customer, in file (time) order."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in stripe_events(world):
        obj = event["data"]["object"]
        customer = obj["id"] if obj["object"] == "customer" else obj.get("customer")
        if customer is not None:
            grouped[customer].append(event)
    return grouped


def test_churned_accounts_end_with_a_deletion_at_churn_time(small_world: Path) -> None:
    events = _customer_events(small_world)
    for account in truth(small_world, "accounts"):
        subs = [e for e in events[account["stripe_customer_id"]]
                if e["type"].startswith("customer.subscription.")]
        last = subs[-1]
        if account["churned_at"] is None:
            assert last["type"] != "customer.subscription.deleted", account["account_id"]
            continue
        assert last["type"] == "customer.subscription.deleted", account["account_id"]
        assert epoch(last["created"]) == account["churned_at"]
        details = last["data"]["object"]["cancellation_details"]
        assert account["churn_reason"] == (details["feedback"] or details["reason"])


def test_customers_name_their_account_and_referring_affiliate(small_world: Path) -> None:
    events = _customer_events(small_world)
    referred = 0
    for account in truth(small_world, "accounts"):
        mine = events[account["stripe_customer_id"]]
        customer = next(e for e in mine if e["type"] == "customer.created")["data"]["object"]
        checkout = next(e for e in mine if e["type"] == "checkout.session.completed")
        assert customer["metadata"]["account_id"] == account["account_id"]
        assert customer["metadata"].get("affiliate") == account["affiliate_id"]
        assert checkout["data"]["object"]["client_reference_id"] == account["affiliate_id"]
        assert (account["affiliate_id"] is not None) == (account["channel"] == "affiliate")
        referred += account["affiliate_id"] is not None
        assert epoch(customer["created"]) == account["acquired_at"]
    assert referred > 50


def test_initial_plan_and_interval_match_the_first_subscription(small_world: Path) -> None:
    events = _customer_events(small_world)
    for account in truth(small_world, "accounts"):
        created = next(e for e in events[account["stripe_customer_id"]]
                       if e["type"] == "customer.subscription.created")["data"]["object"]
        item = created["items"]["data"][0]
        assert item["price"]["id"].startswith(f"price_{account['initial_plan']}_")
        assert item["price"]["recurring"]["interval"] == account["billing_interval"]
        assert item["quantity"] == account["initial_seats"]
        assert created["currency"] == account["currency"].lower()
        assert (created["status"] == "trialing") == account["trial"]


def test_acquisitions_and_affiliate_counts_agree_with_the_truth(small_world: Path) -> None:
    accounts = {a["account_id"]: a for a in truth(small_world, "accounts")}
    _, acquisitions = csv_rows(small_world / "canonical" / "acquisitions.csv")
    for row in acquisitions:
        account = accounts[row["account_id"]]
        assert row["channel"] == account["channel"]
        assert (row["affiliate_id"] or None) == account["affiliate_id"]
        assert instant(row["acquired_at"]) == account["acquired_at"]
        assert row["customer_key"] == account["stripe_customer_id"]
    referred = Counter(a["affiliate_id"] for a in accounts.values() if a["affiliate_id"])
    affiliates = truth(small_world, "affiliates")
    assert {a["affiliate_id"]: a["referred_accounts"] for a in affiliates if
            a["referred_accounts"]} == dict(referred)
    _, listed = csv_rows(small_world / "canonical" / "affiliates.csv")
    assert [a["affiliate_id"] for a in listed] == [a["affiliate_id"] for a in affiliates]


def test_crm_and_helpdesk_ids_in_the_truth_exist_in_the_exports(small_world: Path) -> None:
    accounts = truth(small_world, "accounts")
    _, companies = csv_rows(small_world / "hubspot" / "companies.csv")
    by_id = {c["Record ID"]: c for c in companies}
    orgs = {str(o["id"]): o for o in json.loads((small_world / "zendesk" / "organizations.json")
                                                .read_text(encoding="utf-8"))["organizations"]}
    for account in accounts:
        company = by_id.get(account["hubspot_company_id"] or "")
        assert (company is None) == (account["hubspot_company_id"] is None)
        if company is not None:
            assert company["Company Domain Name"] == account["domain"]
        org = orgs.get(account["zendesk_organization_id"] or "")
        assert (org is None) == (account["zendesk_organization_id"] is None)
        if org is not None:
            assert org["external_id"] == account["account_id"]


def test_self_referrals_bill_to_the_affiliates_own_domain(medium_world: Path) -> None:
    accounts = truth(medium_world, "accounts")
    domains = {a["affiliate_id"]: a["domain"] for a in truth(medium_world, "affiliates")}
    own = [a for a in accounts if a["self_referral"]]
    assert own
    for account in own:
        assert company_domain(account["billing_email"]) == domains[account["affiliate_id"]]
        assert account["is_fraud_referral"]
    affiliate_domains = {d for d in domains.values() if d}
    honest = [a for a in accounts if not a["self_referral"]]
    assert not [a for a in honest if company_domain(a["billing_email"]) in affiliate_domains]


def test_monthly_health_has_one_row_per_account_month_in_service(small_world: Path) -> None:
    rows = truth(small_world, "monthly_health")
    keys = [(r["account_id"], r["month"]) for r in rows]
    assert len(keys) == len(set(keys))
    accounts = {a["account_id"]: a for a in truth(small_world, "accounts")}
    first: dict[str, date] = {}
    for row in rows:
        first.setdefault(row["account_id"], row["month"])
        assert row["month"].day == 1 and row["month"] < HORIZON.date()
    assert set(first) == set(accounts)
    for account_id, month in first.items():
        acquired = accounts[account_id]["acquired_at"]
        assert month == date(acquired.year, acquired.month, 1)


def _items(obj: dict[str, Any]) -> list[tuple[str, int]]:
    return sorted(((line.get("price") or {}).get("id")
                   or line["pricing"]["price_details"]["price"], line["quantity"])
                  for line in (obj["lines"] if "lines" in obj else obj["items"])["data"])


def test_invoices_bill_the_plan_in_force_when_they_open(small_world: Path) -> None:
    history: dict[str, list[tuple[int, list[tuple[str, int]]]]] = defaultdict(list)
    checked = 0
    for event in stripe_events(small_world):
        obj = event["data"]["object"]
        if obj["object"] == "subscription":
            history[obj["id"]].append((event["created"], _items(obj)))
        if event["type"] == "invoice.paid" and obj["total"] > 0:
            sub = obj.get("subscription") or obj["parent"]["subscription_details"][
                "subscription"]
            in_force = [items for at, items in history[sub] if at <= obj["created"]][-1]
            assert _items(obj) == in_force, obj["id"]
            assert obj["total"] == sum(line["amount"] for line in obj["lines"]["data"])
            checked += 1
    assert checked > 500
