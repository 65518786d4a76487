"""Whom to approach at an advocate account, in what order, and why each person.

An invitation to refer works through people: the champion already argues for the product,
the decision maker can say yes to a partnership, influencers shape opinion, the budget
holder cares about the numbers. Within a role, people seen in the last 90 days come first:
a warm contact answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis.expr.types as ir

from successlink.metrics.stakeholders import stakeholder_list
from successlink.metrics.window import happened_by
from successlink.scores.rollups import DAY_USER
from successlink.warehouse.connect import Warehouse

ROLE_ORDER = ("champion", "decision_maker", "influencer", "budget_holder", "end_user", "other")
_ROLE_WHY = {
    "champion": "already argues for the product inside the company; the natural first call",
    "decision_maker": "can say yes to a partnership or a public case study",
    "influencer": "shapes the team's opinion; a credible voice for reviews and referrals",
    "budget_holder": "cares about the return; ask for a case study with figures",
    "end_user": "uses the product day to day; a good testimonial",
    "other": "known at the account",
}
_ROLE_LABEL = {"champion": "Champion", "decision_maker": "Decision maker",
               "influencer": "Influencer", "budget_holder": "Budget holder",
               "end_user": "End user", "other": "Contact"}
_STAKEHOLDER_INPUTS = ("contacts", "product_users", "survey_responses", "support_tickets")


@dataclass(frozen=True)
class Contact:
    """A person to approach at an advocate account."""

    contact_id: str
    account_id: str
    name: str | None
    email: str | None
    job_title: str | None
    role: str
    engaged_90d: bool | None  # None: engagement unknown (no usage rollup to ask)
    last_engaged_at: date | None  # last UTC day the person used the product, answered or wrote
    why: str


def _engagement(engaged: bool | None, last: date | None) -> str:
    if engaged is None:
        return ""
    if engaged:
        seen = f" (last on {last})" if last is not None else ""
        return f" Engaged in the last 90 days{seen}."
    return " Not seen in the last 90 days; reach them through a warmer contact."


def why_contact(role: str, job_title: str | None, engaged: bool | None,
                last: date | None) -> str:
    """'Champion (Head of Operations): already argues for ... Engaged in the last 90 days.'"""
    label = _ROLE_LABEL.get(role, "Contact")
    title = f" ({job_title})" if job_title else ""
    return f"{label}{title}: {_ROLE_WHY.get(role, _ROLE_WHY['other'])}." + \
        _engagement(engaged, last)


def contact_order(c: Contact) -> tuple[int, int, int, str]:
    """Role first, then engaged before not engaged before unknown, then most recently seen."""
    role = ROLE_ORDER.index(c.role) if c.role in ROLE_ORDER else len(ROLE_ORDER)
    engaged = 0 if c.engaged_90d is True else 1 if c.engaged_90d is False else 2
    recency = -c.last_engaged_at.toordinal() if c.last_engaged_at is not None else 0
    return role, engaged, recency, c.name or c.contact_id


def _stakeholder_rows(wh: Warehouse, contacts: ir.Table, as_of: date) -> ir.Table | None:
    """metrics.stakeholders.stakeholder_list, or None before a score run built its inputs."""
    if not {*_STAKEHOLDER_INPUTS, DAY_USER} <= set(wh.con.list_tables()):
        return None
    return stakeholder_list(contacts, wh.table("product_users"), wh.table(DAY_USER),
                            wh.table("survey_responses"), wh.table("support_tickets"),
                            as_of=as_of)


def _plain_rows(contacts: ir.Table) -> ir.Table:
    """The CRM's contacts with engagement unknown (no stakeholder metric to ask)."""
    c = contacts
    name = (c.first_name.fill_null("") + " " + c.last_name.fill_null("")).strip()
    return c.select("account_id", "contact_id", "email", "job_title", "role", name=name)


def _contact(row: dict[str, Any]) -> Contact:
    engaged = row.get("engaged_90d")
    engaged = None if engaged is None else bool(engaged)
    last = row.get("last_engaged_at")
    return Contact(contact_id=row["contact_id"], account_id=row["account_id"],
                   name=row.get("name") or None, email=row.get("email"),
                   job_title=row.get("job_title"), role=row.get("role") or "other",
                   engaged_90d=engaged, last_engaged_at=last,
                   why=why_contact(row.get("role") or "other", row.get("job_title"),
                                   engaged, last))


def people_to_approach(wh: Warehouse, account_ids: list[str], as_of: date, *,
                       per_account: int = 4) -> dict[str, list[Contact]]:
    """Up to `per_account` people per account, best first (see `contact_order`)."""
    if not account_ids or "contacts" not in wh.con.list_tables():
        return {}
    contacts = wh.table("contacts")
    contacts = contacts.filter(contacts.account_id.isin(account_ids),
                               contacts.created_at.isnull()
                               | happened_by(contacts.created_at, as_of))
    listed = _stakeholder_rows(wh, contacts, as_of)
    rows = (listed if listed is not None else _plain_rows(contacts)).to_pyarrow().to_pylist()
    found: dict[str, list[Contact]] = {}
    for row in rows:
        found.setdefault(row["account_id"], []).append(_contact(row))
    return {acct: sorted(people, key=contact_order)[:per_account]
            for acct, people in found.items()}
