"""The running service settles by the plans and program terms stored now, not the ones it
started with: `plans apply` and `program set` take effect without a restart."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from successlink.program.plans import load_plan
from successlink.program.program_state import ProgramState
from successlink.program.terms import ProgramTerms
from successlink.program.terms_store import save_terms
from successlink.program.webhooks import WebhookSettings
from successlink.store.ledger import LedgerEntry
from successlink.store.plans import CommissionPlan
from successlink.web.app import create_app
from tests.program.plans import QUALITY_PLAN
from tests.program.stripe_data import envelope, paying_customer, sign
from tests.web.service import T0, Client, Clock, config, seed

OTHER_PLAN = QUALITY_PLAN.replace('id = "quality"', 'id = "other"')


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _store_plan(store: Engine, source: str) -> None:
    plan = load_plan(source)
    with Session(store) as s, s.begin():
        s.add(CommissionPlan(plan_id=plan.id, version=plan.version, name=plan.name,
                             effective_from=plan.effective_from, source_toml=source,
                             created_at=T0))


def test_changes_are_picked_up_at_the_next_check_and_only_when_the_store_moved(
        store: Engine) -> None:
    start = WebhookSettings(secrets=["whsec"], plans=[load_plan(QUALITY_PLAN)],
                            default_plan=None, attribution="first_click")
    ticks = Ticks()
    state = ProgramState(start, check_seconds=10, clock=ticks)
    with Session(store) as s:
        first = state.settings(s)
        assert [p.id for p in first.plans] == ["quality"]  # started with, not yet stored
        assert (first.default_plan, first.attribution) == (None, "first_click")
        ticks.now = 11
        assert state.settings(s) is first  # nothing changed in the store: nothing reloaded
    _store_plan(store, OTHER_PLAN)
    with Session(store) as s, s.begin():
        save_terms(s, ProgramTerms(default_plan="other", attribution="last_click"), T0)
    with Session(store) as s:
        ticks.now = 15
        assert state.settings(s) is first  # not checked again within 10 s
        ticks.now = 22
        now = state.settings(s)
    assert sorted(p.id for p in now.plans) == ["other", "quality"]
    assert (now.default_plan, now.attribution) == ("other", "last_click")
    assert now.secrets == start.secrets  # what the program row does not hold is kept



def _accrued(store: Engine) -> int:
    with Session(store) as s:
        return int(s.scalar(select(func.coalesce(func.sum(LedgerEntry.unvested_minor), 0))
                            .where(LedgerEntry.kind == "accrual")) or 0)


def test_a_plan_applied_while_the_service_runs_settles_the_next_webhooks(
        store: Engine) -> None:
    """The service starts with no plan stored: the affiliate's plan "quality" is unknown,
    so a sale is stored but not settled. Once the plan is stored, the next delivery for the
    customer settles both of its sales."""
    seed(store)
    client = Client(create_app(replace(config(store, Clock(T0)), plans=[],
                                       program_check_seconds=0)))
    paid = int((T0 - timedelta(days=10)).timestamp())
    for body in paying_customer(1, paid):
        assert client.post("/webhooks/stripe", content=body,
                           headers={"stripe-signature": sign(body)}).status_code == 200
    assert _accrued(store) == 0
    _store_plan(store, QUALITY_PLAN.replace("effective_from = 2026-01-01",
                                            "effective_from = 2025-01-01"))
    second = {"id": "in_1b", "object": "invoice", "customer": "cus_1", "amount_paid": 10_000,
              "currency": "usd", "charge": "ch_1b", "billing_reason": "subscription_cycle",
              "status_transitions": {"paid_at": paid + 86_400}}
    body = envelope("invoice.paid", second, event_id="evt_i1b", created=paid + 86_400)
    assert client.post("/webhooks/stripe", content=body,
                       headers={"stripe-signature": sign(body)}).status_code == 200
    # 30% of the first payment and 20% of the second (the quality plan's rules)
    assert _accrued(store) == 3_000 + 2_000
