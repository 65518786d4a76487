"""Advocates: who is eligible, how they rank, what we say about them, and whom to ask.

Fixture (as of 2026-11-22, default weights health 25, nps 20, usage level 10, usage trend 10,
tenure 10, expansion 10, support 5, LTV 10; LTV percentile over a, b, c only, the others have
no LTV):

  a: health 80, NPS 10 (100), 20 active days (100), trend +50% (100), 730 days (100),
     2 expansions (100), 0 tickets (100), highest LTV (100)    -> 20 + 75           = 95.0
  b: health 60, no NPS (30), 10 days (50), flat (50), 365 days (50), 1 expansion (70),
     1 ticket (80), middle LTV (50)     -> (1500+600+500+500+500+700+400+500)/100 = 52.0
  c: health 70, NPS 8 (80), 30 days (100), -20% (30), 146 days (20), none (0),
     5 tickets (0), lowest LTV (0)      -> (1750+1600+1000+300+200)/100           = 48.5
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pytest

from successlink.decisions.advocates import (
    AdvocateSettings,
    advocacy,
    rank_advocates,
    scored_day,
)
from successlink.decisions.contacts import Contact, contact_order
from successlink.errors import SuccessLinkError
from successlink.scores.rollups import DAY_USER
from successlink.scores.snapshots import read_snapshot
from tests.decisions.scored import AS_OF, store_scored
from tests.metrics.seed import seed, seed_many

A = {"account_id": "a", "health": 80.0, "band": "green", "nps_latest_score": 10,
     "nps_latest_category": "promoter", "active_days_30": 20, "active_users_30": 8,
     "usage_trend": 0.5, "tenure_days": 730.0, "upsell_count": 1, "cross_sell_count": 1,
     "expansion_mrr_minor": 24_000, "tickets_90d": 0, "ltv_margin_minor": 5_000,
     "channel": "affiliate", "affiliate_id": "aff_1", "mrr_minor": 50_000}
B = {"account_id": "b", "health": 60.0, "band": "yellow", "active_days_30": 10,
     "usage_trend": 0.0, "tenure_days": 365.0, "upsell_count": 1, "tickets_90d": 1,
     "ltv_margin_minor": 3_000}
C = {"account_id": "c", "health": 70.0, "band": "green", "nps_latest_score": 8,
     "active_days_30": 30, "usage_trend": -0.2, "tenure_days": 146.0, "tickets_90d": 5,
     "ltv_margin_minor": 1_000}
STAR = {"health": 95.0, "band": "green", "nps_latest_score": 10, "active_days_30": 25,
        "usage_trend": 0.5, "tenure_days": 900.0, "upsell_count": 2, "tickets_90d": 0}
EXCLUDED = {
    "red": ({"band": "red"}, "health is at risk"),
    "escalated": ({"escalations_90d": 1}, "escalated in the last 90 days"),
    "detractor": ({"nps_latest_score": 3}, "detractor (latest NPS 0-6)"),
    "urgent": ({"open_urgent_tickets": 1}, "has open urgent tickets"),
    "new": ({"tenure_days": 60.0}, "customer for under 90 days"),
    "churned": ({"status": "churned", "is_active": False}, "not an active paying customer"),
}


def accounts() -> list[dict[str, Any]]:
    stars = [{**STAR, **change, "account_id": name} for name, (change, _) in EXCLUDED.items()]
    return [A, B, C, *stars]


def scored(wh, settings: AdvocateSettings | None = None) -> dict[str, dict[str, Any]]:
    store_scored(wh, accounts())
    t = advocacy(read_snapshot(wh, "account_metrics", AS_OF),
                 read_snapshot(wh, "account_health", AS_OF), settings or AdvocateSettings())
    return {r["account_id"]: r for r in t.to_pyarrow().to_pylist()}


def test_at_risk_escalated_detractor_urgent_new_and_churned_accounts_are_excluded(wh):
    rows = scored(wh)
    for name, (_, why) in EXCLUDED.items():
        assert not rows[name]["eligible"], name
        assert rows[name]["excluded_because"] == why
    assert all(rows[k]["eligible"] and rows[k]["excluded_because"] is None for k in "abc")


def test_detractors_may_be_allowed_by_settings(wh):
    rows = scored(wh, AdvocateSettings(exclude_detractors=False))
    assert rows["detractor"]["eligible"]


def test_advocacy_score_is_the_weighted_mean_of_hand_checked_points(wh):
    rows = scored(wh)
    assert rows["a"]["advocacy_score"] == pytest.approx(95.0)
    assert rows["b"]["advocacy_score"] == pytest.approx(52.0)
    assert rows["c"]["advocacy_score"] == pytest.approx(48.5)
    assert [rows[k]["ltv_percentile"] for k in "abc"] == pytest.approx([1.0, 0.5, 0.0])
    assert rows["b"]["points_nps"] == pytest.approx(30.0)  # no answer: below a passive


def test_weights_are_normalised_so_only_their_ratios_matter(wh):
    rows = scored(wh, AdvocateSettings(weights={"health": 2.0, "tenure": 2.0}))
    assert rows["b"]["advocacy_score"] == pytest.approx((60 + 50) / 2)


def seed_crm(wh) -> None:
    seed_many(wh, {
        "accounts": [{"account_id": "a", "name": "Acme", "domain": "acme.test"},
                     {"account_id": "b", "name": "Bolt"}],
        "contacts": [
            {"contact_id": "c1", "account_id": "a", "first_name": "Zoe", "role": "other"},
            {"contact_id": "c2", "account_id": "a", "first_name": "Ian", "role": "influencer"},
            {"contact_id": "c3", "account_id": "a", "first_name": "Cara", "last_name": "Champ",
             "job_title": "Head of Operations", "role": "champion",
             "email": "cara@acme.test"},
            {"contact_id": "c4", "account_id": "a", "first_name": "Dan",
             "role": "decision_maker"},
            {"contact_id": "c5", "account_id": "a", "first_name": "Bea", "role": "budget_holder"},
            {"contact_id": "c6", "account_id": "a", "first_name": "Late", "role": "champion",
             "created_at": "2026-12-01"},
        ],
        "survey_responses": [
            {"response_id": "r1", "account_id": "a", "kind": "nps", "score": 10, "scale_min": 0,
             "scale_max": 10, "responded_at": "2026-11-10 09:00"},
            {"response_id": "r2", "account_id": "a", "kind": "nps", "score": 3, "scale_min": 0,
             "scale_max": 10, "responded_at": "2026-11-25 09:00"},
        ],
    })


def test_rank_advocates_orders_by_score_and_names_the_company(wh):
    store_scored(wh, accounts())
    seed_crm(wh)
    found = rank_advocates(wh, AS_OF, limit=10)
    assert [a.account_id for a in found] == ["a", "b", "c"]
    assert [a.advocacy_score for a in found] == [95.0, 52.0, 48.5]
    assert (found[0].name, found[0].domain, found[0].affiliate_id) == ("Acme", "acme.test",
                                                                       "aff_1")
    assert [a.account_id for a in rank_advocates(wh, AS_OF, limit=2)] == ["a", "b"]


def test_reasons_are_said_in_plain_english(wh):
    store_scored(wh, accounts())
    seed_crm(wh)
    a, b, _ = rank_advocates(wh, AS_OF, limit=3)
    assert a.reasons == [
        "Promoter (NPS 10, answered 12 days ago)", "Usage up 50% on the previous 30 days",
        "Active on 20 of the last 30 days (8 users)", "Expanded twice (+$240 MRR)",
        "Health 80 (green)", "Customer for 2 years", "No support tickets in the last 90 days",
        "Highest lifetime value of all customers"]
    assert b.reasons == [
        "Usage steady on the previous 30 days", "Active on 10 of the last 30 days (3 users)",
        "Expanded once", "Health 60 (yellow)", "Customer for 12 months",
        "Only 1 support ticket in the last 90 days"]


def test_contacts_come_champion_first_and_only_those_known_by_as_of(wh):
    store_scored(wh, accounts())
    seed_crm(wh)
    a = rank_advocates(wh, AS_OF, limit=1)[0]
    assert [c.role for c in a.contacts] == ["champion", "decision_maker", "influencer",
                                            "budget_holder"]  # 4 per account by default
    champion = a.contacts[0]
    assert (champion.name, champion.email) == ("Cara Champ", "cara@acme.test")
    assert champion.why.startswith("Champion (Head of Operations): already argues for")


def test_people_seen_in_the_last_90_days_come_first_within_their_role(wh):
    """With the usage rollup present, engagement comes from metrics.stakeholders: Dan
    answered a survey on 2026-11-10, Abe (alphabetically first) never did anything."""
    store_scored(wh, accounts())
    seed_crm(wh)
    seed_many(wh, {
        "contacts": [{"contact_id": "c7", "account_id": "a", "first_name": "Abe",
                      "role": "decision_maker", "email": "abe@acme.test"}],
        "survey_responses": [{"response_id": "r3", "account_id": "a", "kind": "csat",
                              "score": 5, "scale_min": 1, "scale_max": 5,
                              "respondent_email": "dan@acme.test",
                              "responded_at": "2026-11-10 10:00"}]})
    wh.execute("UPDATE contacts SET email = 'dan@acme.test' WHERE contact_id = 'c4'")
    wh.con.create_table(DAY_USER, schema=ibis.schema({
        "account_id": "string", "day": "date", "user_id": "string", "events": "int64"}))
    a = rank_advocates(wh, AS_OF, limit=1, settings=AdvocateSettings(contacts_per_account=3))[0]
    assert [(c.name, c.engaged_90d) for c in a.contacts] == [
        ("Cara Champ", False), ("Dan", True), ("Abe", False)]
    assert a.contacts[1].why == ("Decision maker: can say yes to a partnership or a public "
                                 "case study. Engaged in the last 90 days (last on 2026-11-10).")
    assert a.contacts[0].why.endswith("Not seen in the last 90 days; reach them through a "
                                      "warmer contact.")


def test_existing_affiliates_are_not_suggested_again(wh):
    store_scored(wh, accounts())
    seed(wh, "affiliates", [{"affiliate_id": "aff_9", "account_id": "a"}])
    assert [a.account_id for a in rank_advocates(wh, AS_OF)] == ["b", "c"]
    keep = AdvocateSettings(exclude_affiliates=False)
    assert rank_advocates(wh, AS_OF, settings=keep)[0].account_id == "a"


def test_nothing_scored_says_to_run_score_first(wh):
    with pytest.raises(SuccessLinkError, match="nothing is scored") as err:
        scored_day(wh, None)
    assert "successlink score" in (err.value.hint or "")
    store_scored(wh, [B])
    assert scored_day(wh, None) == AS_OF
    with pytest.raises(SuccessLinkError, match="scored days: 2026-11-22"):
        scored_day(wh, AS_OF.replace(day=1))


def person(name: str, role: str, engaged: bool | None, last: str | None = None) -> Contact:
    seen = None if last is None else date.fromisoformat(last)
    return Contact(name, "a", name, None, None, role, engaged, seen, "")


def test_within_a_role_engaged_people_come_first_then_the_most_recently_seen():
    people = [person("Quiet", "champion", False), person("Unknown", "champion", None),
              person("Old", "champion", True, "2026-09-01"), person("Dm", "decision_maker", True),
              person("Fresh", "champion", True, "2026-11-20"), person("Odd", "other", True)]
    ordered = [p.name for p in sorted(people, key=contact_order)]
    assert ordered == ["Fresh", "Old", "Quiet", "Unknown", "Dm", "Odd"]
