"""Program figures from a five-account snapshot, checked by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from successlink.reports.data import ACCOUNT_COLUMNS
from successlink.reports.figures import logo_churn, program_figures
from successlink.stats.proportions import nps_interval, wilson_interval

AS_OF = date(2026, 6, 30)  # 90-day window starts 2026-04-02 00:00 UTC (cutoff 07-01 minus 90 d)


def accounts(rows: list[dict[str, object]]) -> pa.Table:
    extra = {"health_score": pa.float64(), "health_band": pa.string()}
    types = {**ACCOUNT_COLUMNS, **extra}
    return pa.table({name: pa.array([r.get(name) for r in rows], kind)
                     for name, kind in types.items()})


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


FIVE = accounts([
    # active all along, promoter, CSAT 100
    {"account_id": "a", "is_active": True, "first_started_at": at("2025-01-01"),
     "mrr_minor": 1000, "crc_minor": 300, "nps_latest_category": "promoter",
     "csat_pct_satisfied": 100.0, "health_band": "green"},
    # churned inside the window: counts in base and as lost
    {"account_id": "b", "is_active": False, "first_started_at": at("2025-03-01"),
     "churned_at": at("2026-05-10"), "crc_minor": 200, "nps_latest_category": "detractor",
     "csat_pct_satisfied": 50.0, "health_band": "red"},
    # churned before the window: not in the base
    {"account_id": "c", "is_active": False, "first_started_at": at("2025-03-01"),
     "churned_at": at("2026-01-10"), "crc_minor": 100, "nps_latest_category": "passive"},
    # started inside the window: not in the base
    {"account_id": "d", "is_active": True, "first_started_at": at("2026-06-01"),
     "mrr_minor": 500, "crc_minor": 0, "health_band": "yellow"},
    # never started: not a customer
    {"account_id": "e", "is_active": False, "crc_minor": 999},
])


def test_logo_churn_counts_customers_active_at_the_window_start():
    assert logo_churn(FIVE, AS_OF) == (2, 1)  # base a, b; b lost


def test_program_figures_by_hand():
    f = program_figures(FIVE, AS_OF)
    assert (f.customers, f.active, f.mrr_minor) == (4, 2, 1500)
    assert f.churn_rate == 0.5
    assert (f.churn_low, f.churn_high) == pytest.approx(wilson_interval(1, 2))
    assert f.monthly_churn == pytest.approx(1 - 0.5 ** (30.4375 / 90))
    assert f.nps == nps_interval(1, 1, 1, method="adjusted_wald")
    assert (f.csat_pct, f.csat_accounts) == (75.0, 2)
    assert f.crc_total_minor == 600
    assert f.crc_per_customer_minor == 150.0
    assert f.bands == {"green": 1, "yellow": 1, "red": 0}  # b is red but churned


def test_no_customers_gives_missing_figures_not_errors():
    f = program_figures(accounts([]), AS_OF)
    assert f.customers == 0 and f.churn_base == 0
    assert math.isnan(f.churn_rate) and math.isnan(f.nps.nps) and math.isnan(f.csat_pct)
    assert math.isnan(f.crc_per_customer_minor)
