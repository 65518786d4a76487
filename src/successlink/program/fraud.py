"""Fraud signals on a referral: held for a person to review, never silently rejected.

Pure: the caller gathers what is known about the referral (books/fraud persistence in
`fraud_flags.py`). Each suspicion carries the sentence the reviewer and, after the review, the
affiliate see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from successlink.ingest.identity import FREEMAIL_DOMAINS

# Throwaway-mailbox services (a short, common list; a program adds its own with the setting
# fraud.disposable_domains, see program/terms.py).
DISPOSABLE_DOMAINS = frozenset(
    "mailinator.com guerrillamail.com guerrillamail.net 10minutemail.com tempmail.com "
    "temp-mail.org throwawaymail.com yopmail.com trashmail.com getnada.com sharklasers.com "
    "dispostable.com maildrop.cc fakeinbox.com mintemail.com mohmal.com emailondeck.com"
    .split())


@dataclass(frozen=True)
class FraudRules:
    """Thresholds of the checks (the program's settings, `successlink program set fraud.*`)."""

    flood_clicks: int = 20
    flood_window: timedelta = timedelta(hours=1)
    early_days: int = 14
    extra_disposable_domains: frozenset[str] = frozenset()

    @property
    def disposable_domains(self) -> frozenset[str]:
        """The shipped throwaway-mailbox list plus the program's own additions."""
        return DISPOSABLE_DOMAINS | self.extra_disposable_domains


@dataclass(frozen=True)
class Referral:
    """What is known about one referred customer when it is checked."""

    affiliate_email: str
    customer_email: str | None
    click_ip: str | None = None
    affiliate_ips: frozenset[str] = frozenset()
    clicks_from_ip_in_window: int = 0
    has_click: bool = True
    first_paid_at: datetime | None = None
    refunded_at: datetime | None = None
    churned_at: datetime | None = None


@dataclass(frozen=True)
class Suspicion:
    """One reason to hold a referral for review."""

    kind: str
    sentence: str
    details: dict[str, Any] = field(default_factory=dict)


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower()


def suspicions(r: Referral, rules: FraudRules = FraudRules()) -> list[Suspicion]:
    """Every check that fires, in a fixed order."""
    out: list[Suspicion] = []
    out += _self_referral(r)
    domain = _domain(r.customer_email)
    if domain in rules.disposable_domains:
        out.append(Suspicion("disposable_email", f"the customer signed up with a throwaway "
                             f"mailbox ({domain})", {"domain": domain}))
    if r.clicks_from_ip_in_window >= rules.flood_clicks:
        out.append(Suspicion(
            "click_flood", f"{r.clicks_from_ip_in_window} clicks came from the customer's "
            f"network within {rules.flood_window}", {"clicks": r.clicks_from_ip_in_window}))
    if not r.has_click and r.first_paid_at is not None:
        out.append(Suspicion("no_click", "the sale has no click before it (attributed by "
                             "metadata or a lead only)"))
    out += _early(r, rules)
    return out


def _self_referral(r: Referral) -> list[Suspicion]:
    mine, theirs = r.affiliate_email.strip().lower(), (r.customer_email or "").strip().lower()
    if theirs and theirs == mine:
        return [Suspicion("self_referral", "the customer's e-mail is the affiliate's own",
                          {"match": "email"})]
    domain = _domain(theirs)
    if domain and domain == _domain(mine) and domain not in FREEMAIL_DOMAINS:
        return [Suspicion("self_referral", f"the customer and the affiliate share the e-mail "
                          f"domain {domain}", {"match": "email_domain", "domain": domain})]
    if r.click_ip and r.click_ip in r.affiliate_ips:
        return [Suspicion("self_referral", "the referring click came from a network the "
                          "affiliate also clicks from", {"match": "ip"})]
    return []


def _early(r: Referral, rules: FraudRules) -> list[Suspicion]:
    if r.first_paid_at is None:
        return []
    limit = r.first_paid_at + timedelta(days=rules.early_days)
    out = []
    if r.refunded_at is not None and r.refunded_at <= limit:
        out.append(Suspicion("early_refund", f"refunded within {rules.early_days} days of "
                             "the first payment", {"refunded_at": r.refunded_at.isoformat()}))
    if r.churned_at is not None and r.churned_at <= limit:
        out.append(Suspicion("early_churn", f"churned within {rules.early_days} days of the "
                             "first payment", {"churned_at": r.churned_at.isoformat()}))
    return out
