"""Identity resolution on every backend: explicit ids, source keys, e-mail, domain, minting,
and late matching of rows that arrived before their company."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from successlink.warehouse.connect import Warehouse
from successlink.warehouse.load import rematch_unresolved
from tests.warehouse.rowfiles import load, rows_of

T = datetime(2024, 3, 1, tzinfo=UTC)
RULES = ("account_id", "stripe_customer", "segment_group", "zendesk_org", "hubspot_company",
         "segment_user", "email", "domain")


def stripe_customer(cus: str, email: str, account_id: str | None = None) -> tuple[str, dict]:
    return ("accounts", {"account_id": account_id, "source_key_kind": "stripe_customer",
                         "source_key": cus, "billing_email": email,
                         "domain": email.split("@")[1] if "gmail" not in email else None,
                         "source": "stripe", "created_at": T})


def hubspot_company(cid: str, domain: str, name: str) -> tuple[str, dict]:
    return ("accounts", {"source_key_kind": "hubspot_company", "source_key": cid,
                         "domain": domain, "name": name, "industry": "Software",
                         "source": "hubspot"})


def ticket(tid: str, email: str | None = None, org: str | None = None) -> tuple[str, dict]:
    return ("support_tickets", {"ticket_id": tid, "status": "open", "created_at": T,
                                "updated_at": T, "requester_email": email,
                                "organization_key": org, "source": "zendesk"})


def test_explicit_id_wins_and_unknown_company_is_minted(any_warehouse: Warehouse,
                                                        tmp_path: Path, now):
    load(any_warehouse, tmp_path, [stripe_customer("cus_1", "ann@acme.io", "acct_42"),
                                   stripe_customer("cus_2", "bob@beta.io")], now)
    assert rows_of(any_warehouse, "accounts", "account_id", "source_key") == [
        ("acct_42", "cus_1"), ("stripe_customer:cus_2", "cus_2")]


def test_company_from_another_source_joins_by_domain_and_keeps_fields(
        any_warehouse: Warehouse, tmp_path: Path, now):
    load(any_warehouse, tmp_path, [stripe_customer("cus_1", "ann@acme.io", "acct_42")], now,
         name="stripe")
    load(any_warehouse, tmp_path, [hubspot_company("hubspot:9", "acme.io", "Acme")], now,
         name="hubspot")
    rows = rows_of(any_warehouse, "accounts", "account_id", "name", "billing_email", "industry")
    # One account: HubSpot adds name and industry, and the Stripe e-mail is not erased.
    assert rows == [("acct_42", "Acme", "ann@acme.io", "Software")]


def test_ticket_matches_by_email_domain_but_never_by_freemail(any_warehouse: Warehouse,
                                                              tmp_path: Path, now):
    load(any_warehouse, tmp_path, [stripe_customer("cus_1", "ann@acme.io", "acct_42"),
                                   stripe_customer("cus_2", "joe@gmail.com")], now, name="s")
    report = load(any_warehouse, tmp_path, [ticket("z:1", "carl@acme.io"),
                                            ticket("z:2", "joe@gmail.com"),
                                            ticket("z:3", "eve@gmail.com")], now, name="z")
    assert rows_of(any_warehouse, "support_tickets", "ticket_id", "account_id") == [
        ("z:1", "acct_42"), ("z:2", "stripe_customer:cus_2"), ("z:3", None)]
    counts = report.tables["support_tickets"]
    assert (counts.matched, counts.unmatched) == (2, 1)


def test_rows_loaded_before_their_company_match_later(any_warehouse: Warehouse,
                                                      tmp_path: Path, now):
    load(any_warehouse, tmp_path, [ticket("z:1", org="77")], now, name="tickets")
    assert rows_of(any_warehouse, "support_tickets", "account_id") == [(None,)]
    link = ("account_identities", {"kind": "zendesk_org", "key": "77", "account_id": "acct_7",
                                   "source": "zendesk", "observed_at": T})
    load(any_warehouse, tmp_path, [link], now, name="orgs")
    assert rematch_unresolved(any_warehouse, rules=RULES) == {"support_tickets": 1}
    assert rows_of(any_warehouse, "support_tickets", "account_id") == [("acct_7",)]
    assert rematch_unresolved(any_warehouse, rules=RULES) == {}


def test_rule_order_is_configurable(any_warehouse: Warehouse, tmp_path: Path, now):
    load(any_warehouse, tmp_path, [stripe_customer("cus_1", "ann@acme.io", "acct_42")], now,
         name="s")
    load(any_warehouse, tmp_path, [ticket("z:1", "carl@acme.io")], now, name="z",
         rules=("account_id", "email"))
    assert rows_of(any_warehouse, "support_tickets", "account_id") == [(None,)]


def test_reloading_one_source_after_another_changes_nothing(any_warehouse: Warehouse,
                                                            tmp_path: Path, now):
    stripe = [stripe_customer("cus_1", "ann@acme.io", "acct_42")]
    hubspot = [hubspot_company("hubspot:9", "acme.io", "Acme")]
    load(any_warehouse, tmp_path, stripe, now, name="stripe")
    load(any_warehouse, tmp_path, hubspot, now, name="hubspot")
    again = load(any_warehouse, tmp_path, stripe, now, name="stripe")
    assert (again.total("updated"), again.total("unchanged")) == (0, again.read)
    assert rows_of(any_warehouse, "accounts", "source_key_kind", "source_key") == [
        ("stripe_customer", "cus_1")]


def test_the_crm_describes_a_company_and_billing_only_fills_gaps(any_warehouse: Warehouse,
                                                                 tmp_path: Path, now):
    crm = [hubspot_company("hubspot:9", "acme.io", "Acme Inc")]
    billing = [("accounts", {**stripe_customer("cus_1", "ann@acme.io")[1], "name": "ACME"})]
    load(any_warehouse, tmp_path, crm, now, name="hubspot")
    load(any_warehouse, tmp_path, billing, now, name="stripe")
    renamed = [hubspot_company("hubspot:9", "acme.io", "Acme Group")]
    load(any_warehouse, tmp_path, renamed, now, name="hubspot2")
    assert rows_of(any_warehouse, "accounts", "name", "billing_email", "source") == [
        ("Acme Group", "ann@acme.io", "hubspot")]
    assert load(any_warehouse, tmp_path, billing, now, name="stripe").total("updated") == 0


def test_a_minted_company_folds_into_the_account_a_later_source_names(
        any_warehouse: Warehouse, tmp_path: Path, now):
    from successlink.warehouse.merge_accounts import merge_minted_accounts

    contact = ("contacts", {"contact_id": "hubspot:c1", "company_key": "hubspot:9",
                            "email": "dee@gmail.com", "role": "champion", "source": "hubspot"})
    load(any_warehouse, tmp_path, [hubspot_company("hubspot:9", "acme.io", "Acme"), contact],
         now, name="hubspot")
    assert rows_of(any_warehouse, "contacts", "account_id") == [
        ("hubspot_company:hubspot:9",)]
    load(any_warehouse, tmp_path, [stripe_customer("cus_1", "ann@acme.io", "acct_42")], now,
         name="stripe")
    assert merge_minted_accounts(any_warehouse, rules=RULES) == 1
    assert rows_of(any_warehouse, "accounts", "account_id", "name", "billing_email") == [
        ("acct_42", "Acme", "ann@acme.io")]
    assert rows_of(any_warehouse, "contacts", "account_id") == [("acct_42",)]
    ids = rows_of(any_warehouse, "account_identities", "kind", "key", "account_id")
    assert ("hubspot_company", "hubspot:9", "acct_42") in ids
    assert all(a != "hubspot_company:hubspot:9" for _, _, a in ids)
    assert merge_minted_accounts(any_warehouse, rules=RULES) == 0
