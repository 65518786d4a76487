"""The source scorecard on hand-checked cohorts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from successlink.config import ScorecardSettings
from successlink.scores.scorecard import scorecards
from tests.scores.accounts import make_accounts

SETTINGS = ScorecardSettings()  # type: ignore[call-arg]


def _card(rows: list[dict[str, Any]], kind: str = "affiliate") -> dict[str, dict[str, Any]]:
    table, _ = scorecards(make_accounts(rows), make_accounts(rows).as_of, SETTINGS)
    out = {}
    for row in table.to_pylist():
        if row["source_kind"] == kind:
            out[row["source_id"]] = row
    return out


def test_churn_counts_only_accounts_old_enough_to_be_judged() -> None:
    # As of 2024-12-31 (cutoff 2025-01-01): a1..a3 started >= 90 days before; a4 did not.
    card = _card([
        {"affiliate_id": "x", "started": "2024-01-01", "churned": "2024-02-15"},  # 45 days
        {"affiliate_id": "x", "started": "2024-01-01", "churned": "2024-06-01"},  # 152 days
        {"affiliate_id": "x", "started": "2024-03-01"},
        {"affiliate_id": "x", "started": "2024-12-01", "churned": "2024-12-10"},  # too young
    ])["x"]
    assert (card["eligible_90d"], card["churned_90d"]) == (3, 1)
    assert card["churn_90d"] == pytest.approx(1 / 3)
    assert card["churn_90d_low"] < 1 / 3 < card["churn_90d_high"]
    # 180 days: started by 2024-07-05: a1, a2, a3 eligible; a1 and a2 churned within 180 days.
    assert (card["eligible_180d"], card["churned_180d"]) == (3, 2)
    assert card["referred_accounts"] == 4 and card["active_accounts"] == 1


def test_money_commissions_net_value_and_roi() -> None:
    # Two accounts, both with tenure over 12 months: commission = 20% of net revenue.
    card = _card([
        {"affiliate_id": "x", "started": "2022-01-01", "revenue_net": 50_000.0, "crc": 5_000.0},
        {"affiliate_id": "x", "started": "2022-06-01", "revenue_net": 30_000.0, "crc": 1_000.0},
    ])["x"]
    # Commission base: revenue x min(1, 12 months / tenure); tenure 1096 and 945 days.
    share_1 = 12 * 30.4375 / 1096
    share_2 = 12 * 30.4375 / 945
    commissions = 0.2 * (50_000 * share_1 + 30_000 * share_2)
    assert card["commissions_minor"] == round(commissions)
    assert card["revenue_net_minor"] == 80_000 and card["crc_minor"] == 6_000
    assert card["net_value_minor"] == round(80_000 - 6_000 - commissions)
    assert card["roi"] == pytest.approx((80_000 - 6_000 - commissions) / commissions, rel=1e-6)


def test_channels_pay_no_commission() -> None:
    card = _card([{"channel": "organic_search", "started": "2024-01-01"}], kind="channel")
    assert card["organic_search"]["commissions_minor"] == 0
    assert card["organic_search"]["roi"] is None


def test_nps_uses_each_accounts_latest_category_with_an_adjusted_wald_interval() -> None:
    rows = [{"affiliate_id": "x", "started": "2024-01-01", "nps_category": c}
            for c in ["promoter"] * 5 + ["passive"] * 3 + ["detractor"] * 2 + [""] * 4]
    card = _card(rows)["x"]
    # Published case: 5/3/2 -> adjusted NPS 23.08 in [-19.05, 65.2].
    assert card["nps"] == pytest.approx(23.08, abs=0.01)
    assert card["nps_low"] == pytest.approx(-19.05, abs=0.01)
    assert card["nps_respondents"] == 10


def _cohort(affiliate: str, n: int, *, churn_every: int, revenue: float,
            health: float) -> list[dict[str, Any]]:
    return [{"affiliate_id": affiliate, "started": "2023-06-01", "revenue_net": revenue,
             "churned": "2023-08-01" if (i + 1) % churn_every == 0 else None,
             "health_score": health,
             "health_band": "green" if health >= 70 else "yellow",
             "nps_category": "promoter" if health >= 70 else "passive"} for i in range(n)]


def test_a_lucky_small_affiliate_does_not_top_a_large_good_one() -> None:
    rows = (_cohort("big_good", 60, churn_every=10, revenue=40_000, health=75)
            + _cohort("lucky", 2, churn_every=99, revenue=60_000, health=90)
            + _cohort("big_poor", 60, churn_every=2, revenue=10_000, health=40)
            + _cohort("mid", 30, churn_every=4, revenue=20_000, health=60))
    cards = _card(rows)
    # Raw, the two-account affiliate looks best; shrunk, the proven one ranks first.
    assert cards["lucky"]["quality_raw"] > cards["big_good"]["quality_raw"]
    assert cards["big_good"]["quality_rank"] == 1
    assert cards["big_poor"]["quality_rank"] == 4
    # Its uncertainty shows: the small affiliate's interval is much wider.
    width = {k: c["quality_high"] - c["quality_low"] for k, c in cards.items()}
    assert width["lucky"] > 2 * width["big_good"]
    assert cards["big_poor"]["volume_rank"] <= 2 and cards["big_poor"]["quality_rank"] == 4


def test_tiers_new_for_few_accounts_and_review_for_early_refunds() -> None:
    rows = (_cohort("big_good", 40, churn_every=10, revenue=40_000, health=75)
            + _cohort("tiny", 2, churn_every=99, revenue=10_000, health=60)
            + [{"affiliate_id": "fraud", "started": "2024-06-01", "churned": "2024-06-20",
                "refunded": 5_000.0} for _ in range(5)])
    cards = _card(rows)
    assert cards["tiny"]["suggested_tier"] == "new"
    assert cards["fraud"]["suggested_tier"] == "review"
    assert "refunded or disputed" in cards["fraud"]["tier_reason"]
    assert cards["big_good"]["suggested_tier"] in SETTINGS.tiers


def test_retention_curve_and_rmst_without_censoring() -> None:
    # Four accounts lasting 100, 200, 300 and 400 days: S(365) = 1/4; RMST(365) = mean of
    # min(T, 365) = (100 + 200 + 300 + 365) / 4 = 241.25.
    rows = [{"affiliate_id": "x", "started": "2022-01-01",
             "churned": str(np.datetime64("2022-01-01") + np.timedelta64(d, "D"))}
            for d in (100, 200, 300, 400)]
    table, curves = scorecards(make_accounts(rows), make_accounts(rows).as_of, SETTINGS)
    card = next(r for r in table.to_pylist() if r["source_id"] == "x")
    assert card["retention_horizon"] == pytest.approx(0.25)
    assert card["rmst_days"] == pytest.approx(241.25)
    x = [r for r in curves.to_pylist() if r["source_id"] == "x"]
    assert x[0]["day"] == 0 and x[0]["survival"] == 1.0
    assert next(r for r in x if r["day"] == 203)["survival"] == pytest.approx(0.5)
