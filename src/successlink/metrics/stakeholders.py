"""CRM stakeholders per account as of a day: who is there, in which buying role, and who
is engaged.

A contact is *engaged* when the person, matched by e-mail, used the product (activity in the
user rollup of a product user with that e-mail), answered a survey or opened a support ticket
in the last 90 days. Engagement is counted in UTC days, since product activity is only known
by the day.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from successlink.metrics.usage import day_window, seen_by
from successlink.metrics.window import happened_by
from successlink.warehouse.tables import CONTACT_ROLES

ENGAGED_DAYS = 90
DECIDERS = ("decision_maker", "budget_holder")
CHAMPION = "champion"


def known_contacts(contacts: ir.Table, as_of: date) -> ir.Table:
    """Contacts at an account, created by `as_of` (no creation time counts as known)."""
    c = contacts
    return c.filter(c.account_id.notnull()
                    & (c.created_at.isnull() | happened_by(c.created_at, as_of)))


def last_engaged(product_users: ir.Table, user_daily: ir.Table, survey_responses: ir.Table,
                 support_tickets: ir.Table, *, as_of: date) -> ir.Table:
    """(email, last_engaged_at): the last UTC day by `as_of` each e-mail used the product,
    answered a survey or opened a ticket.

    A product user's e-mail is identity, not an event, so it is used whatever the user's
    `identified_at`; the activity itself must be dated by `as_of`.
    """
    users = product_users.filter(product_users.email.notnull()).select("user_id", "email")
    active = user_daily.filter(seen_by(user_daily.day, as_of))
    used = active.inner_join(users, "user_id").select("email", day=active.day)
    s = survey_responses.filter(survey_responses.respondent_email.notnull()
                                & happened_by(survey_responses.responded_at, as_of))
    answered = s.select(email=s.respondent_email, day=s.responded_at.date())
    t = support_tickets.filter(support_tickets.requester_email.notnull()
                               & happened_by(support_tickets.created_at, as_of))
    asked = t.select(email=t.requester_email, day=t.created_at.date())
    touches = used.union(answered).union(asked)
    out = touches.group_by("email").aggregate(last_engaged_at=touches.day.max())
    return out.select(email=out.email.cast("string"),
                      last_engaged_at=out.last_engaged_at.cast("date"))


def _full_name(c: ir.Table) -> ir.StringValue:
    """'First Last', either part alone, or null when both are missing."""
    joined = c.first_name.fill_null("") + " " + c.last_name.fill_null("")
    return joined.strip().nullif("")


def stakeholder_list(contacts: ir.Table, product_users: ir.Table, user_daily: ir.Table,
                     survey_responses: ir.Table, support_tickets: ir.Table, *,
                     as_of: date) -> ir.Table:
    """One row per contact known by `as_of`, with its last engagement: the people to
    approach (see docs/metrics/stakeholders.md)."""
    c = known_contacts(contacts, as_of)
    last = last_engaged(product_users, user_daily, survey_responses, support_tickets,
                        as_of=as_of).rename(_email="email")
    j = c.left_join(last, c.email == last._email)
    recent = day_window(j.last_engaged_at, as_of, ENGAGED_DAYS)
    return j.select(
        account_id=j.account_id.cast("string"),
        contact_id=j.contact_id.cast("string"),
        name=_full_name(j).cast("string"),
        email=j.email.cast("string"),
        job_title=j.job_title.cast("string"),
        role=j.role.cast("string"),
        engaged_90d=recent.fill_null(False).cast("boolean"),
        last_engaged_at=j.last_engaged_at.cast("date"),
    )


def stakeholders(contacts: ir.Table, product_users: ir.Table, user_daily: ir.Table,
                 survey_responses: ir.Table, support_tickets: ir.Table, *,
                 as_of: date) -> ir.Table:
    """Contacts per role, champion present, decision maker engaged and engaged contacts per
    account with any contact known by `as_of`."""
    people = stakeholder_list(contacts, product_users, user_daily, survey_responses,
                              support_tickets, as_of=as_of)
    engaged = ibis.ifelse(people.engaged_90d, 1, 0)
    per_role = {f"contacts_{role}": ibis.ifelse(people.role == role, 1, 0).sum()
                for role in CONTACT_ROLES}
    out = people.group_by("account_id").aggregate(
        contacts_total=people.count(), **per_role,
        engaged_contacts_90d=engaged.sum(),
        _deciders_engaged=ibis.ifelse(people.engaged_90d & people.role.isin(DECIDERS),
                                      1, 0).sum())
    counts = {name: out[name].cast("int64")
              for name in ("contacts_total", *per_role, "engaged_contacts_90d")}
    return out.select(
        account_id=out.account_id.cast("string"),
        **counts,
        champion_present=(out[f"contacts_{CHAMPION}"] > 0).cast("boolean"),
        decision_maker_engaged=(out._deciders_engaged > 0).cast("boolean"),
    )
