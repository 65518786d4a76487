"""Usage as of a day, from the daily rollups: windows, users, features, adoption, trend."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from successlink.metrics.rollups import usage_daily, user_daily
from successlink.metrics.usage import usage
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed
from tests.metrics.test_rollups import event, materialise

# Recent window (30 days): 2024-03-02 .. 2024-03-31; the one before: 2024-02-01 .. 2024-03-01
# (2024 is a leap year: 29 February days + 1 March day).
AS_OF = date(2024, 3, 31)
KEY = ["Invite Sent", "API Key Created", "Alert Configured", "Workflow Automated"]

EVENTS = [
    # account a
    event("a1", "2024-03-31 23:59"),                              # recent, the last minute
    event("a2", "2024-03-31 10:00"),                              # recent, same day
    event("a3", "2024-03-02 00:00", "Home", user="u2", kind="page"),  # recent, first day
    event("a4", "2024-03-15 09:00", "Settings", user="u3", kind="screen"),
    event("a5", "2024-03-15 10:00", user=None),                   # nobody: an event, no user
    event("a6", "2024-03-01 23:59", "Report Run", user=None, anon="z1"),  # previous, last day
    event("a7", "2024-02-01 00:00", "API Key Created"),           # previous, first day
    event("a8", "2024-01-31 23:59", "Alert Configured"),          # before both windows
    # account b: one old event only
    event("b1", "2023-12-01 08:00", account="b", user="u9"),
    event("x1", "2024-03-20", account=None),                      # unmatched: nowhere
]
# Dated after AS_OF: must change nothing (c exists only in the future).
LATER = [
    event("a9", "2024-04-01 00:00", "Workflow Automated"),
    event("b2", "2024-04-05", account="b", user="u9"),
    event("c1", "2024-04-02", account="c"),
]


def _usage(wh: Warehouse, rows: list[dict[str, Any]], **kw: Any) -> dict[str, dict[str, Any]]:
    seed(wh, "usage_events", rows)
    daily, users = materialise(wh)
    args = {"as_of": AS_OF, "window_days": 30, "key_features": KEY, **kw}
    df = usage(daily, users, **args).execute()
    return {r["account_id"]: r for r in df.to_dict("records")}


def test_usage_counts_days_users_events_and_features(wh: Warehouse) -> None:
    a = _usage(wh, EVENTS)["a"]
    assert a["active_days_30"] == 3          # 03-31, 03-15, 03-02
    assert a["active_days_prev_30"] == 2     # 03-01, 02-01
    assert a["active_users_30"] == 3         # u1, u2, u3 (a5 has no id)
    assert a["active_users_prev_30"] == 2    # z1 (anonymous), u1
    assert a["events_30"] == 5               # a1 a2 a3 a4 a5
    assert a["events_prev_30"] == 2          # a6 a7
    assert a["events_total"] == 8            # plus a8
    assert a["distinct_features_30"] == 1    # track events only: Invite Sent
    assert a["key_features_adopted"] == 3    # Invite Sent, API Key Created, Alert Configured
    assert a["key_feature_adoption"] == pytest.approx(0.75)
    assert a["usage_trend"] == pytest.approx(3 / 7)         # (5 - 2) / 7
    assert a["active_users_trend"] == pytest.approx(0.2)    # (3 - 2) / 5
    assert pd.Timestamp(a["last_active_day"]).date() == AS_OF
    assert a["days_since_active"] == pytest.approx(0.0)


def test_an_account_silent_for_months_has_zero_activity_and_a_long_gap(wh: Warehouse) -> None:
    b = _usage(wh, EVENTS)["b"]
    assert (b["active_days_30"], b["active_days_prev_30"], b["events_30"]) == (0, 0, 0)
    assert (b["active_users_30"], b["events_total"], b["key_features_adopted"]) == (0, 1, 1)
    assert b["key_feature_adoption"] == pytest.approx(0.25)
    assert b["usage_trend"] == 0.0           # 0 / max(0, 1)
    assert pd.Timestamp(b["last_active_day"]).date() == date(2023, 12, 1)
    # Dec 1 -> Mar 31: 31 + 31 + 29 + 30 days.
    assert b["days_since_active"] == pytest.approx(121.0)


def test_later_events_change_nothing_and_future_only_accounts_are_absent(
        wh: Warehouse) -> None:
    before = _usage(wh, EVENTS)
    after = _usage(wh, LATER)   # appended: the warehouse now holds EVENTS + LATER
    assert set(after) == {"a", "b"}
    assert after == before


def test_window_days_sets_both_windows(wh: Warehouse) -> None:
    # 7 days: 03-25 .. 03-31 and 03-18 .. 03-24.
    rows = [event("w1", "2024-03-31"), event("w2", "2024-03-25", user="u2"),
            event("w3", "2024-03-24"), event("w4", "2024-03-18"), event("w5", "2024-03-17")]
    a = _usage(wh, rows, window_days=7)["a"]
    assert (a["active_days_30"], a["active_days_prev_30"]) == (2, 2)
    assert (a["events_30"], a["events_prev_30"], a["events_total"]) == (2, 2, 5)
    assert (a["active_users_30"], a["active_users_prev_30"]) == (2, 1)
    assert a["usage_trend"] == 0.0


def test_usage_stopped_entirely_is_a_full_fall(wh: Warehouse) -> None:
    a = _usage(wh, [event("f1", "2024-02-20"), event("f2", "2024-02-21", user="u2")])["a"]
    assert a["usage_trend"] == -1.0 and a["active_users_trend"] == -1.0
    assert a["days_since_active"] == pytest.approx(39.0)   # Feb 21 -> Mar 31: 8 + 31


def test_no_key_features_configured_leaves_adoption_unknown(wh: Warehouse) -> None:
    a = _usage(wh, EVENTS, key_features=[])["a"]
    assert a["key_features_adopted"] == 0
    assert a["key_feature_adoption"] is None or pd.isna(a["key_feature_adoption"])


def test_rollup_expressions_and_stored_rollups_agree(wh: Warehouse) -> None:
    stored = _usage(wh, EVENTS)
    events = wh.table("usage_events")
    df = usage(usage_daily(events), user_daily(events), as_of=AS_OF,
               key_features=KEY).execute()
    assert {r["account_id"]: r for r in df.to_dict("records")} == stored


def test_output_columns_have_their_declared_types(wh: Warehouse) -> None:
    seed(wh, "usage_events", EVENTS)
    daily, users = materialise(wh)
    schema = {k: str(v) for k, v in usage(daily, users, as_of=AS_OF,
                                          key_features=KEY).schema().items()}
    assert schema == {
        "account_id": "string", "active_days_30": "int64", "active_days_prev_30": "int64",
        "active_users_30": "int64", "active_users_prev_30": "int64", "events_30": "int64",
        "events_prev_30": "int64", "events_total": "int64", "distinct_features_30": "int64",
        "key_features_adopted": "int64", "key_feature_adoption": "float64",
        "usage_trend": "float64", "active_users_trend": "float64", "last_active_day": "date",
        "days_since_active": "float64"}
