"""The sentences said about an advocate, and the settings that guard the score."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from successlink.decisions.advocates import AdvocateSettings
from successlink.decisions.reasons import (
    activity_reason,
    expansion_reason,
    ltv_reason,
    money_words,
    nps_reason,
    tenure_reason,
    tickets_reason,
    trend_reason,
)


@pytest.mark.parametrize(("minor", "currency", "said"), [
    (24_000, "USD", "$240"), (120_050, "EUR", "€1,200.50"), (5_000, "JPY", "5,000 JPY"),
    (100_000, "SEK", "1,000 SEK")])
def test_money_is_said_in_major_units_without_needless_decimals(minor, currency, said):
    assert money_words(minor, currency) == said


def test_nps_sentences_name_the_category_and_when_it_was_said():
    assert nps_reason(9, 0) == "Promoter (NPS 9, answered today)"
    assert nps_reason(7, 1) == "Passive (NPS 7, answered yesterday)"
    assert nps_reason(10, None) == "Promoter (NPS 10)"
    assert nps_reason(None, 3) is None


def test_usage_trend_within_five_percent_is_steady():
    assert trend_reason(0.349) == "Usage up 35% on the previous 30 days"
    assert trend_reason(-0.04) == "Usage steady on the previous 30 days"
    assert trend_reason(-0.5) == "Usage down 50% on the previous 30 days"
    assert trend_reason(None) is None and trend_reason(float("nan")) is None
    assert activity_reason(0, 3) is None
    assert activity_reason(1, 1) == "Active on 1 of the last 30 days (1 user)"


def test_expansion_tenure_tickets_and_ltv_sentences():
    assert expansion_reason(3, 0, "USD") == "Expanded 3 times"
    assert expansion_reason(0, 500, "USD") is None
    assert tenure_reason(30.0) == "Customer for 1 month"
    assert tenure_reason(822.0) == "Customer for 2 years 3 months"
    assert tickets_reason(3) == "Only 3 support tickets in the last 90 days"
    assert tickets_reason(4) is None
    assert ltv_reason(0.9) == "Top 10% of customers by lifetime value"
    assert ltv_reason(0.995) == "Top 1% of customers by lifetime value"
    assert ltv_reason(0.7) is None


def test_settings_reject_unknown_signals_and_all_zero_weights():
    with pytest.raises(ValidationError, match="unknown signal"):
        AdvocateSettings(weights={"happiness": 1.0})
    with pytest.raises(ValidationError, match="at least one above 0"):
        AdvocateSettings(weights={"health": 0.0})
