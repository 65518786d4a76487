"""The program's terms in the app store: the `program_settings` row (id 1), or the workspace's
[program] section while there is no row (program/terms.py has the precedence)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from successlink.config import ProgramSettings
from successlink.program.fraud import FraudRules
from successlink.program.terms import ProgramTerms, from_config
from successlink.store.program import Program

ROW_ID = 1


def stored_terms(session: Session) -> ProgramTerms | None:
    """The terms in the program row, or None when no setting was ever written."""
    row = session.get(Program, ROW_ID)
    if row is None:
        return None
    return ProgramTerms(
        name=row.name, currency=row.currency, cookie_days=row.cookie_days,
        attribution=row.attribution, hold_days=row.hold_days,
        min_payout_minor=row.min_payout_minor, allowed_domains=tuple(row.allowed_domains),
        fallback_url=row.fallback_url or None, default_plan=row.default_plan_id,
        fraud=FraudRules(flood_clicks=row.fraud_flood_clicks,
                         flood_window=timedelta(minutes=row.fraud_flood_window_minutes),
                         early_days=row.fraud_early_days,
                         extra_disposable_domains=frozenset(row.fraud_disposable_domains)))


def load_terms(session: Session, program: ProgramSettings) -> ProgramTerms:
    """The terms in force: the program row, else the workspace's [program] section."""
    return stored_terms(session) or from_config(program)


def fraud_rules(session: Session) -> FraudRules:
    """The fraud thresholds in force (they have no successlink.toml setting: the row, else
    the defaults)."""
    terms = stored_terms(session)
    return terms.fraud if terms is not None else FraudRules()


def save_terms(session: Session, terms: ProgramTerms, now: datetime) -> None:
    """Write the terms to the program row, creating it the first time."""
    row = session.get(Program, ROW_ID)
    if row is None:
        row = Program(id=ROW_ID)
        session.add(row)
    row.name, row.currency, row.cookie_days = terms.name, terms.currency, terms.cookie_days
    row.attribution, row.hold_days = terms.attribution, terms.hold_days
    row.min_payout_minor = terms.min_payout_minor
    row.allowed_domains = list(terms.allowed_domains)
    row.fallback_url = terms.fallback_url or ""
    row.default_plan_id = terms.default_plan
    row.fraud_flood_clicks = terms.fraud.flood_clicks
    row.fraud_flood_window_minutes = int(terms.fraud.flood_window.total_seconds() // 60)
    row.fraud_early_days = terms.fraud.early_days
    row.fraud_disposable_domains = sorted(terms.fraud.extra_disposable_domains)
    row.updated_at = now
    session.flush()
