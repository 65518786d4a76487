"""The latent model shows through the data the way the platform relies on (3,000 accounts)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tests.synth.helpers import (
    Events,
    csv_rows,
    epoch,
    instant,
    segment_messages,
    truth,
)


def _ranks(values: list[float]) -> np.ndarray:
    data = np.asarray(values, dtype=float)
    ranks = np.empty(len(data))
    ranks[np.argsort(data, kind="stable")] = np.arange(len(data))
    for value in np.unique(data):  # ties share their average rank
        ranks[data == value] = ranks[data == value].mean()
    return ranks


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation."""
    return float(np.corrcoef(_ranks(x), _ranks(y))[0, 1])


def test_spearman_on_a_hand_checked_example() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # d = (0, 0, 1, -1): rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert abs(spearman([1, 2, 3, 4], [1, 2, 4, 3]) - 0.8) < 1e-12


def test_a_third_of_accounts_come_through_affiliates_with_heavy_tailed_volume(
        medium_world: Path) -> None:
    accounts = truth(medium_world, "accounts")
    share = sum(a["channel"] == "affiliate" for a in accounts) / len(accounts)
    assert 0.30 <= share <= 0.40
    volume = np.array([a["referred_accounts"] for a in truth(medium_world, "affiliates")])
    assert volume.max() >= 100 and volume.max() >= 5 * np.median(volume)
    assert (volume < 10).mean() >= 0.2


def test_affiliates_with_better_latent_quality_bring_accounts_that_churn_less(
        medium_world: Path) -> None:
    churned: dict[str, list[bool]] = defaultdict(list)
    for account in truth(medium_world, "accounts"):
        if account["affiliate_id"] is not None:
            churned[account["affiliate_id"]].append(account["churned_at"] is not None)
    quality = {a["affiliate_id"]: a["latent_quality"] for a in truth(medium_world, "affiliates")}
    big = [k for k, v in churned.items() if len(v) >= 30]
    assert len(big) >= 6
    rho = spearman([quality[k] for k in big], [float(np.mean(churned[k])) for k in big])
    assert rho < -0.4


def test_health_follows_quality_and_falls_before_churn(medium_world: Path) -> None:
    accounts = truth(medium_world, "accounts")
    quality = np.array([a["latent_quality"] for a in accounts])
    health = np.array([a["latent_health"] for a in accounts])
    assert np.corrcoef(quality, health)[0, 1] > 0.4
    series: dict[str, list[float]] = defaultdict(list)
    for row in truth(medium_world, "monthly_health"):
        series[row["account_id"]].append(row["latent_health"])
    last, earlier = [], []
    for account in accounts:
        history = series[account["account_id"]]
        if account["churned_at"] is not None and not account["reactivated"] and len(
                history) >= 5:
            last.append(history[-1])
            earlier.append(history[-4])
    assert len(last) > 100
    assert np.mean(last) < np.mean(earlier) - 0.5


def test_usage_falls_before_churn(medium_world: Path) -> None:
    churn = {a["account_id"]: a["churned_at"] for a in truth(medium_world, "accounts")
             if a["churned_at"] is not None and not a["reactivated"]
             and a["churned_at"] - a["acquired_at"] > timedelta(days=150)}
    recent, before = 0, 0
    for message in segment_messages(medium_world):
        if message["type"] not in ("track", "page"):
            continue
        end = churn.get(message["context"]["groupId"])
        if end is None:
            continue
        age = end - instant(message["timestamp"])
        recent += age <= timedelta(days=30)
        before += timedelta(days=90) < age <= timedelta(days=120)
    assert before > 200
    assert recent < 0.8 * before


def test_better_accounts_buy_larger_plans(medium_world: Path) -> None:
    by_plan: dict[str, list[float]] = defaultdict(list)
    for account in truth(medium_world, "accounts"):
        by_plan[account["initial_plan"]].append(account["latent_quality"])
    means = [np.mean(by_plan[p]) for p in ("starter", "growth", "scale", "enterprise")]
    assert means == sorted(means)


def _first_payments(events: list[dict[str, Any]]) -> dict[str, tuple[str, datetime]]:
    first: dict[str, tuple[str, datetime]] = {}
    for event in events:
        obj = event["data"]["object"]
        if event["type"] == "charge.succeeded" and obj["customer"] not in first:
            first[obj["customer"]] = (obj["id"], epoch(obj["created"]))
    return first


def test_fraudulent_referrals_churn_at_once_and_take_their_money_back(
        medium_world: Path, medium_events: Events) -> None:
    accounts = truth(medium_world, "accounts")
    fraud = [a for a in accounts if a["is_fraud_referral"]]
    assert len(fraud) >= 5
    early = [a for a in fraud if a["churned_at"] is not None
             and a["churned_at"] - a["acquired_at"] < timedelta(days=70)]
    assert len(early) >= 0.5 * len(fraud)
    events = medium_events
    first = _first_payments(events)
    taken_back: set[str] = set()
    for event in events:
        obj = event["data"]["object"]
        if event["type"] in ("charge.refunded", "charge.dispute.created"):
            charge = obj["id"] if obj["object"] == "charge" else obj["charge"]
            for customer, (first_charge, paid) in first.items():
                if first_charge == charge and epoch(event["created"]) - paid < timedelta(days=21):
                    taken_back.add(customer)
    paid_fraud = [a for a in fraud if a["stripe_customer_id"] in first]
    assert len([a for a in paid_fraud if a["stripe_customer_id"] in taken_back]) >= 0.6 * len(
        paid_fraud)
    honest = [a for a in accounts if not a["is_fraud_referral"] and
              a["stripe_customer_id"] in first]
    assert len([a for a in honest if a["stripe_customer_id"] in taken_back]) < 0.03 * len(honest)


def test_annual_plans_only_end_at_renewal(medium_events: Events) -> None:
    ended = 0
    for event in medium_events:
        sub = event["data"]["object"]
        if event["type"] != "customer.subscription.deleted" or sub["trial_end"] == sub[
                "ended_at"]:
            continue
        item = sub["items"]["data"][0]
        if item["price"]["recurring"]["interval"] != "year":
            continue
        if sub["cancellation_details"]["reason"] == "cancellation_requested":
            period_end = sub.get("current_period_end", item.get("current_period_end"))
            assert sub["ended_at"] == period_end
            ended += 1
    assert ended > 5


def test_failed_payments_are_mostly_recovered(medium_events: Events) -> None:
    outcome: dict[str, list[str]] = defaultdict(list)
    for event in medium_events:
        if event["type"].startswith("invoice."):
            outcome[event["data"]["object"]["id"]].append(event["type"])
    failed = [v for v in outcome.values() if "invoice.payment_failed" in v]
    recovered = [v for v in failed if v[-1] == "invoice.paid"]
    written_off = [v for v in failed if v[-1] == "invoice.marked_uncollectible"]
    assert failed and written_off
    assert len(recovered) > 0.5 * len(failed)


def test_surveys_and_tickets_reflect_quality(medium_world: Path) -> None:
    accounts = {a["account_id"]: a for a in truth(medium_world, "accounts")}
    _, answers = csv_rows(medium_world / "surveys" / "nps.csv")
    tagged = [(accounts[r["Properties: account_id"]]["latent_quality"], int(r["Score"]))
              for r in answers if r["Properties: account_id"]]
    quality, score = (np.array(column, dtype=float) for column in zip(*tagged, strict=True))
    assert np.corrcoef(quality, score)[0, 1] > 0.3
    page = json.loads((medium_world / "zendesk" / "tickets.json").read_text(encoding="utf-8"))
    rated: Counter[tuple[str, bool]] = Counter()
    for ticket in page["tickets"]:
        score = ticket["satisfaction_rating"]["score"]
        org = ticket["organization_id"]
        if score in ("good", "bad") and org is not None:
            quality = accounts[f"acct_{org - 360_000_000_000:07d}"]["latent_quality"]
            rated[(score, quality > 0)] += 1
    good_share_high = rated[("good", True)] / (rated[("good", True)] + rated[("bad", True)])
    good_share_low = rated[("good", False)] / (rated[("good", False)] + rated[("bad", False)])
    assert good_share_high > good_share_low
