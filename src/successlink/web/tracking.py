"""Clicks and leads: what the redirect, the tracking snippet and the lead API record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from successlink.money import MoneyError, normalise_currency
from successlink.program.attribution import Evidence, prefer
from successlink.program.stripe_events import Change, CustomerSeen, SalePaid
from successlink.store.affiliates import Affiliate
from successlink.store.customers import Customer
from successlink.store.tracking import Click, Lead, Link
from successlink.timeline import TimestampError, parse_instant
from successlink.web.redirects import allowed, anonymise_ip, looks_like_bot


@dataclass(frozen=True)
class Visit:
    """One request through a link (or the snippet), as the service saw it."""

    code: str
    ip: str | None
    user_agent: str | None
    referer: str | None


class LeadError(ValueError):
    """A lead the API cannot record; the message says what to send instead."""


def record_click(session: Session, visit: Visit, *, domains: list[str],
                 at: datetime) -> tuple[str, str] | None:
    """(click id, destination) for an active link of an active affiliate whose destination
    is allowed, with the click added to the session; None otherwise."""
    if "\x00" in visit.code or len(visit.code) > 64:
        return None  # no link has such a code (and PostgreSQL refuses NUL in text)
    row = session.execute(select(Link.id, Link.affiliate_id, Link.destination, Link.disabled,
                                 Affiliate.status)
                          .join(Affiliate, Affiliate.id == Link.affiliate_id)
                          .where(Link.code == visit.code)).first()
    if row is None:
        return None
    link_id, affiliate_id, destination, disabled, status = row
    if disabled or status != "active" or not allowed(destination, domains):
        return None
    click_id = str(uuid.uuid4())
    session.add(Click(id=click_id, link_id=link_id, affiliate_id=affiliate_id, clicked_at=at,
                      ip_anon=anonymise_ip(visit.ip),
                      user_agent=(visit.user_agent or "")[:512] or None,
                      referer=(visit.referer or "")[:2048] or None,
                      is_bot=looks_like_bot(visit.user_agent)))
    return click_id, destination


def record_lead(session: Session, *, click_id: str, external_id: str | None,
                email: str | None, at: datetime,
                attribution: str = "first_click") -> tuple[Lead, bool]:
    """(the lead, whether it is new). The same click, id and e-mail again is the same lead.
    A customer already stored and not yet referred (or referred later) is attributed."""
    if not external_id and not email:
        raise LeadError("send customer_external_id (e.g. the Stripe customer id) or email")
    if not _plain(external_id, 255) or not _plain(email, 320):
        raise LeadError("customer_external_id and email must be text without NUL characters")
    click = session.get(Click, click_id) if _plain(click_id, 36) else None
    if click is None or click.affiliate_id is None:
        raise LeadError(f"unknown click id {click_id!r}: send the sl_click value the "
                        "redirect or the tracking snippet set")
    email = email.strip().lower() if email else None
    lead = session.scalars(select(Lead).where(
        Lead.click_id == click_id, Lead.customer_external_id.is_not_distinct_from(external_id),
        Lead.email.is_not_distinct_from(email))).first()
    if lead is not None:
        return lead, False
    lead = Lead(click_id=click_id, affiliate_id=click.affiliate_id,
                customer_external_id=external_id, email=email, created_at=at)
    session.add(lead)
    session.flush()
    _attribute(session, lead, click.clicked_at, attribution)
    return lead, True


def _plain(value: str | None, limit: int) -> bool:
    """Text a database column can hold: no NUL, not longer than `limit`."""
    return value is None or ("\x00" not in value and len(value) <= limit)


def _attribute(session: Session, lead: Lead, clicked_at: datetime, attribution: str) -> None:
    matches = []
    if lead.customer_external_id:
        matches.append(Customer.external_id == lead.customer_external_id)
    if lead.email:
        matches.append(Customer.email == lead.email)
    for customer in session.scalars(select(Customer).where(or_(*matches))):
        current = None
        if customer.affiliate_id is not None and customer.referred_at is not None:
            current = Evidence(customer.affiliate_id, customer.click_id, customer.referred_at)
        winner = prefer(current, Evidence(lead.affiliate_id, lead.click_id, clicked_at),
                        attribution)
        if winner is not None and winner != current:
            customer.affiliate_id, customer.click_id = winner.affiliate_id, winner.click_id
            customer.referred_at = winner.at


def sale_changes(body: dict[str, object], at: datetime) -> list[Change]:
    """The facts of a server-to-server sale (billing other than Stripe), or LeadError."""
    sale_id, customer = body.get("sale_id"), body.get("customer_external_id")
    amount, currency = body.get("amount_minor"), body.get("currency")
    if not (isinstance(sale_id, str) and _plain(sale_id, 255) and sale_id.strip()):
        raise LeadError('send "sale_id" (your invoice or order id)')
    if not (isinstance(customer, str) and _plain(customer, 255) and customer.strip()):
        raise LeadError('send "customer_external_id"')
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < 2**62:
        raise LeadError('"amount_minor" must be a positive integer of minor units '
                        "(1200 for 12.00)")
    try:
        code = normalise_currency(currency)
    except MoneyError as exc:
        raise LeadError(f'"currency": {exc}') from exc
    paid_at = at
    if body.get("paid_at") is not None:
        try:
            paid_at = min(parse_instant(body["paid_at"]), at)
        except TimestampError as exc:
            raise LeadError(f'"paid_at": {exc}') from exc
    raw_email, raw_click = body.get("email"), body.get("click_id")
    email = raw_email.strip().lower() if isinstance(raw_email, str) else None
    click = raw_click if isinstance(raw_click, str) else None
    return [CustomerSeen(external_id=customer, email=email if _plain(email, 320) else None,
                         created_at=paid_at, click_id=click if _plain(click, 36) else None),
            SalePaid(sale_id=sale_id, customer_external_id=customer, amount_minor=amount,
                     currency=code, paid_at=paid_at, billing_reason="api")]
