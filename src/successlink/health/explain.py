"""Why an account has the health it has, in sentences a customer-success manager reads.

Pure Python over rows already fetched from `account_health` and its components (dicts, e.g.
from `Table.to_pyarrow().to_pylist()` or pandas records; NaN counts as missing). The
config, when given, supplies each measure's label and sentence template; without it the
shipped default is used, and measures it does not know are named by their column.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from successlink.health.config import (
    NEUTRAL_POINTS,
    HealthConfig,
    Measure,
    default_health_config,
)

Row = Mapping[str, Any]
BAND_STYLE = {"red": "bold red", "yellow": "bold yellow", "green": "bold green"}
MOVE_THRESHOLD = 0.5  # contribution changes smaller than half a point are noise


@dataclass(frozen=True)
class Driver:
    """One measure's part in the score, with its value in words."""

    measure: str
    group: str
    label: str
    said: str  # the value in words, e.g. "Active on 4 of the last 30 days"
    value: float | str | None
    points: float | None
    weight: float
    contribution: float
    missing: bool

    @property
    def impact(self) -> float:
        """Points this measure adds to (or takes from) the score against a neutral reading."""
        return 0.0 if self.points is None else self.weight * (self.points - NEUTRAL_POINTS)

    @property
    def sentence(self) -> str:
        if self.points is None:
            return f"{self.said} (no points)"
        return (f"{self.said} ({self.points:.0f} points of 100, "
                f"{self.weight:.0%} of the score)")


@dataclass(frozen=True)
class Explanation:
    """The score of one account, its drivers, its cap, its gaps and its trend."""

    account_id: str
    as_of: date | None
    profile: str
    score: float | None
    band: str | None
    uncapped_band: str | None
    capped_by: str | None
    data_coverage: float | None
    headline: str
    drivers: tuple[Driver, ...]  # every component, largest contribution first
    positives: tuple[str, ...]
    negatives: tuple[str, ...]
    cap: str | None
    missing: tuple[str, ...]
    trend: tuple[str, ...]
    score_delta: float | None

    def sentences(self) -> list[str]:
        """Everything, in reading order."""
        out = [self.headline]
        if self.cap:
            out.append(self.cap)
        out += [f"Helping: {s}" for s in self.positives]
        out += [f"Hurting: {s}" for s in self.negatives]
        out += list(self.missing) + list(self.trend)
        return out


def explain(health_row: Row, component_rows: Iterable[Row],
            previous_health_row: Row | None = None,
            previous_components: Iterable[Row] | None = None,
            *, config: HealthConfig | None = None, top: int = 3) -> Explanation:
    """Explain one account's health, and how it moved since the previous score if given."""
    cfg = config or default_health_config()
    health = _clean(health_row)
    profile = str(health.get("profile") or "")
    drivers = tuple(sorted((_driver(_clean(r), cfg, profile) for r in component_rows),
                           key=lambda d: -d.contribution))
    ranked = sorted((d for d in drivers if not d.missing or d.weight > 0),
                    key=lambda d: d.impact)
    return Explanation(
        account_id=str(health.get("account_id")), as_of=health.get("as_of"), profile=profile,
        score=health.get("score"), band=health.get("band"),
        uncapped_band=health.get("uncapped_band"), capped_by=health.get("capped_by"),
        data_coverage=health.get("data_coverage"),
        headline=_headline(health),
        drivers=drivers,
        positives=tuple(d.sentence for d in reversed(ranked) if d.impact > 0)[:top],
        negatives=tuple(d.sentence for d in ranked if d.impact < 0)[:top],
        cap=_cap(health, drivers),
        missing=tuple(_missing(d) for d in drivers if d.missing),
        trend=_trend(health, drivers, previous_health_row, previous_components, cfg, top),
        score_delta=_delta(health, previous_health_row))


def render_explanation(explanation: Explanation) -> RenderableType:
    """A Rich panel: the headline, every component in a table, then cap, gaps and trend."""
    e = explanation
    table = Table(show_edge=False, pad_edge=False, expand=False)
    for name, justify in [("group", "left"), ("measure", "left"), ("value", "left"),
                          ("points", "right"), ("weight", "right"), ("contribution", "right")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for d in e.drivers:
        table.add_row(d.group, d.label, d.said, _num(d.points, "{:.0f}"),
                      _num(d.weight, "{:.0%}"), _num(d.contribution, "{:.1f}"),
                      style="dim" if d.missing else None)
    parts: list[RenderableType] = [Text(e.headline, style=BAND_STYLE.get(e.band or "", ""))]
    if e.cap:
        parts.append(Text(e.cap, style="bold"))
    parts.append(table)
    for title, lines in [("Helping", e.positives), ("Hurting", e.negatives),
                         ("Missing data", e.missing), ("Trend", e.trend)]:
        if lines:
            parts.append(Text(f"{title}:", style="bold"))
            parts.extend(Text(f"  • {line}") for line in lines)
    as_of = f" as of {e.as_of}" if e.as_of else ""
    return Panel(Group(*parts), title=f"Health of {e.account_id}{as_of}", expand=False)


def _clean(row: Row) -> dict[str, Any]:
    """Plain Python values: NaN, NaT and pandas NA become None, numpy scalars become Python."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if hasattr(value, "item") and not isinstance(value, str | bytes):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        if type(value).__name__ in ("NAType", "NaTType"):
            value = None
        if hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        out[key] = value
    if hasattr(out.get("as_of"), "date") and not isinstance(out["as_of"], date | str):
        out["as_of"] = out["as_of"].date()
    return out


def _spec(cfg: HealthConfig, profile: str, measure: str) -> Measure | None:
    """The measure as the account's profile defines it, else as any profile does."""
    order = sorted(cfg.profiles, key=lambda p: p.name != profile)
    for candidate in order:
        if measure in candidate.measures:
            return candidate.measures[measure]
    return None


def _driver(row: dict[str, Any], cfg: HealthConfig, profile: str) -> Driver:
    measure = str(row.get("measure"))
    spec = _spec(cfg, profile, measure)
    value = row.get("value_text") if row.get("value_text") is not None else row.get("value")
    label = (spec.label if spec and spec.label else None) or measure.replace("_", " ")
    missing = bool(row.get("missing"))
    said = f"{label}: no data" if missing else _say(spec, label, value)
    return Driver(measure=measure, group=str(row.get("group") or ""), label=label, said=said,
                  value=value, points=row.get("points"), weight=float(row.get("weight") or 0),
                  contribution=float(row.get("contribution") or 0), missing=missing)


def _say(spec: Measure | None, label: str, value: float | str | None) -> str:
    """The value in words, from the measure's `says` template (or `label: value`)."""
    says = spec.says if spec else None
    if isinstance(says, dict):
        key = _category_key(value)
        if key in says:
            return says[key]
        says = None
    if says is not None:
        try:
            return says.format(value=value)
        except (ValueError, TypeError):
            pass  # e.g. a numeric format given a category: fall back to plain words
    return f"{label}: {_plain(value, spec)}"


def _category_key(value: float | str | None) -> str:
    if isinstance(value, str):
        return value
    if value in (0.0, 1.0):
        return "true" if value == 1.0 else "false"
    return f"{value:g}" if value is not None else ""


def _plain(value: float | str | None, spec: Measure | None) -> str:
    """A value as the measure's template would print it, without the sentence around it."""
    if value is None or isinstance(value, str):
        return "none" if value is None else value
    if spec and isinstance(spec.says, str):
        for _, field, fmt, _ in string.Formatter().parse(spec.says):
            if field == "value" and fmt:
                try:
                    return format(value, fmt)
                except ValueError:
                    break
    if isinstance(spec.says if spec else None, dict):
        return _category_key(value)
    return f"{value:.3g}"


def _headline(health: dict[str, Any]) -> str:
    score, band, profile = health.get("score"), health.get("band"), health.get("profile")
    if score is None:
        return f"No health score: no measure of the {profile} profile has data."
    return f"Health {score:.0f} of 100: {band} (scored with the {profile} profile)."


def _cap(health: dict[str, Any], drivers: tuple[Driver, ...]) -> str | None:
    capped_by = health.get("capped_by")
    if not capped_by:
        return None
    said = next((d.sentence for d in drivers if d.measure == capped_by), capped_by)
    return (f"Capped at {health.get('band')} (the score alone says "
            f"{health.get('uncapped_band')}) because: {said}.")


def _missing(d: Driver) -> str:
    if d.weight == 0 or d.points is None:
        return f"{d.label}: no data, left out (the other measures carry its weight)."
    if d.points == NEUTRAL_POINTS:
        return f"{d.label}: no data, scored neutral ({NEUTRAL_POINTS:.0f} points)."
    return f"{d.label}: no data, scored {d.points:.0f} points as a penalty."


def _delta(health: dict[str, Any], previous: Row | None) -> float | None:
    if previous is None:
        return None
    before, now = _clean(previous).get("score"), health.get("score")
    return None if before is None or now is None else float(now) - float(before)


def _trend(health: dict[str, Any], drivers: tuple[Driver, ...], previous_row: Row | None,
           previous_components: Iterable[Row] | None, cfg: HealthConfig,
           top: int) -> tuple[str, ...]:
    """Score delta and band change since the previous score, then the measures that moved."""
    if previous_row is None:
        return ()
    before = _clean(previous_row)
    out = [_score_move(health, before)]
    if before.get("profile") and before.get("profile") != health.get("profile"):
        out.append(f"Profile changed from {before['profile']} to {health.get('profile')}.")
    old = {d.measure: d for d in (_driver(_clean(r), cfg, str(before.get("profile") or ""))
                                  for r in previous_components or [])}
    moves = [(d.contribution - (old[d.measure].contribution if d.measure in old else 0.0), d)
             for d in drivers]
    moves.sort(key=lambda m: -abs(m[0]))
    for change, d in moves[:top]:
        if abs(change) < MOVE_THRESHOLD:
            break
        was = old[d.measure].said if d.measure in old else "not scored"
        out.append(f"{d.label}: {change:+.1f} points to the score "
                   f"(now: {d.said}; before: {was}).")
    return tuple(out)


def _score_move(health: dict[str, Any], before: dict[str, Any]) -> str:
    now, then = health.get("score"), before.get("score")
    since = f" since {before['as_of']}" if before.get("as_of") else ""
    if now is None or then is None:
        return f"No score to compare with{since}."
    delta = float(now) - float(then)
    verb = "Up" if delta > 0 else "Down" if delta < 0 else "Unchanged at"
    amount = f"{abs(delta):.0f} points" if delta else f"{now:.0f}"
    bands = (f"{before.get('band')} -> {health.get('band')}"
             if before.get("band") != health.get("band") else f"{health.get('band')} both times")
    return f"{verb} {amount}{since} ({then:.0f} -> {now:.0f}; {bands})."


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None else fmt.format(value)
