"""The health-score configuration: a TOML file of profiles, groups and measures.

A profile scores an account from measures (one `account_metrics` column each, turned into
0-100 points by bands, a linear ramp or a table of points), grouped (usage, support, ...)
and weighted twice: measures within their group, groups within the score. The first
profile whose `when` rule matches an account scores it; a profile may `inherit` another and
override parts of it. docs/metrics/health.md describes every option.

Loading resolves inheritance on the raw TOML tables first, then validates each resolved
profile, so an error names the key as the user wrote it and says what to do.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from successlink.errors import ConfigError

BAND_NAMES = ("red", "yellow", "green")
NEUTRAL_POINTS = 50.0
DEFAULT_FILE = "default_health.toml"
_HINT = "See docs/metrics/health.md for the health-score configuration format."

MissingPolicy = Literal["ignore", "neutral", "penalise"]
Operator = Literal["<", "<=", ">", ">=", "==", "!=", "in", "not in", "is null", "is not null"]
Scalar = bool | int | float | str


class _Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Cutoffs(_Strict):
    """Band cut-offs: red below `red_below`, green from `green_from`, yellow in between."""

    red_below: float = Field(40.0, ge=0, le=100)
    green_from: float = Field(70.0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Cutoffs:
        if self.red_below > self.green_from:
            raise ValueError(f"red_below ({self.red_below:g}) must not exceed green_from "
                             f"({self.green_from:g}); yellow is the range between them")
        return self

    def of(self, score: float) -> str:
        """The band a score falls in (used by explanations; SQL uses the same cut-offs)."""
        if score < self.red_below:
            return "red"
        return "yellow" if score < self.green_from else "green"


class BandScoring(_Strict):
    """Step function: a value scores the points of the highest threshold it reaches."""

    kind: Literal["bands"]
    bands: list[tuple[float, float]] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> BandScoring:
        thresholds = [t for t, _ in self.bands]
        if any(b <= a for a, b in pairwise(thresholds)):
            raise ValueError(f"band thresholds {thresholds} must be strictly ascending, "
                             "e.g. [[0, 100], [1, 40], [2, 0]]")
        _check_points(p for _, p in self.bands)
        return self


class LinearScoring(_Strict):
    """Ramp from `worst` (0 points) to `best` (100 points), clamped; either may be larger."""

    kind: Literal["linear"]
    worst: float
    best: float

    @model_validator(mode="after")
    def _distinct(self) -> LinearScoring:
        if self.worst == self.best:
            raise ValueError(f"worst and best are both {self.worst:g}; a ramp needs two "
                             "different values (best < worst when lower is better)")
        return self


class PointsScoring(_Strict):
    """Categorical values -> points; values not listed score `other` (or count as missing)."""

    kind: Literal["points"]
    points: dict[str, float] = Field(min_length=1)
    other: float | None = Field(None, ge=0, le=100)

    @model_validator(mode="after")
    def _in_range(self) -> PointsScoring:
        _check_points(self.points.values())
        return self


Scoring = Annotated[BandScoring | LinearScoring | PointsScoring, Field(discriminator="kind")]


def _check_points(points: Any) -> None:
    bad = [p for p in points if not 0 <= p <= 100]
    if bad:
        raise ValueError(f"points must lie between 0 and 100, got {bad}")


class Condition(_Strict):
    """One test on an `account_metrics` column; a null column fails every test but `is null`."""

    column: str
    op: Operator
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        needs_list = self.op in ("in", "not in")
        if self.op in ("is null", "is not null"):
            if self.value is not None:
                raise ValueError(f"op '{self.op}' takes no value; remove `value`")
        elif self.value is None:
            raise ValueError(f"op '{self.op}' needs a `value`")
        elif needs_list != isinstance(self.value, list):
            kind = "a list" if needs_list else "a single value"
            raise ValueError(f"op '{self.op}' needs {kind} as `value`")
        return self


class Group(_Strict):
    """A weighted set of measures; `missing` is the default policy of its measures."""

    weight: float = Field(gt=0)
    enabled: bool = True
    label: str | None = None
    missing: MissingPolicy | None = None


class Measure(_Strict):
    """One metric column scored 0-100, weighted within its group."""

    group: str
    metric: str
    scoring: Scoring
    weight: float = Field(1.0, gt=0)
    enabled: bool = True
    label: str | None = None
    says: str | dict[str, str] | None = Field(
        None, description="Sentence with {value} for people, or one sentence per category.")
    missing: MissingPolicy | None = None
    missing_points: float = Field(0.0, ge=0, le=100)
    caps_at: Literal["red", "yellow"] | None = None
    cap_below: float | None = Field(None, ge=0, le=100)

    @model_validator(mode="after")
    def _template(self) -> Measure:
        templates = [self.says] if isinstance(self.says, str) else list((self.says or {}).values())
        for template in templates:
            try:
                fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            except ValueError as exc:
                raise ValueError(f"says template {template!r} is malformed: {exc}") from exc
            if fields - {"value"}:
                raise ValueError(f"says template {template!r} may use only {{value}}, "
                                 f"found {sorted(fields)}")
        return self


class Profile(_Strict):
    """A complete, resolved scoring recipe (inheritance already applied)."""

    name: str
    when: list[Condition] = Field(default_factory=list)
    cutoffs: Cutoffs = Field(default_factory=lambda: Cutoffs(red_below=40.0, green_from=70.0))
    missing: MissingPolicy = "ignore"
    groups: dict[str, Group] = Field(min_length=1)
    measures: dict[str, Measure] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        for name, measure in self.measures.items():
            if measure.group not in self.groups:
                raise ValueError(f"measure '{name}' names group '{measure.group}', which is "
                                 f"not defined; known groups: {sorted(self.groups)}")
        for name in self.active_groups():
            if not self.active_measures(name):
                raise ValueError(f"group '{name}' has no enabled measures; add one or set "
                                 f"enabled = false on the group")
        return self

    def active_groups(self) -> list[str]:
        """Enabled groups, in file order."""
        return [g for g, spec in self.groups.items() if spec.enabled]

    def active_measures(self, group: str | None = None) -> list[str]:
        """Enabled measures of enabled groups (optionally of one group), in file order."""
        active = set(self.active_groups())
        return [m for m, spec in self.measures.items() if spec.enabled and spec.group in active
                and (group is None or spec.group == group)]

    def policy(self, measure: str) -> MissingPolicy:
        """The missing-data policy of a measure: its own, else its group's, else the profile's."""
        spec = self.measures[measure]
        return spec.missing or self.groups[spec.group].missing or self.missing

    def nominal_weight(self, measure: str) -> float:
        """Share of the whole score a measure carries when every measure has data."""
        group = self.measures[measure].group
        group_total = sum(self.groups[g].weight for g in self.active_groups())
        in_group = sum(self.measures[m].weight for m in self.active_measures(group))
        return (self.groups[group].weight / group_total) * (
            self.measures[measure].weight / in_group)


class HealthConfig(_Strict):
    """Profiles in file order: the first whose `when` matches scores the account."""

    profiles: list[Profile] = Field(min_length=1)

    def profile(self, name: str) -> Profile:
        """The profile called `name`."""
        for profile in self.profiles:
            if profile.name == name:
                return profile
        raise KeyError(name)

    def measure_names(self) -> list[str]:
        """Every enabled measure of any profile, in first-seen order."""
        seen: dict[str, None] = {}
        for profile in self.profiles:
            seen.update(dict.fromkeys(profile.active_measures()))
        return list(seen)


def load_health_config(source: Path | str | None = None) -> HealthConfig:
    """The health config from a TOML file (a Path), TOML text (a str), or the shipped default."""
    if source is None:
        return default_health_config()
    where = str(source) if isinstance(source, Path) else "health config"
    try:
        text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the health config: {exc}", where=where,
                          hint=_HINT) from exc
    return parse_health_config(data, where=where)


@cache
def default_health_config() -> HealthConfig:
    """The shipped default (default_health.toml), parsed once."""
    text = resources.files("successlink.health").joinpath(DEFAULT_FILE).read_text("utf-8")
    return parse_health_config(tomllib.loads(text), where=DEFAULT_FILE)


def parse_health_config(data: dict[str, Any], *, where: str = "health config") -> HealthConfig:
    """Validate parsed TOML: resolve inheritance, then check every profile."""
    unknown = set(data) - {"cutoffs", "profiles"}
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {sorted(unknown)}", where=where,
                          hint="The top level holds [cutoffs] and [profiles.<name>]. " + _HINT)
    raw = data.get("profiles")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("no profiles defined", where=where,
                          hint="Add at least one [profiles.<name>] table. " + _HINT)
    profiles = [_validate_profile(name, _resolve(name, raw, where), data.get("cutoffs"), where)
                for name in raw]
    for profile in profiles[:-1]:
        if not profile.when:
            raise ConfigError(f"profile '{profile.name}' has no `when` rule but is not the "
                              "last profile, so the profiles after it can never match",
                              where=where, hint="Move the catch-all profile last. " + _HINT)
    if profiles[-1].when:
        raise ConfigError(f"the last profile '{profiles[-1].name}' has a `when` rule, so some "
                          "accounts may match no profile", where=where,
                          hint="End with a catch-all profile without `when`. " + _HINT)
    return HealthConfig(profiles=profiles)


def _resolve(name: str, raw: dict[str, Any], where: str,
             chain: tuple[str, ...] = ()) -> dict[str, Any]:
    """The profile's table with its ancestors' tables merged underneath (child wins)."""
    if name in chain:
        cycle = " -> ".join((*chain, name))
        raise ConfigError(f"profiles inherit in a circle: {cycle}", where=where, hint=_HINT)
    own = raw[name]
    if not isinstance(own, dict):
        raise ConfigError(f"profiles.{name} must be a table", where=where, hint=_HINT)
    parent = own.get("inherits")
    if parent is None:
        return {k: v for k, v in own.items() if k != "inherits"}
    if parent not in raw:
        raise ConfigError(f"profiles.{name}.inherits names unknown profile '{parent}'",
                          where=where, hint=f"Known profiles: {sorted(raw)}.")
    base = _resolve(parent, raw, where, (*chain, name))
    base.pop("when", None)  # a rule says who a profile is for: never inherited
    return _deep_merge(base, {k: v for k, v in own.items() if k != "inherits"})


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        # a new scoring replaces the old one whole: mixing bands into a ramp means nothing
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "scoring":
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validate_profile(name: str, table: dict[str, Any], cutoffs: Any, where: str) -> Profile:
    """One resolved profile; the top-level [cutoffs] apply unless the profile sets its own."""
    body = {"cutoffs": cutoffs, **table} if cutoffs is not None and "cutoffs" not in table \
        else table
    try:
        return Profile.model_validate({**body, "name": name})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in ("profiles", name, *first["loc"]))
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{key}: {message}", where=where, hint=_HINT) from exc
