"""Stakeholders as of a day: contacts per role, champion, engaged decision makers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from successlink.metrics.stakeholders import stakeholder_list, stakeholders
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed_many
from tests.metrics.test_rollups import event, materialise
from tests.metrics.test_support import assert_same, ticket
from tests.metrics.test_surveys import answer, contact, user

# The 90-day engagement window is 2024-04-02 .. 2024-06-30 (UTC days).
AS_OF = date(2024, 6, 30)

WORLD: dict[str, list[dict[str, Any]]] = {
    "contacts": [
        {**contact("k1", "dm@a.io", "2024-01-01", role="decision_maker"),
         "first_name": "Dana", "last_name": "Miller", "job_title": "CEO"},
        {**contact("k2", "ch@a.io", "2024-01-01", role="champion"), "first_name": "Chris"},
        contact("k3", "inf@a.io", "2024-01-01", role="influencer"),
        contact("k4", "bh@a.io", None, role="budget_holder"),   # no creation time: known
        contact("k5", None, "2024-01-01"),                      # no e-mail: never engaged
        contact("k7", "eu@a.io", "2024-01-01"),                 # uses the product only later
        contact("b1", "bb@b.io", "2024-01-01", account="b", role="budget_holder"),
        contact("b2", "chb@b.io", "2024-01-01", account="b", role="champion"),
        contact("c1", "dc@c.io", "2024-01-01", account="c", role="decision_maker"),
        contact("c2", "chc@c.io", "2024-01-01", account="c", role="champion"),
        {**contact("z1", "dz@z.io", "2024-01-01", role="decision_maker"), "account_id": None},
    ],
    "product_users": [
        user("u1", "dm@a.io", "2024-01-01"),
        user("u7", "eu@a.io", "2024-01-01"),
        # Identified (latest call) after the day: the e-mail link still holds for May usage.
        user("u9", "chc@c.io", "2024-08-01", account="c"),
    ],
    "usage_events": [
        event("e1", "2024-06-10 09:00", user="u1"),             # k1 used the product
        event("e2", "2024-05-20", account="c", user="u9"),     # c2 used the product
    ],
    "survey_responses": [
        answer("s1", "2024-01-01", 9, "dm@a.io"),              # k1, long ago
        answer("s2", "2024-04-02 00:00", 10, "ch@a.io"),       # k2, first instant of window
        answer("s3", "2024-03-01", 6, "dc@c.io", account="c"),  # c1, too long ago
    ],
    "support_tickets": [
        ticket("t1", "2024-04-01 23:59", email="inf@a.io"),     # k3, a minute too early
        ticket("t2", "2024-06-30 23:59", account="b", email="bb@b.io"),  # b1, last minute
    ],
}
LATER: dict[str, list[dict[str, Any]]] = {
    "contacts": [contact("k6", "o@a.io", "2024-07-05", role="other"),
                 contact("n1", "n@n.io", "2024-07-02", account="n", role="champion")],
    "usage_events": [event("e3", "2024-07-01 00:00", user="u7"),
                     event("e4", "2024-07-02", account="c", user="u9")],
    "survey_responses": [answer("s4", "2024-07-02", 3, "dc@c.io", account="c")],
    "support_tickets": [ticket("t3", "2024-07-03", email="bh@a.io")],
}


def _tables(wh: Warehouse, world: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    seed_many(wh, world)
    _, users = materialise(wh)
    return {"contacts": wh.table("contacts"), "product_users": wh.table("product_users"),
            "user_daily": users, "survey_responses": wh.table("survey_responses"),
            "support_tickets": wh.table("support_tickets")}


def _stakeholders(wh: Warehouse, world: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    df = stakeholders(**_tables(wh, world), as_of=AS_OF).execute()
    return {r["account_id"]: r for r in df.to_dict("records")}


def _people(wh: Warehouse, world: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    df = stakeholder_list(**_tables(wh, world), as_of=AS_OF).execute()
    return {r["contact_id"]: r for r in df.to_dict("records")}


def test_contacts_are_counted_per_role(wh: Warehouse) -> None:
    a = _stakeholders(wh, WORLD)["a"]
    assert a["contacts_total"] == 6                             # k1 k2 k3 k4 k5 k7
    assert (a["contacts_decision_maker"], a["contacts_champion"], a["contacts_influencer"],
            a["contacts_budget_holder"], a["contacts_end_user"],
            a["contacts_other"]) == (1, 1, 1, 1, 2, 0)
    assert bool(a["champion_present"]) is True


def test_engagement_is_product_use_a_survey_or_a_ticket_in_90_days(wh: Warehouse) -> None:
    out = _stakeholders(wh, WORLD)
    # a: k1 (product use June 10) and k2 (survey on the window's first instant).
    assert (out["a"]["engaged_contacts_90d"], bool(out["a"]["decision_maker_engaged"])) \
        == (2, True)
    # b: only the budget holder, by a ticket in the last minute; a budget holder counts.
    assert (out["b"]["engaged_contacts_90d"], bool(out["b"]["decision_maker_engaged"])) \
        == (1, True)
    # c: the champion used the product; the decision maker's survey is too old.
    assert (out["c"]["engaged_contacts_90d"], bool(out["c"]["decision_maker_engaged"])) \
        == (1, False)
    assert set(out) == {"a", "b", "c"}


def test_stakeholder_list_names_each_person_and_their_last_engagement(
        wh: Warehouse) -> None:
    people = _people(wh, WORLD)
    assert "k6" not in people and "z1" not in people

    def seen(cid: str) -> tuple[Any, ...]:
        p = people[cid]
        last = None if pd.isna(p["last_engaged_at"]) else pd.Timestamp(p["last_engaged_at"]).date()
        return p["name"], p["role"], bool(p["engaged_90d"]), last

    assert seen("k1") == ("Dana Miller", "decision_maker", True, date(2024, 6, 10))
    assert seen("k2") == ("Chris", "champion", True, date(2024, 4, 2))
    assert seen("k3") == (None, "influencer", False, date(2024, 4, 1))
    assert seen("k4") == (None, "budget_holder", False, None)
    assert seen("k7") == (None, "end_user", False, None)
    assert (people["k1"]["job_title"], people["k1"]["email"]) == ("CEO", "dm@a.io")


def test_later_people_and_activity_change_nothing(wh: Warehouse) -> None:
    before = _stakeholders(wh, WORLD)
    people_before = _people(wh, {})
    after = _stakeholders(wh, LATER)
    assert_same(after, before)
    assert_same(_people(wh, {}), people_before)


def test_output_columns_have_their_declared_types(wh: Warehouse) -> None:
    tables = _tables(wh, WORLD)
    summary = {k: str(v) for k, v in stakeholders(**tables, as_of=AS_OF).schema().items()}
    assert summary == {
        "account_id": "string", "contacts_total": "int64", "contacts_decision_maker": "int64",
        "contacts_champion": "int64", "contacts_influencer": "int64",
        "contacts_budget_holder": "int64", "contacts_end_user": "int64",
        "contacts_other": "int64", "engaged_contacts_90d": "int64",
        "champion_present": "boolean", "decision_maker_engaged": "boolean"}
    listed = {k: str(v) for k, v in stakeholder_list(**tables, as_of=AS_OF).schema().items()}
    assert listed == {
        "account_id": "string", "contact_id": "string", "name": "string", "email": "string",
        "job_title": "string", "role": "string", "engaged_90d": "boolean",
        "last_engaged_at": "date"}
