"""Origins, populations and labels on a hand-made world; features cannot see the future."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from successlink.config import MetricsSettings
from successlink.models.churn.dataset import build_frame, metrics_at, status_at
from successlink.models.churn.features import learn_spec
from successlink.models.churn.labels import first_subscription_day, origin_grid, window_end
from successlink.scores.rollups import ensure_rollups
from successlink.scores.run import inputs
from successlink.warehouse.connect import Warehouse
from tests.metrics.seed import seed_many

ORIGIN = date(2024, 7, 1)  # window (07-01, 09-29] with a 90-day horizon


def test_origin_grid_steps_back_from_the_newest_closed_window() -> None:
    # Newest: 2024-12-31 - 90 days = 10-02; none before 2024-01-01 + 180 days = 06-29.
    grid = origin_grid(date(2024, 1, 1), date(2024, 12, 31), horizon_days=90, lead_days=0,
                       step_days=30, min_history_days=180)
    assert grid == [date(2024, 7, 4), date(2024, 8, 3), date(2024, 9, 2), date(2024, 10, 2)]
    assert all(window_end(t, horizon_days=90, lead_days=0) <= date(2024, 12, 31)
               for t in grid)
    assert origin_grid(date(2024, 1, 1), date(2024, 12, 31), horizon_days=90, lead_days=10,
                       step_days=30, min_history_days=180, max_origins=2) == [
        date(2024, 8, 23), date(2024, 9, 22)]
    assert origin_grid(date(2024, 1, 1), date(2024, 6, 1), horizon_days=90, lead_days=0,
                       step_days=30, min_history_days=180) == []


def _sub(sid: str, account: str, started: str, **extra: Any) -> dict[str, Any]:
    row = {"subscription_id": sid, "account_id": account, "currency": "USD", "quantity": 1,
           "interval": "month", "interval_count": 1, "mrr_minor": 1000, "status": "active",
           "started_at": started, "updated_at": started, "plan_name": "Basic"}
    return {**row, **extra}


def _ended(sid: str, account: str, started: str, ended: str, **extra: Any) -> dict[str, Any]:
    return _sub(sid, account, started, ended_at=ended, status="canceled", **extra)


SUBSCRIPTIONS = [
    _sub("s1", "stays", "2024-01-01"),
    _ended("s2", "leaves", "2024-01-01", "2024-08-15"),
    _ended("s3", "late", "2024-01-01", "2024-10-15"),  # after the window: a stayer
    _ended("s4", "gone", "2024-01-01", "2024-06-01"),  # left before the origin
    _ended("s5", "comeback", "2024-01-01", "2024-08-01"),
    _sub("s6", "comeback", "2024-09-01"),  # a customer again when the window closes
    _ended("s7", "lapsed", "2024-06-25", "2024-07-09", trial_end="2024-07-09"),
    _sub("s8", "future", "2024-07-15"),  # unknown at the origin
    _ended("s9", "early", "2024-02-01", "2024-07-20"),
    {**_sub("s0", "never", "2023-11-01"), "status": "incomplete_expired"},
]


@pytest.fixture
def world(duckdb_warehouse: Warehouse) -> Warehouse:
    seed_many(duckdb_warehouse, {"subscriptions": SUBSCRIPTIONS})
    ensure_rollups(duckdb_warehouse)
    return duckdb_warehouse


def _labels(wh: Warehouse, lead_days: int) -> dict[str, int]:
    inp = inputs(wh)
    frame = build_frame([ORIGIN], metrics_at(inp, MetricsSettings()), status_at(inp),
                        horizon_days=90, lead_days=lead_days)
    ids = frame.blocks[0].column("account_id").to_pylist()
    return dict(zip(ids, frame.labels[0].tolist(), strict=True))


def test_population_and_labels_by_hand(world: Warehouse) -> None:
    assert _labels(world, 0) == {"stays": 0, "leaves": 1, "late": 0, "comeback": 0,
                                 "lapsed": 1, "early": 1}


def test_a_lead_time_drops_accounts_lost_during_it(world: Warehouse) -> None:
    # Window (07-31, 10-29]: "early" and "lapsed" left in the lead (too late to warn);
    # "late" now leaves inside the window.
    assert _labels(world, 30) == {"stays": 0, "leaves": 1, "late": 1, "comeback": 0}


def test_first_subscription_ignores_checkouts_that_never_ran(world: Warehouse) -> None:
    assert first_subscription_day(inputs(world)["subscriptions"]) == date(2024, 1, 1)


def test_features_at_an_origin_ignore_everything_after_it(duckdb_warehouse: Warehouse,
                                                          tmp_path: Any) -> None:
    """The same world with and without a future (ends, payments, usage, tickets, NPS after
    the origin) gives the same feature rows at the origin."""
    before: dict[str, list[dict[str, Any]]] = {
        "subscriptions": [_sub("s1", "a", "2024-01-01"), _sub("s2", "b", "2024-03-01")],
        "payments": [{"payment_id": "p1", "account_id": "a", "amount_minor": 1000,
                      "currency": "USD", "status": "succeeded", "created_at": "2024-06-01",
                      "updated_at": "2024-06-01"}],
        "usage_events": [{"event_id": "e1", "account_id": "a", "user_id": "u1",
                          "event_type": "track", "event": "Report Exported",
                          "occurred_at": "2024-06-20"}],
    }
    future: dict[str, list[dict[str, Any]]] = {
        "subscriptions": [_ended("s1", "a", "2024-01-01", "2024-08-01"),
                          _sub("s2", "b", "2024-03-01")],
        "payments": [*before["payments"],
                     {"payment_id": "p2", "account_id": "a", "amount_minor": 1000,
                      "currency": "USD", "status": "failed", "created_at": "2024-07-02",
                      "updated_at": "2024-07-02"}],
        "usage_events": [*before["usage_events"],
                         {"event_id": "e2", "account_id": "b", "user_id": "u2",
                          "event_type": "track", "event": "Invite Sent",
                          "occurred_at": "2024-07-02 00:00"}],  # first instant after
        "support_tickets": [{"ticket_id": "t1", "account_id": "a", "status": "open",
                             "priority": "urgent", "created_at": "2024-07-03",
                             "updated_at": "2024-07-03"}],
        "survey_responses": [{"response_id": "r1", "account_id": "a", "kind": "nps",
                              "score": 0, "scale_min": 0, "scale_max": 10,
                              "responded_at": "2024-07-05"}],
    }
    matrices = []
    for i, tables in enumerate((before, future)):
        wh = Warehouse(f"duckdb://{tmp_path / f'w{i}.duckdb'}")
        seed_many(wh, tables)
        ensure_rollups(wh)
        inp = inputs(wh)
        frame = build_frame([ORIGIN], metrics_at(inp, MetricsSettings()), status_at(inp),
                            horizon_days=90, lead_days=0)
        spec = learn_spec(frame.blocks)
        matrices.append((frame.matrix(spec), frame.labels[0]))
        wh.close()
    (x_before, y_before), (x_future, y_future) = matrices
    differ = [name for j, name in enumerate(spec.names)
              if not np.array_equal(x_before[:, j], x_future[:, j], equal_nan=True)]
    assert differ == []
    assert y_before.tolist() == [0, 0]
    assert y_future.tolist() == [1, 0]  # only the label knows that "a" left
