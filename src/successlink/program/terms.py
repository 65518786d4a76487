"""The program's terms: the settings every redirect, attribution, payout and fraud check obeys.

One home: the `program_settings` row of the app store, written by `successlink program set`
or `program apply`. Until that row exists the terms come from the `[program]` section of
successlink.toml (fallback URL, allowed domains, cookie window, payout minimum, default plan)
and the defaults below; the first `program set` starts the row from exactly those values, so
writing one setting never silently changes another. Pure: parsing and checking settings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from successlink.config import ProgramSettings
from successlink.errors import ConfigError
from successlink.money import (
    MoneyError,
    decimal_to_minor,
    minor_exponent,
    minor_to_decimal,
    normalise_currency,
)
from successlink.program.fraud import FraudRules

ATTRIBUTION_MODELS = ("first_click", "last_click")
DEFAULT_NAME = "SuccessLink"


@dataclass(frozen=True)
class ProgramTerms:
    """Every program setting, with its default."""

    name: str = DEFAULT_NAME
    currency: str = "USD"
    cookie_days: int = 30
    attribution: str = "first_click"
    hold_days: int = 0
    min_payout_minor: int = 5_000
    allowed_domains: tuple[str, ...] = ()
    fallback_url: str | None = None
    default_plan: str | None = None
    fraud: FraudRules = field(default_factory=FraudRules)

    @property
    def min_payout(self) -> str:
        """The payout minimum in major units of the program currency ("50.00")."""
        return minor_to_decimal(self.min_payout_minor, self.currency)

    def minimum_minor(self, currency: str) -> int:
        """The payout minimum for payouts in `currency`: the same number of major units,
        rounded up to that currency's minor unit (no exchange rates: set the minimum so it
        makes sense in every currency you pay)."""
        major = Decimal(self.min_payout_minor).scaleb(-minor_exponent(self.currency))
        return math.ceil(major.scaleb(minor_exponent(currency)))

    @property
    def hold(self) -> timedelta:
        return timedelta(days=self.hold_days)

    @property
    def domains(self) -> list[str]:
        """Where links may send visitors: the allowed domains, else the fallback's host."""
        if self.allowed_domains:
            return list(self.allowed_domains)
        host = urlsplit(self.fallback_url).hostname if self.fallback_url else None
        return [host] if host else []


def from_config(program: ProgramSettings) -> ProgramTerms:
    """The terms of a workspace with no program row yet: its [program] section."""
    try:
        minimum = decimal_to_minor(program.min_payout, "USD")
    except MoneyError as exc:
        raise ConfigError(f"setting program.min_payout: {exc}",
                          hint="Write it in major units, e.g. \"50.00\".") from exc
    return ProgramTerms(cookie_days=program.cookie_days, min_payout_minor=minimum,
                        allowed_domains=tuple(program.allowed_domains),
                        fallback_url=program.fallback_url, default_plan=program.default_plan)


@dataclass(frozen=True)
class Setting:
    """One key of `program set`: what it means, and how its text becomes a value."""

    key: str
    help: str


SETTINGS = (
    Setting("name", "the program's name, shown in payment notes"),
    Setting("currency", "program currency (ISO 4217) of the payout minimum"),
    Setting("cookie_days", "days a click counts for its affiliate (attribution window)"),
    Setting("attribution", "first_click or last_click: which affiliate a customer with "
            "several clicks belongs to"),
    Setting("hold_days", "days vested money waits before a payout run pays it (a refund "
            "window); clawbacks are never held"),
    Setting("min_payout", "smallest payout, in major units (e.g. 50.00)"),
    Setting("allowed_domains", "comma-separated domains links may redirect to (empty: the "
            "fallback URL's domain)"),
    Setting("fallback_url", "where unknown or disabled links send visitors"),
    Setting("default_plan", "commission plan of affiliates without one (none: no default)"),
    Setting("fraud.flood_clicks", "clicks from one network that flag a click flood"),
    Setting("fraud.flood_window_minutes", "window of the click-flood count, in minutes"),
    Setting("fraud.early_days", "a refund or churn within this many days of the first payment "
            "is flagged"),
    Setting("fraud.disposable_domains", "comma-separated throwaway-mailbox domains added to "
            "the shipped list"),
)
KEYS = tuple(s.key for s in SETTINGS)


def with_setting(terms: ProgramTerms, key: str, value: object) -> ProgramTerms:
    """`terms` with `key` set to `value` (text from the command line, or a TOML value);
    ConfigError names the key and what it accepts."""
    key = key.strip().lower().replace("-", "_")
    if key not in KEYS:
        raise ConfigError(f"unknown program setting {key!r}",
                          hint=f"Settings: {', '.join(KEYS)}.")
    try:
        return _set(terms, key, value)
    except (ValueError, MoneyError) as exc:
        raise ConfigError(f"program setting {key}: {exc}",
                          hint="See `successlink program show` for every setting.") from exc


def with_settings(terms: ProgramTerms, values: Mapping[str, Any]) -> ProgramTerms:
    """`terms` with every setting of a program.toml ([fraud] as a table or dotted keys)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat |= {f"{key}.{k}": v for k, v in value.items()}
        else:
            flat[key] = value
    for key, value in flat.items():
        terms = with_setting(terms, key, value)
    return terms


def _set(terms: ProgramTerms, key: str, value: object) -> ProgramTerms:
    fraud = terms.fraud
    if key == "name":
        return replace(terms, name=_text(value) or DEFAULT_NAME)
    if key == "currency":
        currency = normalise_currency(value)
        minimum = decimal_to_minor(terms.min_payout, currency)  # keep the same major amount
        return replace(terms, currency=currency, min_payout_minor=minimum)
    if key == "cookie_days":
        return replace(terms, cookie_days=_count(value, 1))
    if key == "attribution":
        model = _text(value).lower().replace("-", "_")
        if model not in ATTRIBUTION_MODELS:
            raise ValueError(f"{value!r} is not first_click or last_click")
        return replace(terms, attribution=model)
    if key == "hold_days":
        return replace(terms, hold_days=_count(value, 0))
    if key == "min_payout":
        minimum = decimal_to_minor(_text(value), terms.currency)
        if minimum < 0:
            raise ValueError("the minimum cannot be negative")
        return replace(terms, min_payout_minor=minimum)
    if key == "allowed_domains":
        return replace(terms, allowed_domains=tuple(_domains(value)))
    if key == "fallback_url":
        return replace(terms, fallback_url=_url(value))
    if key == "default_plan":
        plan = _text(value)
        return replace(terms, default_plan=None if plan.lower() in ("", "none") else plan)
    if key == "fraud.flood_clicks":
        return replace(terms, fraud=replace(fraud, flood_clicks=_count(value, 1)))
    if key == "fraud.flood_window_minutes":
        window = timedelta(minutes=_count(value, 1))
        return replace(terms, fraud=replace(fraud, flood_window=window))
    if key == "fraud.early_days":
        return replace(terms, fraud=replace(fraud, early_days=_count(value, 0)))
    return replace(terms, fraud=replace(fraud, extra_disposable_domains=frozenset(
        _domains(value))))


def _text(value: object) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a single value")
    return str(value).strip()


def _count(value: object, least: int) -> int:
    text = _text(value)
    if not text.lstrip("-").isdigit():
        raise ValueError(f"{value!r} is not a whole number")
    number = int(text)
    if number < least:
        raise ValueError(f"{number} is below {least}")
    return number


def _domains(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else _text(value).split(",")
    out = []
    for item in items:
        domain = str(item).strip().lower().rstrip(".")
        if not domain:
            continue
        if "/" in domain or ":" in domain or " " in domain or "." not in domain:
            raise ValueError(f"{item!r} is not a domain (write example.com, without https://)")
        out.append(domain)
    return sorted(set(out))


def _url(value: object) -> str:
    url = _text(value)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    return url


def described(terms: ProgramTerms) -> list[tuple[str, str, str]]:
    """(key, value as text, meaning) of every setting, for `program show`."""
    fraud = terms.fraud
    values = {
        "name": terms.name, "currency": terms.currency, "cookie_days": str(terms.cookie_days),
        "attribution": terms.attribution, "hold_days": str(terms.hold_days),
        "min_payout": terms.min_payout, "allowed_domains": ", ".join(terms.allowed_domains),
        "fallback_url": terms.fallback_url or "", "default_plan": terms.default_plan or "none",
        "fraud.flood_clicks": str(fraud.flood_clicks),
        "fraud.flood_window_minutes": str(int(fraud.flood_window.total_seconds() // 60)),
        "fraud.early_days": str(fraud.early_days),
        "fraud.disposable_domains": ", ".join(sorted(fraud.extra_disposable_domains)),
    }
    return [(s.key, values[s.key], s.help) for s in SETTINGS]
