"""Commission plans: declarative TOML, validated into frozen objects the engine reads.

A plan is versioned: a change is a new version with its own `effective_from`, and every ledger
entry names the version that produced it, so an old commission can always be explained by the
rules that were in force when it was earned.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from successlink.errors import ConfigError
from successlink.health.config import BAND_NAMES
from successlink.money import MoneyError, decimal_to_minor, normalise_currency

_HINT = "See docs/program.md for the plan format and a full example."
Rate = Annotated[Decimal, Field(ge=0, le=100)]
Multiplier = Annotated[Decimal, Field(ge=0, le=10)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """A rate that applies once the affiliate has `min_referrals` paying referred accounts."""

    min_referrals: int = Field(ge=1)
    percent: Rate | None = None
    flat: str | None = None


class Rule(_Strict):
    """Which payments earn what: the first matching rule (in file order) pays a sale."""

    name: str
    payments: Literal["first", "recurring", "all"] = "all"
    months: int | None = Field(None, ge=1, description="Months after the referred account's "
                               "first payment that still earn; unset = lifetime.")
    products: tuple[str, ...] = ()
    prices: tuple[str, ...] = ()
    percent: Rate | None = None
    flat: str | None = None
    cap: str | None = Field(None, description="Most this rule pays per referred account.")
    tiers: tuple[Tier, ...] = ()

    @model_validator(mode="after")
    def _one_rate(self) -> Rule:
        items: list[tuple[str, Rule | Tier]] = [(f"rule '{self.name}'", self)]
        items += [(f"rule '{self.name}' tier {t.min_referrals}", t) for t in self.tiers]
        for where, item in items:
            if (item.percent is None) == (item.flat is None):
                raise ValueError(f"{where}: give exactly one of `percent` or `flat`")
        steps = [t.min_referrals for t in self.tiers]
        if steps != sorted(set(steps)):
            raise ValueError(f"rule '{self.name}': tiers must have increasing min_referrals")
        return self


class Quality(_Strict):
    """Multipliers that make a commission follow the quality of the customer."""

    affiliate_tier: dict[str, Multiplier] = Field(default_factory=dict)
    health_band: dict[str, Multiplier] = Field(default_factory=dict)
    not_activated: Multiplier = Decimal(1)

    @field_validator("health_band")
    @classmethod
    def _known_bands(cls, bands: dict[str, Decimal]) -> dict[str, Decimal]:
        unknown = sorted(set(bands) - set(BAND_NAMES))
        if unknown:
            raise ValueError(f"unknown health band(s) {unknown}; known: {list(BAND_NAMES)}")
        return bands


class TrancheSpec(_Strict):
    """A share of each commission that vests `day` days after the sale."""

    day: int = Field(ge=0)
    percent: Annotated[Decimal, Field(gt=0, le=100)]


class Vesting(_Strict):
    """When commissions become payable, and the health they need on the way."""

    tranches: tuple[TrancheSpec, ...] = (TrancheSpec(day=0, percent=Decimal(100)),)
    health_floor: str | None = Field(None, description="Lowest health band at a vesting day "
                                     "that still vests; unset = no health condition.")

    @model_validator(mode="after")
    def _shares(self) -> Vesting:
        if sum(t.percent for t in self.tranches) != 100:
            raise ValueError("vesting tranche percents must add up to 100")
        days = [t.day for t in self.tranches]
        if days != sorted(set(days)):
            raise ValueError("vesting tranche days must be increasing")
        if self.health_floor is not None and self.health_floor not in BAND_NAMES:
            raise ValueError(f"health_floor {self.health_floor!r} is not one of "
                             f"{list(BAND_NAMES)}")
        return self


class Plan(_Strict):
    """One version of a commission plan."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    version: int = Field(ge=1)
    name: str
    currency: str
    effective_from: datetime
    rules: tuple[Rule, ...] = Field(min_length=1)
    quality: Quality = Field(default_factory=Quality)
    vesting: Vesting = Field(default_factory=lambda: Vesting(health_floor=None))

    @field_validator("currency")
    @classmethod
    def _currency(cls, code: str) -> str:
        try:
            return normalise_currency(code)
        except MoneyError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("effective_from", mode="before")
    @classmethod
    def _day_is_midnight_utc(cls, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time(), tzinfo=UTC)
        return value

    @field_validator("effective_from")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _amounts(self) -> Plan:
        for rule in self.rules:
            for amount in (rule.flat, rule.cap, *(t.flat for t in rule.tiers)):
                if amount is not None:
                    self.minor(amount)
        return self

    def minor(self, amount: str) -> int:
        """A plan amount ("50.00") in minor units of the plan's currency."""
        try:
            value = decimal_to_minor(amount, self.currency)
        except MoneyError as exc:
            raise ValueError(f"amount {amount!r}: {exc}") from exc
        if value < 0:
            raise ValueError(f"amount {amount!r} is negative")
        return value


def parse_plan(data: dict[str, Any], *, where: str = "plan") -> Plan:
    """Validate a plan's TOML table, or ConfigError naming the field and the fix."""
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "plan"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{field}: {message}", where=where, hint=_HINT) from exc


def load_plan(source: Path | str) -> Plan:
    """A plan from a TOML file (a Path) or TOML text (a str)."""
    where = str(source) if isinstance(source, Path) else "plan"
    try:
        text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the plan: {exc}", where=where, hint=_HINT) from exc
    return parse_plan(data, where=where)
