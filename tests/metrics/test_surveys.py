"""Surveys as of a day: latest NPS, account NPS, CSAT share and response rate."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from successlink.metrics.surveys import surveys
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed_many
from tests.metrics.test_support import assert_same

# Cutoff 2024-07-01 00:00; the 365-day window starts 2023-07-02 00:00 (2024 is a leap year).
AS_OF = date(2024, 6, 30)


def answer(rid: str, at: str, score: int, email: str | None, *, kind: str = "nps",
           account: str | None = "a") -> dict[str, Any]:
    low, high = (0, 10) if kind == "nps" else (1, 5)
    return {"response_id": rid, "account_id": account, "respondent_email": email,
            "kind": kind, "score": score, "scale_min": low, "scale_max": high,
            "responded_at": at}


def contact(cid: str, email: str | None, created: str | None, *, account: str = "a",
            role: str = "end_user") -> dict[str, Any]:
    return {"contact_id": cid, "account_id": account, "email": email, "role": role,
            "created_at": created}


def user(uid: str, email: str, identified: str, *, account: str = "a") -> dict[str, Any]:
    return {"user_id": uid, "account_id": account, "email": email, "identified_at": identified}


WORLD: dict[str, list[dict[str, Any]]] = {
    "survey_responses": [
        answer("r1", "2024-06-01", 9, "p1@a.io"),      # p1's latest: promoter
        answer("r2", "2024-03-01", 3, "p1@a.io"),      # superseded by r1
        answer("r3", "2024-05-01", 5, "p2@a.io"),      # detractor
        answer("r4", "2024-06-15", 7, "p3@a.io"),      # passive; the account's latest answer
        answer("r5", "2023-07-01 23:59", 10, "p4@a.io"),  # a minute before the year: counts
        # in nps_responses only
        answer("r7", "2024-04-01", 10, None),          # no e-mail: a respondent of its own
        answer("r8", "2024-02-01", 4, "p1@a.io", kind="csat"),   # top two boxes of 1-5
        answer("r9", "2024-02-02", 3, "p2@a.io", kind="csat"),   # not satisfied
        answer("r10", "2023-01-01", 5, "p5@a.io", kind="csat"),  # older than a year
        answer("c1", "2024-06-30 23:59", 9, "x@c.io", account="c"),
        # Two answers at the same instant: the greater response_id is "latest".
        answer("d1", "2024-06-01 12:00", 3, "y@d.io", account="d"),
        answer("d2", "2024-06-01 12:00", 8, "y@d.io", account="d"),
        answer("n1", "2024-06-01", 0, "z@n.io", account=None),   # unmatched
    ],
    "contacts": [
        contact("k1", "p1@a.io", "2024-01-01"),
        contact("k2", "p2@a.io", None),                # no creation time: known
        contact("k3", None, "2024-01-01"),             # no e-mail: cannot be counted
        contact("kb", "b1@b.io", "2024-01-01", account="b"),
    ],
    "product_users": [
        user("u3", "p3@a.io", "2024-02-01"),
        user("u6", "p6@a.io", "2024-06-30 23:00"),
        user("u1", "p1@a.io", "2024-05-01"),           # also a contact: one person
    ],
}
LATER: dict[str, list[dict[str, Any]]] = {
    "survey_responses": [answer("r6", "2024-07-03", 0, "p1@a.io"),
                         answer("e1", "2024-07-02", 0, "q@e.io", account="e")],
    "contacts": [contact("k9", "p9@a.io", "2024-07-05"),
                 contact("ke", "q@e.io", "2024-07-02", account="e")],
    "product_users": [user("u7", "p7@a.io", "2024-07-01 00:00")],
}


def _surveys(wh: Warehouse, world: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    seed_many(wh, world)
    df = surveys(wh.table("survey_responses"), wh.table("contacts"),
                 wh.table("product_users"), as_of=AS_OF).execute()
    return {r["account_id"]: r for r in df.to_dict("records")}


def test_latest_nps_and_account_nps(wh: Warehouse) -> None:
    a = _surveys(wh, WORLD)["a"]
    assert (a["nps_latest_score"], a["nps_latest_category"]) == (7, "passive")   # r4
    assert pd.Timestamp(a["nps_latest_at"]) == pd.Timestamp("2024-06-15", tz="UTC")
    assert a["days_since_nps"] == pytest.approx(16.0)      # June 15 00:00 -> July 1 00:00
    assert a["nps_responses"] == 6                         # r1 r2 r3 r4 r5 r7
    # Latest per respondent in the year: p1 9 (P), p2 5 (D), p3 7, no-email 10 (P); p4 is
    # outside the year. (2 - 1) / 4 = +25.
    assert a["nps_account_score"] == pytest.approx(25.0)


def test_csat_share_counts_the_top_two_boxes_of_the_last_year(wh: Warehouse) -> None:
    a = _surveys(wh, WORLD)["a"]
    assert (a["csat_responses"], a["csat_responses_365d"]) == (3, 2)
    assert a["csat_pct_satisfied"] == pytest.approx(50.0)  # r8 (4 of 5) yes, r9 (3) no


def test_response_rate_is_respondents_over_known_people(wh: Warehouse) -> None:
    # Respondents with an e-mail in the year: p1 p2 p3. Known: p1 p2 (contacts), p3 p6
    # (product users); p1 is both. 3 / 4.
    assert _surveys(wh, WORLD)["a"]["response_rate"] == pytest.approx(0.75)


def test_accounts_without_answers_or_without_known_people(wh: Warehouse) -> None:
    out = _surveys(wh, WORLD)
    b = out["b"]   # a contact, no answers: a rate of 0, nothing else measured
    assert (b["nps_responses"], b["csat_responses"], b["response_rate"]) == (0, 0, 0.0)
    assert pd.isna(b["nps_latest_score"]) and b["nps_latest_category"] is None
    assert pd.isna(b["nps_account_score"]) and pd.isna(b["csat_pct_satisfied"])
    c = out["c"]   # answers, nobody known: no rate
    assert (c["nps_latest_score"], c["nps_latest_category"]) == (9, "promoter")
    assert c["days_since_nps"] == pytest.approx(1 / 24 / 60)
    assert c["nps_account_score"] == pytest.approx(100.0)
    assert pd.isna(c["response_rate"])
    assert set(out) == {"a", "b", "c", "d"}


def test_answers_at_the_same_instant_resolve_the_same_way_everywhere(wh: Warehouse) -> None:
    d = _surveys(wh, WORLD)["d"]
    assert (d["nps_latest_score"], d["nps_latest_category"]) == (8, "passive")   # d2
    assert d["nps_account_score"] == pytest.approx(0.0)    # y's latest is d2: a passive
    assert d["nps_responses"] == 2


def test_later_answers_and_people_change_nothing(wh: Warehouse) -> None:
    before = _surveys(wh, WORLD)
    after = _surveys(wh, LATER)
    assert set(after) == set(before)
    assert_same(after, before)


def test_output_columns_have_their_declared_types(wh: Warehouse) -> None:
    seed_many(wh, WORLD)
    schema = surveys(wh.table("survey_responses"), wh.table("contacts"),
                     wh.table("product_users"), as_of=AS_OF).schema()
    assert {k: str(v) for k, v in schema.items()} == {
        "account_id": "string", "nps_latest_score": "int64", "nps_latest_category": "string",
        "nps_latest_at": "timestamp('UTC')", "days_since_nps": "float64",
        "nps_responses": "int64", "nps_account_score": "float64", "csat_responses": "int64",
        "csat_responses_365d": "int64", "csat_pct_satisfied": "float64",
        "response_rate": "float64"}
