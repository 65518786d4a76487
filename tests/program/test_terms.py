"""Program settings: parsed and checked from text or TOML, with their defaults."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from successlink.config import load_settings
from successlink.errors import ConfigError
from successlink.program.attribution import MODELS
from successlink.program.terms import (
    ATTRIBUTION_MODELS,
    KEYS,
    ProgramTerms,
    described,
    from_config,
    with_setting,
    with_settings,
)
from successlink.store.program import ATTRIBUTION_MODELS as STORED_MODELS


def test_the_models_agree_with_the_table_check_and_the_attribution_module() -> None:
    assert ATTRIBUTION_MODELS == STORED_MODELS == MODELS


def test_without_a_row_the_terms_come_from_the_program_section(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={
        "SUCCESSLINK_PROGRAM__FALLBACK_URL": "https://acme.test/",
        "SUCCESSLINK_PROGRAM__MIN_PAYOUT": "25.50", "SUCCESSLINK_PROGRAM__COOKIE_DAYS": "60"})
    terms = from_config(settings.program)
    assert (terms.fallback_url, terms.min_payout_minor, terms.cookie_days) == \
        ("https://acme.test/", 2550, 60)
    assert terms.domains == ["acme.test"] and terms.attribution == "first_click"
    assert terms.hold == timedelta(0)


@pytest.mark.parametrize(("key", "value", "field", "expected"), [
    ("cookie_days", "90", "cookie_days", 90),
    ("attribution", "Last-Click", "attribution", "last_click"),
    ("hold_days", "30", "hold_days", 30),
    ("min_payout", "25.5", "min_payout_minor", 2550),
    ("allowed_domains", "Acme.test, docs.acme.test,", "allowed_domains",
     ("acme.test", "docs.acme.test")),
    ("fallback_url", "https://acme.test/home", "fallback_url", "https://acme.test/home"),
    ("default_plan", "quality", "default_plan", "quality"),
    ("default_plan", "none", "default_plan", None),
    ("name", " Acme partners ", "name", "Acme partners"),
])
def test_each_setting_from_text(key: str, value: str, field: str, expected: object) -> None:
    assert getattr(with_setting(ProgramTerms(), key, value), field) == expected


def test_fraud_settings() -> None:
    terms = with_settings(ProgramTerms(), {"fraud": {
        "flood_clicks": 50, "flood_window_minutes": 10, "early_days": 30,
        "disposable_domains": ["Burner.test", "trash.test"]}})
    fraud = terms.fraud
    assert (fraud.flood_clicks, fraud.flood_window, fraud.early_days) == \
        (50, timedelta(minutes=10), 30)
    assert {"burner.test", "trash.test", "mailinator.com"} <= fraud.disposable_domains
    assert with_setting(terms, "fraud.disposable_domains", "").fraud.extra_disposable_domains \
        == frozenset()


def test_a_currency_change_keeps_the_minimum_in_major_units() -> None:
    terms = with_setting(ProgramTerms(), "currency", "eur")          # 50.00 USD -> 50.00 EUR
    assert (terms.currency, terms.min_payout_minor, terms.min_payout) == ("EUR", 5000, "50.00")
    assert with_setting(terms, "currency", "JPY").min_payout_minor == 50
    with pytest.raises(ConfigError, match="more decimals than JPY"):
        with_setting(with_setting(terms, "min_payout", "0.50"), "currency", "JPY")


def test_the_minimum_in_another_currency_is_the_same_number_rounded_up() -> None:
    terms = with_setting(ProgramTerms(), "min_payout", "10.25")
    assert (terms.minimum_minor("USD"), terms.minimum_minor("JPY"),
            terms.minimum_minor("KWD")) == (1025, 11, 10_250)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("cookie_days", "0", "cookie_days: 0 is below 1"),
    ("hold_days", "-1", "hold_days: -1 is below 0"),
    ("hold_days", "two", "'two' is not a whole number"),
    ("attribution", "linear", "'linear' is not first_click or last_click"),
    ("min_payout", "10.001", "more decimals than USD"),
    ("min_payout", "-5", "cannot be negative"),
    ("allowed_domains", "https://acme.test", "is not a domain"),
    ("fallback_url", "acme.test", "is not an http(s) URL"),
    ("currency", "XYZ", "ISO 4217"),
    ("fraud.flood_clicks", "0", "below 1"),
    ("cookie_window", "3", "unknown program setting 'cookie_window'"),
])
def test_bad_values_name_the_setting(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        with_setting(ProgramTerms(), key, value)
    assert key in str(caught.value)


def test_show_lists_every_setting_once() -> None:
    rows = described(with_setting(ProgramTerms(), "allowed_domains", "b.test,a.test"))
    assert [k for k, _, _ in rows] == list(KEYS)
    values = {k: v for k, v, _ in rows}
    assert values["allowed_domains"] == "a.test, b.test" and values["min_payout"] == "50.00"
    assert values["fraud.flood_window_minutes"] == "60" and values["default_plan"] == "none"
