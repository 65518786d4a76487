"""The read API: scoping by key (an affiliate never sees another's data), errors, and a
schemathesis run against the OpenAPI spec that finds no 5xx (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from successlink.program.books import run_payouts, settle_all
from successlink.program.plans import load_plan
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.sales import Sale
from successlink.store.tracking import Click, Link
from successlink.web.app import create_app
from successlink.web.security import issue_key
from tests.program.plans import QUALITY_PLAN
from tests.web.service import T0, Client, Clock, config, seed

ENDPOINTS = ["affiliates", "links", "clicks", "referrals", "commissions", "payouts"]


def _populate(store: Engine) -> dict[str, str]:
    """Both affiliates get a link, a click, a referral with a paid sale, vested commission and
    a payout; returns a key per caller."""
    seed(store)
    with Session(store) as s, s.begin():
        s.add(Link(code="bo", affiliate_id="aff_2", destination="https://acme.test/",
                   utm_source=None, utm_medium=None, utm_campaign=None, disabled=False,
                   created_at=T0))
        for n, aff in enumerate(("aff_1", "aff_2")):
            s.add(Click(id=f"clk_{aff}", link_id=None, affiliate_id=aff, clicked_at=T0,
                        ip_anon=None, user_agent=None, referer=None, is_bot=False))
            s.flush()
            customer = Customer(external_id=f"cus_{aff}", email=f"{aff}@bigco.test",
                                account_id=None, affiliate_id=aff, click_id=f"clk_{aff}",
                                referred_at=T0, churned_at=None, created_at=T0)
            s.add(customer)
            s.flush()
            s.add(Sale(id=f"in_{n}", customer_id=customer.id, charge_id=None,
                       payment_intent_id=None, amount_minor=10_000, currency="USD",
                       paid_at=T0, product_id=None, price_id=None, billing_reason=None))
        s.flush()
        settle_all(s, [load_plan(QUALITY_PLAN)], T0 + timedelta(days=31))
        s.get_one(Affiliate, "aff_2").status = "active"   # seeded suspended; paid here
        run_payouts(s, "r1", {"USD": 1}, T0 + timedelta(days=31))
        return {"admin": issue_key(s, scope="admin", affiliate_id=None, label=None, now=T0),
                "aff_1": issue_key(s, scope="affiliate", affiliate_id="aff_1", label=None,
                                   now=T0),
                "aff_2": issue_key(s, scope="affiliate", affiliate_id="aff_2", label=None,
                                   now=T0)}


@pytest.fixture
def api(store: Engine) -> tuple[Client, dict[str, str]]:
    keys = _populate(store)
    return Client(create_app(config(store, Clock(T0)))), keys


def _get(client: Client, path: str, key: str | None) -> tuple[int, object]:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    response = client.get(path, headers=headers)
    return response.status_code, response.json()


def _owners(body: object) -> set[str]:
    assert isinstance(body, dict)
    return {row.get("affiliate_id", row.get("id")) for row in body["data"]}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_affiliate_key_sees_only_its_own_rows(api: tuple[Client, dict[str, str]],
                                                 endpoint: str) -> None:
    client, keys = api
    assert _owners(_get(client, f"/api/v1/{endpoint}", keys["admin"])[1]) == {"aff_1",
                                                                             "aff_2"}
    for me in ("aff_1", "aff_2"):
        status, body = _get(client, f"/api/v1/{endpoint}", keys[me])
        assert status == 200 and _owners(body) == {me}
        other = "aff_2" if me == "aff_1" else "aff_1"
        assert _get(client, f"/api/v1/{endpoint}?affiliate_id={other}", keys[me]) == (
            404, {"error": f"there is no affiliate {other!r}"})


def test_another_affiliate_looks_like_no_affiliate(api: tuple[Client, dict[str, str]]) -> None:
    client, keys = api
    assert _get(client, "/api/v1/affiliates/aff_1", keys["aff_1"])[0] == 200
    foreign = _get(client, "/api/v1/affiliates/aff_2", keys["aff_1"])
    missing = _get(client, "/api/v1/affiliates/zzz", keys["admin"])
    assert foreign == (404, {"error": "there is no affiliate 'aff_2'"})
    assert missing == (404, {"error": "there is no affiliate 'zzz'"})


def test_stats_are_scoped_and_add_up(api: tuple[Client, dict[str, str]]) -> None:
    client, keys = api
    status, body = _get(client, "/api/v1/stats", keys["aff_1"])
    assert status == 200 and isinstance(body, dict)
    # 30% of 100.00 = 30.00; 10.20 vested on day 30 and paid out
    assert body["clicks"] == 1 and body["referrals"] == 1
    assert body["balances"] == [{"affiliate_id": "aff_1", "currency": "USD",
                                 "unvested_minor": 1980, "vested_minor": 1020,
                                 "paid_minor": 1020, "payable_minor": 0, "waiting_minor": 0,
                                 "lapsed_minor": 0, "reversed_minor": 0}]


def test_no_key_and_bad_parameters(api: tuple[Client, dict[str, str]]) -> None:
    client, keys = api
    assert _get(client, "/api/v1/links", None)[0] == 401
    assert _get(client, "/api/v1/links?limit=0", keys["admin"]) == (
        422, {"error": "limit must be between 1 and 500"})
    assert _get(client, "/api/v1/links?offset=x", keys["admin"])[0] == 422
    assert len(_get(client, "/api/v1/links?limit=1&offset=1", keys["admin"])[1]["data"]) == 1  # type: ignore[index]


def test_schemathesis_finds_no_server_errors(api: tuple[Client, dict[str, str]]) -> None:
    client, keys = api
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        for key in (keys["admin"], keys["aff_1"], "sl_admin_wrong"):
            _fuzz(operation, key)


def _fuzz(operation: object, key: str) -> None:
    @settings(max_examples=8, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    def run(case: object) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"})  # type: ignore[attr-defined]

    run()


def test_a_nul_in_an_id_is_a_404_not_a_crash(api: tuple[Client, dict[str, str]]) -> None:
    client, keys = api
    assert _get(client, "/api/v1/links?affiliate_id=a%00b", keys["admin"]) == (
        404, {"error": "there is no affiliate with that id"})
    assert _get(client, "/api/v1/affiliates/a%00b", keys["admin"])[0] == 404
    response = client.post("/api/v1/track/click", content=b'{"code": "a\\u0000b"}')
    assert response.json() == {"click_id": None}
    admin = {"authorization": f"Bearer {keys['admin']}"}
    response = client.post("/api/v1/track/lead", headers=admin,
                           content=b'{"click_id": "x\\u0000", "email": "a\\u0000@b.test"}')
    assert response.status_code == 422
