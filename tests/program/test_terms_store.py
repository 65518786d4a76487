"""The program row: written and read back on SQLite and PostgreSQL; the fraud checks obey it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from successlink.config import ProgramSettings
from successlink.program.fraud import FraudRules
from successlink.program.reviews import check_referral
from successlink.program.terms import ProgramTerms, with_settings
from successlink.program.terms_store import fraud_rules, load_terms, save_terms, stored_terms
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.program import Program

T = datetime(2026, 5, 1, tzinfo=UTC)


def test_terms_round_trip_through_the_row(store: Engine) -> None:
    terms = with_settings(ProgramTerms(), {
        "name": "Acme", "currency": "EUR", "cookie_days": 45, "attribution": "last_click",
        "hold_days": 30, "min_payout": "20.00", "allowed_domains": ["acme.test"],
        "default_plan": "quality",
        "fraud": {"flood_clicks": 5, "flood_window_minutes": 15, "early_days": 7,
                  "disposable_domains": ["burner.test"]}})
    with Session(store) as s, s.begin():
        assert stored_terms(s) is None and fraud_rules(s) == FraudRules()
        save_terms(s, terms, T)
    with Session(store) as s, s.begin():
        assert stored_terms(s) == terms
        assert load_terms(s, ProgramSettings(cookie_days=7)) == terms  # the row wins
        save_terms(s, with_settings(terms, {"hold_days": 0}), T + timedelta(days=1))
    with Session(store) as s:
        (row,) = s.scalars(select(Program)).all()
        assert (row.id, row.hold_days, row.fallback_url) == (1, 0, "")
        assert row.updated_at == T + timedelta(days=1)


def test_without_a_row_the_program_section_is_in_force(store: Engine) -> None:
    with Session(store) as s:
        terms = load_terms(s, ProgramSettings(fallback_url="https://acme.test/"))
    assert terms.fallback_url == "https://acme.test/" and terms.fraud == FraudRules()


def _customer(s: Session, email: str) -> Customer:
    s.add(Affiliate(id="aff_1", name="Ada", email="ada@studio.test", status="active",
                    group_name=None, quality_tier=None, quality_tier_as_of=None,
                    plan_id=None, payout_method="paypal", payout_details={},
                    account_id=None, created_at=T))
    customer = Customer(external_id="cus_1", email=email, account_id=None,
                        affiliate_id="aff_1", click_id=None, referred_at=T, churned_at=None,
                        created_at=T)
    s.add(customer)
    s.flush()
    return customer


def test_fraud_checks_use_the_programs_disposable_domains(store: Engine) -> None:
    with Session(store) as s, s.begin():
        customer = _customer(s, "bo@burner.test")
        assert check_referral(s, customer, T) == []        # not on the shipped list
        save_terms(s, with_settings(ProgramTerms(), {
            "fraud": {"disposable_domains": ["burner.test"]}}), T)
        (flag,) = check_referral(s, customer, T)
        assert flag.kind == "disposable_email"
        assert flag.details["sentence"] == ("the customer signed up with a throwaway mailbox "
                                            "(burner.test)")
