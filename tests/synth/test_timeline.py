"""Every instant that has happened lies in the window; nothing is used after churn.

Scheduled instants (a period's end, a trial's end, a dispute's evidence deadline) may lie
after `end`, as they do in any live export; the instants checked are those of things that
happened.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.synth.helpers import (
    HORIZON,
    WINDOW_START,
    Events,
    csv_rows,
    epoch,
    instant,
    segment_messages,
    stripe_events,
    truth,
)

# Stripe fields holding the time something happened.
HAPPENED = {"created", "canceled_at", "ended_at", "paid_at", "start_date", "trial_start",
            "finalized_at", "marked_uncollectible_at"}


def _happened(value: Any) -> Iterator[int]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in HAPPENED and isinstance(item, int):
                yield item
            else:
                yield from _happened(item)
    elif isinstance(value, list):
        for item in value:
            yield from _happened(item)


def _inside(moment: datetime) -> bool:
    return WINDOW_START <= moment < HORIZON


def test_stripe_instants_are_inside_the_window(small_world: Path) -> None:
    for event in stripe_events(small_world):
        assert _inside(epoch(event["created"])), event["id"]
        for seconds in _happened(event["data"]):
            assert _inside(epoch(seconds)), (event["id"], seconds)
            assert seconds <= event["created"], event["id"]  # nothing from the future


def test_segment_zendesk_survey_and_crm_instants_are_inside_the_window(
        small_world: Path) -> None:
    assert all(_inside(instant(m["timestamp"])) for m in segment_messages(small_world))
    page = json.loads((small_world / "zendesk" / "tickets.json").read_text(encoding="utf-8"))
    for ticket in page["tickets"]:
        for key in ("created_at", "updated_at", "solved_at"):
            if ticket[key] is not None:
                assert _inside(instant(ticket[key])), (ticket["id"], key)
        assert ticket["created_at"] <= ticket["updated_at"]
    for name in ("nps", "csat"):
        _, rows = csv_rows(small_world / "surveys" / f"{name}.csv")
        assert all(_inside(instant(r["Created At"])) for r in rows)
    for name in ("companies", "contacts"):
        _, rows = csv_rows(small_world / "hubspot" / f"{name}.csv")
        assert all(_inside(instant(r["Create Date"].replace(" ", "T") + ":00Z")) for r in rows)


def test_canonical_and_truth_instants_are_inside_the_window(small_world: Path,
                                                            small_parquet: Path) -> None:
    for table, column in (("acquisitions", "acquired_at"), ("affiliates", "joined_at"),
                          ("cs_costs", "incurred_on")):
        _, rows = csv_rows(small_world / "canonical" / f"{table}.csv")
        for row in rows:
            value = row[column] if "T" in row[column] else row[column] + "T00:00:00Z"
            assert _inside(instant(value)), (table, row)
    paths = [*sorted((small_parquet / "canonical").rglob("*.parquet")),
             *sorted((small_parquet / "truth").glob("*.parquet"))]
    for path in paths:
        table = pq.read_table(path)
        for field in table.schema:
            if pa.types.is_timestamp(field.type):
                values = [v for v in table.column(field.name).to_pylist() if v is not None]
                if field.name in ("trial_end", "current_period_end", "period_end"):
                    continue  # scheduled, may be after the end
                assert all(_inside(v) for v in values), (path.name, field.name)


def _usage_by_account(world: Path) -> dict[str, list[datetime]]:
    seen: dict[str, list[datetime]] = defaultdict(list)
    for message in segment_messages(world):
        if message["type"] in ("track", "page"):
            seen[message["context"]["groupId"]].append(instant(message["timestamp"]))
    return seen


def test_no_usage_before_sign_up_or_after_churn(small_world: Path) -> None:
    usage = _usage_by_account(small_world)
    churned = 0
    for account in truth(small_world, "accounts"):
        moments = usage.get(account["account_id"], [])
        assert moments, account["account_id"]  # everyone signs up, at least
        assert min(moments) >= account["acquired_at"]
        if account["churned_at"] is not None:
            churned += 1
            assert max(moments) < account["churned_at"], account["account_id"]
    assert churned > 30


def test_no_usage_while_a_reactivated_account_was_gone(medium_world: Path,
                                                      medium_events: Events) -> None:
    accounts = {a["account_id"]: a for a in truth(medium_world, "accounts") if a["reactivated"]}
    assert accounts
    returns: dict[str, datetime] = {}
    customers = {a["stripe_customer_id"]: a["account_id"] for a in accounts.values()}
    for event in medium_events:
        if event["type"] == "customer.subscription.created":
            account = customers.get(event["data"]["object"]["customer"])
            if account is not None:
                returns[account] = epoch(event["created"])  # the later one wins
    usage = _usage_by_account(medium_world)
    for account_id, account in accounts.items():
        gone, back = account["first_churned_at"], returns[account_id]
        assert gone < back
        assert not [m for m in usage[account_id] if gone <= m < back], account_id
