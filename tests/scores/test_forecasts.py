"""Scorecard forecast columns: predicted value joined per source, churn averaged over active
accounts with its source label, net value after commissions per referred account."""

from __future__ import annotations

import pyarrow as pa
import pytest

from successlink.scores.forecasts import with_forecasts

CARDS = pa.table({"source_kind": ["affiliate", "affiliate", "channel"],
                  "source_id": ["a1", "a2", "affiliate"],
                  "referred_accounts": [4, 2, 6],
                  "commissions_minor": [40_000, None, 40_000]})
LTV = pa.table({"source_kind": ["affiliate", "channel"], "source_id": ["a1", "affiliate"],
                "value_per_account_minor": [100_000, 90_000], "low_minor": [80_000, 85_000],
                "high_minor": [130_000, 95_000]})
ACCOUNTS = pa.table({"account_id": ["x1", "x2", "x3", "x4", "y1", "y2"],
                     "affiliate_id": ["a1", "a1", "a1", "a1", "a2", "a2"],
                     "channel": ["affiliate"] * 6,
                     "is_active": [True, True, False, True, True, None]})
CHURN = pa.table({"account_id": ["x1", "x2", "x3", "x4", "y1", "y2"],
                  "churn_probability": [0.1, 0.3, 0.9, None, None, 0.5],
                  "source": ["model", "model", "model", "health fallback", "health fallback",
                             "model"]})


def test_forecast_columns() -> None:
    out = with_forecasts(CARDS, LTV, CHURN, ACCOUNTS).to_pylist()
    a1, a2, channel = out
    assert (a1["predicted_ltv_per_account_minor"], a1["predicted_ltv_low_minor"],
            a1["predicted_ltv_high_minor"]) == (100_000, 80_000, 130_000)
    # x3 is not active; x4 has no probability: mean of x1 and x2.
    assert a1["predicted_churn"] == pytest.approx(0.2)
    assert a1["predicted_churn_source"] == "model"
    # 40,000 of commission over 4 referred accounts is 10,000 each.
    assert a1["expected_net_value_per_account_minor"] == 90_000
    # a2: no predicted value, and its only active account has no probability.
    assert a2["predicted_ltv_per_account_minor"] is None
    assert a2["predicted_churn"] is None and a2["expected_net_value_per_account_minor"] is None
    assert channel["predicted_churn"] == pytest.approx(0.2)
    assert channel["expected_net_value_per_account_minor"] == 90_000 - round(40_000 / 6)


def test_missing_inputs_leave_nulls() -> None:
    out = with_forecasts(CARDS, None, None, ACCOUNTS)
    assert out.column("predicted_ltv_per_account_minor").null_count == 3
    assert out.column("predicted_churn").null_count == 3
