"""Cohorts: where the best accounts came from and what they share, on a hand-checked table.

Ten paying accounts k1..k10 with margin LTV k x 1000 (LTV percentile (k-1)/9) and health 100,
except k10 at health 90; k11 never subscribed (not in the population). Quality = health/100 x
LTV percentile: k10 0.9, k9 0.889, ... k1 0. With share 0.2 the top cohort is k9 and k10
(fewer than 0.2 x 10 = 2 accounts score higher), the bottom cohort k1 and k2.

  channel:   k9, k10 affiliate (aff x); k1, k2 affiliate (aff y); k3-k6 direct; k7, k8 paid
             -> affiliate: top 2/2 = 100% vs all 4/10 = 40%, lift 2.5; aff x lift 1.0/0.2 = 5
  plan:      k9 scale, the rest pro -> scale 50% of top vs 10% of all (lift 5),
             pro 50% vs 90% (lift 0.5/0.9)
  seats:     top 20, 10 -> median 15; rest 1..8 -> 4.5
  tenure:    k x 100 days: top 900, 1000 -> 950; rest 100..800 -> 450
  features:  'Workflow Automated' by k9, k10, k1 (and k2 on 2026-08-24, one day before the
             90-day window) -> top 100%, rest 1/8, lift 8; 'Invite Sent' by k10 only -> top
             50%, rest 0%, no lift; a page view by k9 is not a feature
  churned:   k1 too_expensive, k2 missing_features, k5 too_expensive, k6 unused
             -> bottom churned: missing_features 1/2 vs all churned 1/4 (lift 2),
                too_expensive 1/2 vs 2/4 (lift 1); unused not in the bottom
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pyarrow as pa
import pytest

from successlink.decisions.cohorts import cohort_summary, quality_cohorts, summarise_cohorts
from successlink.scores.rollups import DAY_EVENT
from successlink.scores.snapshots import read_snapshot
from tests.decisions.scored import AS_OF, store_scored

CHANNEL = {9: ("affiliate", "x"), 10: ("affiliate", "x"), 1: ("affiliate", "y"),
           2: ("affiliate", "y"), 7: ("paid", None), 8: ("paid", None)}
CHURNED = {1: "too_expensive", 2: "missing_features", 5: "too_expensive", 6: "unused"}
USED = [(9, "track", "Workflow Automated", "2026-11-01"), (10, "track", "Workflow Automated",
        "2026-08-25"), (1, "track", "Workflow Automated", "2026-10-01"),
        (2, "track", "Workflow Automated", "2026-08-24"), (10, "track", "Invite Sent",
        "2026-11-22"), (9, "page", "Dashboard", "2026-11-20"),
        (3, "track", "Invite Sent", "2026-11-23")]


def account(k: int) -> dict[str, Any]:
    channel, affiliate = CHANNEL.get(k, ("direct", None))
    return {"account_id": f"k{k}", "ltv_margin_minor": k * 1000, "health": 90.0 if k == 10
            else 100.0, "channel": channel, "affiliate_id": affiliate,
            "plan_name": "scale" if k == 9 else "pro",
            "seats": {9: 10, 10: 20}.get(k, k), "tenure_days": k * 100.0,
            "status": "churned" if k in CHURNED else "active",
            "cancellation_reason": CHURNED.get(k)}


def store(wh) -> None:
    never = {"account_id": "k11", "status": "never_subscribed", "ltv_margin_minor": None}
    store_scored(wh, [account(k) for k in range(1, 11)] + [never])
    schema = pa.schema([("account_id", pa.string()), ("day", pa.date32()),
                        ("event_type", pa.string()), ("event", pa.string()),
                        ("events", pa.int64())])
    rows = pa.table({"account_id": [f"k{k}" for k, *_ in USED],
                     "day": [date.fromisoformat(d) for *_, d in USED],
                     "event_type": [u[1] for u in USED], "event": [u[2] for u in USED],
                     "events": [3] * len(USED)}, schema=schema)
    wh.con.create_table(DAY_EVENT, schema=ibis.Schema.from_pyarrow(schema))
    wh.append_arrow(DAY_EVENT, rows)


def summary(wh):
    store(wh)
    return cohort_summary(read_snapshot(wh, "account_metrics", AS_OF),
                          read_snapshot(wh, "account_health", AS_OF), wh.table(DAY_EVENT),
                          as_of=AS_OF, share=0.2)


def test_top_and_bottom_cohorts_by_health_times_ltv_percentile(wh):
    store(wh)
    t = quality_cohorts(read_snapshot(wh, "account_metrics", AS_OF),
                        read_snapshot(wh, "account_health", AS_OF), 0.2)
    rows = {r["account_id"]: r for r in t.to_pyarrow().to_pylist()}
    assert set(rows) == {f"k{k}" for k in range(1, 11)}  # k11 never paid
    assert rows["k10"]["quality"] == pytest.approx(0.9)
    assert rows["k9"]["quality"] == pytest.approx(8 / 9)
    assert sorted(k for k, r in rows.items() if r["top"]) == ["k10", "k9"]
    assert sorted(k for k, r in rows.items() if r["bottom"]) == ["k1", "k2"]


def test_channel_affiliate_and_plan_mix_with_lift(wh):
    s = summary(wh)
    assert (s.top_accounts, s.all_accounts, s.bottom_accounts) == (2, 10, 2)
    channels = {r.key: r for r in s.channels}
    assert (channels["affiliate"].top_share, channels["affiliate"].all_share) == (1.0, 0.4)
    assert channels["affiliate"].lift == pytest.approx(2.5)
    assert channels["direct"].lift == 0.0 and s.channels[0].key == "affiliate"
    affiliates = {r.key: r for r in s.affiliates}
    assert affiliates["x"].lift == pytest.approx(5.0) and affiliates["y"].lift == 0.0
    plans = {r.key: r for r in s.plans}
    assert plans["scale"].lift == pytest.approx(5.0)
    assert plans["pro"].lift == pytest.approx(0.5 / 0.9)


def test_features_of_the_top_cohort_against_the_rest_in_the_last_90_days(wh):
    s = summary(wh)
    assert [(f.feature, f.top_accounts, f.rest_accounts) for f in s.features] == [
        ("Workflow Automated", 2, 1), ("Invite Sent", 1, 0)]
    workflow, invite = s.features
    assert (workflow.top_share, workflow.rest_share) == (1.0, 0.125)
    assert workflow.lift == pytest.approx(8.0)
    assert invite.lift is None


def test_medians_of_seats_and_tenure_work_without_a_median_function(wh):
    s = summary(wh)
    assert s.median_seats == {"top": 15.0, "rest": 4.5}
    assert s.median_tenure_days == {"top": 950.0, "rest": 450.0}


def test_cancellation_reasons_of_the_bottom_cohort_are_the_pain_points(wh):
    s = summary(wh)
    assert [(p.key, p.top_accounts, p.all_accounts) for p in s.pain_points] == [
        ("missing_features", 1, 1), ("too_expensive", 1, 2)]
    assert [p.lift for p in s.pain_points] == pytest.approx([2.0, 1.0])


def test_summarise_cohorts_reads_the_latest_snapshot(wh):
    store(wh)
    s = summarise_cohorts(wh)
    assert s.as_of == AS_OF and s.top_accounts == 1  # default share 0.1: k10 alone
    assert s.features[0].feature == "Workflow Automated"
