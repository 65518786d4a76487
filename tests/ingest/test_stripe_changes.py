"""Subscription changes from `customer.subscription.*` events, and MRR normalisation.

Events are the real ruby-mock `customer.subscription.updated` envelope (API 2020-08-27) with
hand-written items and `previous_attributes`; expected MRR values are worked out by hand in
the comments.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from successlink.ingest.records import CollectingSink, SourceFile
from successlink.ingest.stripe import StripeAdapter

DATA = Path(__file__).resolve().parent.parent / "data" / "stripe"
NOW = datetime(2026, 9, 1, tzinfo=UTC)
UPDATED = orjson.loads((DATA / "stripe-ruby-mock-events/customer.subscription.updated.json")
                       .read_bytes())
SUBSCRIPTION = orjson.loads((DATA / "openapi-fixtures3/subscription.json").read_bytes())


def price(price_id: str, amount: int | None, *, product: str = "prod_A",
          interval: str = "month", count: int = 1, usage: str = "licensed") -> dict[str, Any]:
    return {"id": price_id, "object": "price", "currency": "usd", "product": product,
            "unit_amount": amount, "nickname": None, "type": "recurring",
            "recurring": {"interval": interval, "interval_count": count, "usage_type": usage}}


def item(the_price: dict[str, Any], quantity: int | None) -> dict[str, Any]:
    return {"id": f"si_{the_price['id']}", "object": "subscription_item",
            "price": the_price, "quantity": quantity}


def updated(items: list[dict[str, Any]], previous: dict[str, Any], *,
            status: str = "active") -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(UPDATED)
    event["id"] = "evt_change_1"
    sub = event["data"]["object"]
    sub["items"]["data"] = items
    del sub["plan"], sub["quantity"]  # the 2020 mirror of a single item; items say it all
    sub["status"] = status
    event["data"]["previous_attributes"] = previous
    return event


def previous_items(*items: dict[str, Any]) -> dict[str, Any]:
    return {"items": {"object": "list", "data": list(items)}}


def read(tmp_path: Path, records: list[dict[str, Any]]) -> CollectingSink:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    sink = CollectingSink(now=NOW)
    StripeAdapter().read(SourceFile(path, NOW), sink)
    return sink


def change_of(tmp_path: Path, event: dict[str, Any]) -> dict[str, Any] | None:
    sink = read(tmp_path, [event])
    assert sink.rejects == []
    assert len(sink.rows["subscriptions"]) == 1
    changes = sink.rows["subscription_changes"]
    assert len(changes) <= 1
    return changes[0] if changes else None


BASIC = price("price_basic", 1500)
PRO = price("price_pro", 3000)


def test_a_more_expensive_plan_is_an_upgrade(tmp_path: Path) -> None:
    change = change_of(tmp_path, updated([item(PRO, 1)], previous_items(item(BASIC, 1))))
    assert change is not None
    assert change["change_type"] == "upgrade"
    assert (change["from_plan_id"], change["to_plan_id"]) == ("price_basic", "price_pro")
    assert (change["from_quantity"], change["to_quantity"]) == (1, 1)
    assert change["mrr_delta_minor"] == 1500  # 3000 - 1500
    assert change["change_id"] == "evt_change_1"
    assert change["changed_at"] == datetime.fromtimestamp(1648320106, UTC)
    assert change["customer_key"] == "cus_00000000000000"


def test_a_cheaper_plan_is_a_downgrade(tmp_path: Path) -> None:
    change = change_of(tmp_path, updated([item(BASIC, 2)], previous_items(item(PRO, 2))))
    assert change is not None
    assert (change["change_type"], change["mrr_delta_minor"]) == ("downgrade", -3000)


def test_only_the_quantity_changing_is_a_seat_change(tmp_path: Path) -> None:
    change = change_of(tmp_path, updated([item(BASIC, 4)], previous_items(item(BASIC, 1))))
    assert change is not None
    assert change["change_type"] == "seat_change"
    assert (change["from_quantity"], change["to_quantity"]) == (1, 4)
    assert change["mrr_delta_minor"] == 4500  # 4 x 1500 - 1 x 1500


def test_an_item_for_a_new_product_is_a_cross_sell(tmp_path: Path) -> None:
    addon = price("price_addon", 500, product="prod_B")
    event = updated([item(BASIC, 1), item(addon, 2)], previous_items(item(BASIC, 1)))
    change = change_of(tmp_path, event)
    assert change is not None
    assert change["change_type"] == "cross_sell"
    assert (change["from_plan_id"], change["to_plan_id"]) == (None, "price_addon")
    assert change["to_quantity"] == 2
    assert change["mrr_delta_minor"] == 1000  # 2 x 500 added


def test_dropping_a_product_is_a_downgrade(tmp_path: Path) -> None:
    addon = price("price_addon", 500, product="prod_B")
    event = updated([item(BASIC, 1)], previous_items(item(BASIC, 1), item(addon, 1)))
    change = change_of(tmp_path, event)
    assert change is not None
    assert (change["change_type"], change["mrr_delta_minor"]) == ("downgrade", -500)


def test_a_plan_swap_at_the_same_mrr_is_no_change(tmp_path: Path) -> None:
    yearly = price("price_basic_yearly", 18000, interval="year")  # 18000 / 12 = 1500 a month
    assert change_of(tmp_path, updated([item(yearly, 1)], previous_items(item(BASIC, 1)))) is None


def test_legacy_previous_plan_and_quantity_are_understood(tmp_path: Path) -> None:
    old_plan = {"id": "plan_old", "object": "plan", "amount": 1000, "currency": "usd",
                "interval": "month", "interval_count": 1, "product": "prod_A"}
    event = updated([item(BASIC, 1)], {"plan": old_plan, "quantity": 3})
    change = change_of(tmp_path, event)
    assert change is not None
    assert change["change_type"] == "downgrade"
    assert (change["from_plan_id"], change["from_quantity"]) == ("plan_old", 3)
    assert change["mrr_delta_minor"] == -1500  # 1 x 1500 - 3 x 1000


def test_legacy_previous_quantity_alone_is_a_seat_change(tmp_path: Path) -> None:
    change = change_of(tmp_path, updated([item(BASIC, 5)], {"quantity": 1}))
    assert change is not None
    assert (change["change_type"], change["mrr_delta_minor"]) == ("seat_change", 6000)


@pytest.mark.parametrize("was", ["canceled", "paused"])
def test_a_dormant_subscription_becoming_active_is_a_reactivation(tmp_path: Path,
                                                                  was: str) -> None:
    change = change_of(tmp_path, updated([item(BASIC, 2)], {"status": was}))
    assert change is not None
    assert change["change_type"] == "reactivation"
    assert change["mrr_delta_minor"] == 3000  # all of the MRR comes back
    assert change["from_plan_id"] == change["to_plan_id"] == "price_basic"


@pytest.mark.parametrize("was", ["past_due", "trialing", "incomplete"])
def test_other_status_only_updates_are_no_change(tmp_path: Path, was: str) -> None:
    assert change_of(tmp_path, updated([item(BASIC, 1)], {"status": was})) is None


def test_an_unchanged_item_list_in_previous_attributes_is_no_change(tmp_path: Path) -> None:
    assert change_of(tmp_path, updated([item(BASIC, 1)], previous_items(item(BASIC, 1)))) is None


def test_trial_will_end_and_other_subscription_events_write_state_only(tmp_path: Path) -> None:
    event = updated([item(BASIC, 1)], previous_items(item(PRO, 1)))
    event["type"] = "customer.subscription.trial_will_end"
    assert change_of(tmp_path, event) is None


def test_bad_previous_attributes_are_rejected_with_their_path(tmp_path: Path) -> None:
    broken = item(price("price_x", -1), 1)
    sink = read(tmp_path, [updated([item(BASIC, 1)], previous_items(broken))])
    (reject,) = sink.rejects
    assert reject.field == "data.previous_attributes.items.data[0].price.unit_amount"
    assert reject.reason.startswith("is negative")


# --- MRR: every interval normalised to a month of 365.25 / 12 = 30.4375 days ---

def bare_subscription(*items: dict[str, Any]) -> dict[str, Any]:
    sub: dict[str, Any] = copy.deepcopy(SUBSCRIPTION)
    sub["items"]["data"] = list(items)
    return sub


@pytest.mark.parametrize(("interval", "count", "amount", "quantity", "mrr"), [
    ("month", 1, 2000, 1, 2000),
    ("month", 3, 3000, 1, 1000),      # 3000 / 3
    ("month", 1, 1999, 3, 5997),
    ("year", 1, 12000, 1, 1000),      # 12000 / 12
    ("year", 2, 24000, 1, 1000),      # 24000 / 24
    ("year", 1, 6, 1, 1),             # 0.5 rounds half up
    ("week", 1, 700, 1, 3044),        # 700 x 30.4375 / 7 = 3043.75
    ("week", 2, 1000, 3, 6522),       # 3000 x 30.4375 / 14 = 6522.32...
    ("day", 1, 100, 1, 3044),         # 100 x 30.4375 = 3043.75
])
def test_mrr_is_normalised_to_a_month(tmp_path: Path, interval: str, count: int, amount: int,
                                      quantity: int, mrr: int) -> None:
    the_price = price("price_n", amount, interval=interval, count=count)
    sink = read(tmp_path, [bare_subscription(item(the_price, quantity))])
    row = sink.rows["subscriptions"][0]
    assert (row["mrr_minor"], row["interval"], row["interval_count"]) == (mrr, interval, count)
    assert (row["unit_amount_minor"], row["quantity"]) == (amount, quantity)


def test_mrr_sums_all_items_and_skips_metered_ones(tmp_path: Path) -> None:
    yearly = price("price_y", 12000, interval="year")
    seats = price("price_s", 500, product="prod_S")
    usage = price("price_u", None, product="prod_U", usage="metered")
    sink = read(tmp_path, [bare_subscription(item(yearly, 1), item(seats, 2), item(usage, None))])
    row = sink.rows["subscriptions"][0]
    assert row["mrr_minor"] == 2000  # 12000 / 12 + 2 x 500 + nothing for usage
    assert (row["plan_id"], row["quantity"]) == ("price_y", 1)  # the first item


def test_sub_cent_decimal_prices_are_kept_exactly_until_the_total(tmp_path: Path) -> None:
    the_price = price("price_d", None)
    the_price["unit_amount_decimal"] = "1500.5"
    sink = read(tmp_path, [bare_subscription(item(the_price, 3))])
    row = sink.rows["subscriptions"][0]
    assert row["mrr_minor"] == 4502  # 3 x 1500.5 = 4501.5, rounded half up
    assert row["unit_amount_minor"] == 1501


def test_a_tiered_first_item_is_rejected_because_mrr_cannot_be_known(tmp_path: Path) -> None:
    sink = read(tmp_path, [bare_subscription(item(price("price_t", None), 1))])
    (reject,) = sink.rejects
    assert reject.field == "items.data[0].price.unit_amount"
    assert "tiered" in reject.reason


@pytest.mark.parametrize(("details", "reason"), [
    ({"feedback": "too_expensive", "reason": "cancellation_requested", "comment": "meh"},
     "too_expensive"),
    ({"feedback": None, "reason": "payment_failed", "comment": None}, "payment_failed"),
    ({"feedback": None, "reason": None, "comment": "moving to a competitor"},
     "moving to a competitor"),
])
def test_cancellation_reason_prefers_feedback_then_reason_then_comment(
        tmp_path: Path, details: dict[str, Any], reason: str) -> None:
    sub = bare_subscription(item(BASIC, 1))
    sub["cancellation_details"] = details
    assert read(tmp_path, [sub]).rows["subscriptions"][0]["cancellation_reason"] == reason
