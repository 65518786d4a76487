"""The whole path over real HTTP on loopback (uvicorn): click -> cookie -> checkout with the
click id -> signed Stripe webhooks -> the commission accrues, vests, is paid out, and a
refund claws it back."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from successlink.program.books import mark_paid, run_payouts, settle_all, stored_balances
from successlink.program.buckets import Buckets
from successlink.program.payouts import payable
from successlink.program.plans import load_plan
from successlink.store.customers import Customer
from successlink.store.ledger import LedgerEntry
from successlink.web.app import create_app
from tests.program.books_entries import stored_entries
from tests.program.plans import QUALITY_PLAN
from tests.program.stripe_data import envelope, load, sign
from tests.web.service import T0, Clock, config, seed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(store: Engine) -> Iterator[tuple[str, Clock]]:
    seed(store)
    clock = Clock(T0)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config(store, clock)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", clock
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _post(http: httpx.Client, body: bytes) -> str:
    response = http.post("/webhooks/stripe", content=body,
                         headers={"stripe-signature": sign(body),
                                  "content-type": "application/json"})
    assert response.status_code == 200, response.text
    return str(response.json()["outcome"])


def _at(days: float) -> int:
    return int((T0 + timedelta(days=days)).timestamp())


def test_click_to_payout_and_clawback(served: tuple[str, Clock], store: Engine) -> None:
    base, clock = served
    plans = [load_plan(QUALITY_PLAN)]
    with httpx.Client(base_url=base, follow_redirects=False) as http:
        visit = http.get("/r/ada", headers={"user-agent": "Mozilla/5.0 Firefox"})
        assert visit.status_code == 302
        click_id = visit.cookies["sl_click"]
        assert f"sl_click={click_id}" in visit.headers["location"]

        clock.now = T0 + timedelta(hours=1)
        session = load("openapi-fixtures3/checkout.session.json")
        session.update(id="cs_E", customer="cus_E", client_reference_id=click_id,
                       mode="subscription", invoice=None, created=_at(1 / 24),
                       customer_details={"email": "buyer@bigco.test"})
        assert _post(http, envelope("checkout.session.completed", session,
                                    event_id="evt_cs", created=_at(1 / 24))) == "processed"
        invoice = load("dj-stripe-objects/invoice_in_fakefakefakefakefake0001.json")
        invoice.update(id="in_E", customer="cus_E", charge="ch_E", payment_intent="pi_E",
                       amount_paid=10_000, status_transitions={"paid_at": _at(1 / 24)})
        paid = envelope("invoice.paid", invoice, event_id="evt_in", created=_at(1 / 24))
        assert _post(http, paid) == "processed"
        assert _post(http, paid) == "duplicate"

    with Session(store) as s:
        customer = s.scalars(select(Customer)).one()
        assert (customer.affiliate_id, customer.click_id) == ("aff_1", click_id)
        # 30% of 100.00 = 30.00 in 10.20 / 9.90 / 9.90, waiting to vest
        assert stored_balances(s) == {("aff_1", "USD"): Buckets(unvested=3000)}

    with Session(store) as s, s.begin():  # the periodic job, 31 days later
        settle_all(s, plans, T0 + timedelta(days=31))
        (payout,) = run_payouts(s, "2026-03", {"USD": 500}, T0 + timedelta(days=31))
        assert payout.amount_minor == 1020
        mark_paid(s, payout.id, "PAYPAL-42", T0 + timedelta(days=32))

    clock.now = T0 + timedelta(days=40)
    charge = load("dj-stripe-objects/charge_ch_fakefakefakefakefake0001.json")
    charge.update(id="ch_E", invoice="in_E", payment_intent="pi_E", amount=10_000,
                  amount_refunded=10_000, refunds={"object": "list", "data": []})
    with httpx.Client(base_url=base) as http:
        assert _post(http, envelope("charge.refunded", charge, event_id="evt_re",
                                    created=_at(40))) == "processed"

    with Session(store) as s:
        assert stored_balances(s) == {("aff_1", "USD"): Buckets(reversed=3000)}
        paid_keys = {"in_E:0:1"}
        # the paid 10.20 is clawed back: -10.20 is carried into the next payout
        assert payable(stored_entries(s), paid_keys) == {("aff_1", "USD"): -1020}
        reversal = s.scalars(select(LedgerEntry).where(LedgerEntry.entry_key == "in_E:0:2")) \
            .one()
        assert reversal.kind == "reversal" and reversal.vested_minor == -1020
        assert "in_E was refunded on 2026-03-13" in reversal.explanation
        assert json.loads(json.dumps(reversal.inputs))["rule"] == "first payment"
