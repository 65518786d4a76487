"""The assembled account_metrics: one row per account, every family joined, no look-ahead."""

from __future__ import annotations

from datetime import date
from typing import Any

from successlink.config import MetricsSettings
from successlink.metrics.account import Inputs, account_metrics, assemble, metric_parts
from successlink.metrics.rollups import usage_daily, user_daily
from successlink.warehouse.connect import Warehouse
from successlink.warehouse.tables import CANONICAL_TABLES
from tests.metrics.seed import seed_many

AS_OF = date(2024, 3, 31)
SETTINGS = MetricsSettings()  # type: ignore[call-arg]


def _world(later: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Two accounts with several rows of every kind; `later` adds rows after AS_OF."""
    sub = {"currency": "USD", "quantity": 1, "interval": "month", "interval_count": 1,
           "mrr_minor": 5_000, "status": "active", "updated_at": "2024-03-01"}
    world: dict[str, list[dict[str, Any]]] = {
        "accounts": [{"account_id": a, "created_at": "2024-01-01"} for a in ("a", "b")],
        "acquisitions": [{"acquisition_id": "q1", "account_id": "a", "channel": "affiliate",
                          "affiliate_id": "aff", "acquired_at": "2024-01-01"}],
        "subscriptions": [{**sub, "subscription_id": "s1", "account_id": "a",
                           "started_at": "2024-01-01"},
                          {**sub, "subscription_id": "s2", "account_id": "b",
                           "started_at": "2024-01-15", "ended_at": "2024-03-01",
                           "status": "canceled"}],
        "payments": [{"payment_id": f"p{i}", "account_id": "a", "amount_minor": 5_000,
                      "currency": "USD", "status": "succeeded", "created_at": d,
                      "updated_at": d} for i, d in enumerate(["2024-01-01", "2024-02-01",
                                                              "2024-03-01"])],
        "usage_events": [{"event_id": f"e{i}", "account_id": a, "event_type": "track",
                          "event": "Invite Sent", "user_id": f"u{i % 2}", "occurred_at": d}
                         for i, (a, d) in enumerate([("a", "2024-03-10"), ("a", "2024-03-11"),
                                                     ("b", "2024-02-01")])],
        "survey_responses": [{"response_id": f"r{i}", "account_id": "a", "kind": "nps",
                              "score": s, "scale_min": 0, "scale_max": 10,
                              "respondent_email": e, "responded_at": d}
                             for i, (s, e, d) in enumerate([(9, "x@a.com", "2024-02-01"),
                                                            (10, "y@a.com", "2024-03-01")])],
        "contacts": [{"contact_id": f"c{i}", "account_id": "a", "email": e, "role": r}
                     for i, (e, r) in enumerate([("x@a.com", "champion"),
                                                 ("y@a.com", "decision_maker")])],
        "support_tickets": [{"ticket_id": "t1", "account_id": "a", "status": "solved",
                             "priority": "high", "created_at": "2024-03-02",
                             "solved_at": "2024-03-03", "updated_at": "2024-03-03"}],
    }
    if later:
        world["payments"].append({"payment_id": "late", "account_id": "a",
                                  "amount_minor": 9_999, "currency": "USD",
                                  "status": "succeeded", "created_at": "2024-04-01",
                                  "updated_at": "2024-04-01"})
        world["survey_responses"].append({"response_id": "late", "account_id": "a",
                                          "kind": "nps", "score": 0, "scale_min": 0,
                                          "scale_max": 10, "respondent_email": "x@a.com",
                                          "responded_at": "2024-04-02"})
        world["accounts"].append({"account_id": "c", "created_at": "2024-04-03"})
    return world


def _metrics(wh: Warehouse) -> dict[str, dict[str, Any]]:
    tables = {s.name: wh.table(s.name) for s in CANONICAL_TABLES}
    events = tables["usage_events"]
    inp = Inputs(tables, usage_daily(events), user_daily(events))
    if wh.dialect == "sqlite":
        # One statement for everything overflows SQLite's parser: store the parts first,
        # as the score run does on every backend.
        parts = metric_parts(inp, as_of=AS_OF, settings=SETTINGS)
        for name, part in parts.items():
            wh.con.create_table(f"_part_{name}", part, overwrite=True)
        stored = {name: wh.table(f"_part_{name}") for name in parts}
        expr = assemble(stored, as_of=AS_OF, settings=SETTINGS, monthly_churn_rate=0.05)
    else:
        expr = account_metrics(inp, as_of=AS_OF, settings=SETTINGS, monthly_churn_rate=0.05)
    return {r["account_id"]: r for r in expr.to_pyarrow().to_pylist()}


def test_one_row_per_account_with_every_family(wh: Warehouse) -> None:
    seed_many(wh, _world())
    rows = _metrics(wh)
    assert sorted(rows) == ["a", "b"]
    a, b = rows["a"], rows["b"]
    assert a["as_of"] == AS_OF and a["channel"] == "affiliate" and a["affiliate_id"] == "aff"
    assert (a["status"], b["status"]) == ("active", "churned")
    assert a["revenue_gross_minor"] == 15_000 and a["purchase_count"] == 3
    assert b["revenue_gross_minor"] == 0  # no payments: zero, not unknown
    assert a["nps_latest_score"] == 10 and a["nps_responses"] == 2
    assert b["nps_latest_score"] is None  # never asked: unknown, not zero
    assert a["contacts_champion"] == 1 and a["champion_present"] is True
    assert b["champion_present"] is False
    assert a["tickets_total"] == 1 and b["tickets_total"] == 0
    assert a["active_days_30"] == 2 and a["active_users_30"] == 2
    assert a["seat_utilisation"] == 2.0  # two active users on one seat
    # Seed LTV: 5,000 a purchase x 3 purchases over 90 days (2.957 months) x 20 months.
    assert a["ltv_seed_minor"] == round(5_000 * 3 / (91 / 30.4375) * 20)


def test_rows_dated_after_as_of_change_nothing(wh: Warehouse) -> None:
    seed_many(wh, _world(later=False))
    before = _metrics(wh)
    for table in ("payments", "survey_responses", "accounts"):
        seed_many(wh, {table: [r for r in _world(later=True)[table]
                               if r not in _world()[table]]})
    assert _metrics(wh) == before
