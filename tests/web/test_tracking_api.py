"""The tracking snippet, the click and lead API, and API keys (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from successlink.store.affiliates import ApiKey
from successlink.store.customers import Customer
from successlink.store.tracking import Click, Lead
from successlink.web.app import create_app
from successlink.web.security import authenticate, hash_key, issue_key
from tests.web.service import T0, Client, Clock, config, seed


@pytest.fixture
def client(store: Engine) -> Client:
    seed(store)
    return Client(create_app(config(store, Clock(T0))))


def _key(store: Engine, scope: str, affiliate: str | None = None) -> str:
    with Session(store) as s, s.begin():
        return issue_key(s, scope=scope, affiliate_id=affiliate, label=None, now=T0)


def test_the_snippet_posts_to_this_service_and_sets_a_first_party_cookie(
        client: Client) -> None:
    response = client.get("/t.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    script = response.text
    assert '"http://testserver/api/v1/track/click"' in script
    assert 'params.get("via") || params.get("ref")' in script
    assert "Max-Age=2592000" in script and "sl_click=" in script


def test_a_snippet_click_is_recorded_and_readable_by_the_merchants_pages(
        client: Client, store: Engine) -> None:
    response = client.post("/api/v1/track/click", content=b'{"code": "ada", "referer": "x"}',
                           headers={"origin": "https://www.acme.test",
                                    "user-agent": "Mozilla/5.0 Firefox"})
    assert response.status_code == 200
    click_id = response.json()["click_id"]
    assert response.headers["access-control-allow-origin"] == "https://www.acme.test"
    with Session(store) as s:
        click = s.get_one(Click, click_id)
        assert (click.affiliate_id, click.referer, click.is_bot) == ("aff_1", "x", False)


def test_other_origins_and_unknown_codes_get_nothing(client: Client) -> None:
    response = client.post("/api/v1/track/click", content=b'{"code": "nope"}',
                           headers={"origin": "https://evil.test"})
    assert response.json() == {"click_id": None}
    assert "access-control-allow-origin" not in response.headers
    assert client.post("/api/v1/track/click", content=b"[1]").status_code == 422


def _click(client: Client) -> str:
    return str(client.post("/api/v1/track/click", content=b'{"code": "ada"}').json()["click_id"])


def test_a_lead_needs_an_admin_key(client: Client, store: Engine) -> None:
    click_id = _click(client)
    body = f'{{"click_id": "{click_id}", "email": "Bo@BigCo.test"}}'.encode()
    assert client.post("/api/v1/track/lead", content=body).status_code == 401
    wrong = {"authorization": "Bearer sl_admin_not-a-real-key"}
    assert client.post("/api/v1/track/lead", content=body, headers=wrong).status_code == 401
    affiliate = {"authorization": f"Bearer {_key(store, 'affiliate', 'aff_1')}"}
    assert client.post("/api/v1/track/lead", content=body, headers=affiliate).status_code \
        == 403
    admin_key = _key(store, "admin")
    assert admin_key.startswith("sl_admin_")
    admin = {"authorization": f"Bearer {admin_key}"}
    first = client.post("/api/v1/track/lead", content=body, headers=admin)
    again = client.post("/api/v1/track/lead", content=body, headers=admin)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json() == {"lead_id": first.json()["lead_id"],
                                            "affiliate_id": "aff_1"}
    with Session(store) as s:
        assert s.scalars(select(Lead.email)).all() == ["bo@bigco.test"]


@pytest.mark.parametrize(("body", "words"), [
    (b'{"click_id": "nope", "email": "a@b.test"}', "unknown click id"),
    (b'{"click_id": "CLICK"}', "customer_external_id"),
    (b'"text"', "JSON object"),
])
def test_a_bad_lead_says_what_to_send(client: Client, store: Engine, body: bytes,
                                      words: str) -> None:
    admin = {"authorization": f"Bearer {_key(store, 'admin')}"}
    body = body.replace(b"CLICK", _click(client).encode())
    response = client.post("/api/v1/track/lead", content=body, headers=admin)
    assert response.status_code == 422 and words in response.json()["error"]


def test_a_lead_attributes_a_customer_the_webhooks_already_stored(
        client: Client, store: Engine) -> None:
    with Session(store) as s, s.begin():
        s.add(Customer(external_id="cus_9", email="bo@bigco.test", account_id=None,
                       affiliate_id=None, click_id=None, referred_at=None, churned_at=None,
                       created_at=T0))
    click_id = _click(client)
    admin = {"authorization": f"Bearer {_key(store, 'admin')}"}
    body = f'{{"click_id": "{click_id}", "customer_external_id": "cus_9"}}'.encode()
    assert client.post("/api/v1/track/lead", content=body, headers=admin).status_code == 201
    with Session(store) as s:
        customer = s.scalars(select(Customer)).one()
        assert (customer.affiliate_id, customer.click_id, customer.referred_at) == (
            "aff_1", click_id, T0)


def test_keys_are_stored_hashed_and_revocable(store: Engine) -> None:
    seed(store)
    key = _key(store, "affiliate", "aff_1")
    with Session(store, expire_on_commit=False) as s, s.begin():
        row = s.scalars(select(ApiKey)).one()
        assert row.key_hash == hash_key(key) and key not in (row.prefix, row.key_hash)
        assert key.startswith(row.prefix) and row.prefix.startswith("sl_aff_")
        caller = authenticate(s, f"Bearer {key}")
        assert caller is not None and caller.affiliate_id == "aff_1"
        row.revoked_at = T0
    with Session(store) as s:
        assert authenticate(s, f"Bearer {key}") is None
        assert authenticate(s, key) is None   # not a Bearer header
    with pytest.raises(ValueError, match="names its affiliate"), Session(store) as s:
        issue_key(s, scope="affiliate", affiliate_id=None, label=None, now=T0)


def test_a_server_to_server_sale_is_attributed_and_accrues_once(client: Client,
                                                                store: Engine) -> None:
    from successlink.program.books import stored_balances
    from successlink.program.buckets import Buckets
    from successlink.store.sales import Sale

    click_id = _click(client)
    admin = {"authorization": f"Bearer {_key(store, 'admin')}"}
    body = (f'{{"sale_id": "ord_1", "customer_external_id": "cus_S", "amount_minor": 10000, '
            f'"currency": "usd", "click_id": "{click_id}", "email": "Bo@BigCo.test", '
            f'"paid_at": "2030-01-01T00:00:00Z"}}').encode()
    for _ in range(2):
        response = client.post("/api/v1/track/sale", content=body, headers=admin)
        assert response.status_code == 201, response.text
    with Session(store) as s:
        (sale,) = s.scalars(select(Sale)).all()
        assert (sale.id, sale.paid_at, sale.currency) == ("ord_1", T0, "USD")  # not future
        customer = s.scalars(select(Customer)).one()
        assert (customer.affiliate_id, customer.email) == ("aff_1", "bo@bigco.test")
        # 30% of 100.00, once however often the sale is posted
        assert stored_balances(s) == {("aff_1", "USD"): Buckets(unvested=3000)}


@pytest.mark.parametrize(("body", "words"), [
    (b'{"customer_external_id": "c", "amount_minor": 1, "currency": "USD"}', "sale_id"),
    (b'{"sale_id": "o", "amount_minor": 1, "currency": "USD"}', "customer_external_id"),
    (b'{"sale_id": "o", "customer_external_id": "c", "amount_minor": 12.5, "currency": "USD"}',
     "positive integer"),
    (b'{"sale_id": "o", "customer_external_id": "c", "amount_minor": 1, "currency": "XYZ"}',
     "ISO 4217"),
    (b'{"sale_id": "o", "customer_external_id": "c", "amount_minor": 1, "currency": "USD",'
     b' "paid_at": "yesterday"}', "paid_at"),
])
def test_a_bad_sale_says_what_to_send(client: Client, store: Engine, body: bytes,
                                      words: str) -> None:
    admin = {"authorization": f"Bearer {_key(store, 'admin')}"}
    response = client.post("/api/v1/track/sale", content=body, headers=admin)
    assert response.status_code == 422 and words in response.json()["error"]
    affiliate = {"authorization": f"Bearer {_key(store, 'affiliate', 'aff_1')}"}
    assert client.post("/api/v1/track/sale", content=body, headers=affiliate).status_code \
        == 403


@pytest.mark.parametrize(("model", "moves"), [("first_click", False), ("last_click", True)])
def test_a_later_lead_moves_an_attributed_customer_only_under_last_click(
        store: Engine, model: str, moves: bool) -> None:
    """The customer was referred (by aff_2) a day before this click of aff_1: first-click
    keeps aff_2, last-click gives the customer to aff_1 from its click."""
    seed(store)
    client = Client(create_app(replace(config(store, Clock(T0)), attribution=model)))
    earlier = T0 - timedelta(days=1)
    with Session(store) as s, s.begin():
        s.add(Customer(external_id="cus_9", email="bo@bigco.test", account_id=None,
                       affiliate_id="aff_2", click_id=None, referred_at=earlier,
                       churned_at=None, created_at=earlier))
    click_id = _click(client)
    admin = {"authorization": f"Bearer {_key(store, 'admin')}"}
    body = f'{{"click_id": "{click_id}", "customer_external_id": "cus_9"}}'.encode()
    assert client.post("/api/v1/track/lead", content=body, headers=admin).status_code == 201
    with Session(store) as s:
        customer = s.scalars(select(Customer)).one()
        got = (customer.affiliate_id, customer.click_id, customer.referred_at)
    assert got == (("aff_1", click_id, T0) if moves else ("aff_2", None, earlier))
