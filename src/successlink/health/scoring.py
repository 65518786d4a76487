"""The health score as generated Ibis expressions over `account_metrics`.

Every account gets the first profile whose rule matches; each profile is scored by one chain
of selects over its accounts (values -> points -> weights -> score and band), and the
branches are stacked with UNION ALL into one *wide* table holding, per measure, the columns
`<measure>__value`, `__text`, `__points`, `__weight`, `__contribution`, `__missing`, ...
`health_table` and `component_table` read that wide table: the first keeps the score, the
second unpivots the measures (one UNION ALL branch per measure, portable to every backend).

Weights are re-normalised per row: a measure whose value is missing under the `ignore`
policy drops out of its group, a group left with nothing drops out of the score, and the
rest share its weight. So the contributions of a row always add up to its score.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from successlink.errors import ConfigError
from successlink.health.config import (
    BAND_NAMES,
    NEUTRAL_POINTS,
    BandScoring,
    Condition,
    HealthConfig,
    LinearScoring,
    Measure,
    Profile,
)
from successlink.warehouse.portable import double

_HINT = "Fix the health config (docs/metrics/health.md) or the account_metrics assembly."
_RANK = {name: rank for rank, name in enumerate(BAND_NAMES)}
_OPS: dict[str, Callable[[ir.Value, Any], ir.BooleanValue]] = {
    "<": lambda c, v: c < v, "<=": lambda c, v: c <= v, ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v, "==": lambda c, v: c == v, "!=": lambda c, v: c != v,
    "in": lambda c, v: c.isin(v), "not in": lambda c, v: c.notin(v),
    "is null": lambda c, _: c.isnull(), "is not null": lambda c, _: c.notnull(),
}


def score_health(account_metrics: ir.Table, config: HealthConfig) -> tuple[ir.Table, ir.Table]:
    """(health, components) for every row of `account_metrics` (one row per account)."""
    wide = health_frame(account_metrics, config)
    return health_table(wide), component_table(wide, config)


def health_frame(account_metrics: ir.Table, config: HealthConfig) -> ir.Table:
    """The wide table both outputs read; materialise it once when scoring many accounts."""
    check_columns(account_metrics, config)
    chosen = account_metrics.mutate(profile=profile_of(account_metrics, config))
    names = config.measure_names()
    parts = [_score_profile(chosen.filter(chosen.profile == profile.name), profile, names)
             for profile in config.profiles]
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def health_table(wide: ir.Table) -> ir.Table:
    """account_id, as_of, profile, score, band, capped_by, uncapped_band, data_coverage."""
    return _fence(wide).select("account_id", "as_of", "profile", "score", "band", "capped_by",
                               "uncapped_band", "data_coverage")


def component_table(wide: ir.Table, config: HealthConfig) -> ir.Table:
    """One row per (account, measure of its profile): value, points, weight, contribution."""
    # plain projections stacked, then one filter: filtering each branch would make Ibis
    # re-inspect the whole wide query once per measure while compiling (seconds)
    branches = [wide.select(
        "account_id", "as_of", "profile", used=wide[f"{m}__in"],
        group=wide[f"{m}__group"], measure=ibis.literal(m, type="string"),
        metric=wide[f"{m}__metric"], value=wide[f"{m}__value"],
        value_text=wide[f"{m}__text"], points=wide[f"{m}__points"],
        weight=wide[f"{m}__weight"], contribution=wide[f"{m}__contribution"],
        missing=wide[f"{m}__missing"]) for m in config.measure_names()]
    stacked = ibis.union(*branches) if len(branches) > 1 else branches[0]
    return stacked.filter(stacked.used).drop("used")


def check_columns(account_metrics: ir.Table, config: HealthConfig) -> None:
    """Fail early, naming the measure, when a column the config reads is absent or unscorable."""
    schema = account_metrics.schema()
    for needed in ("account_id", "as_of"):
        if needed not in schema:
            raise ConfigError(f"account_metrics has no column '{needed}'", hint=_HINT)
    for profile in config.profiles:
        for cond in profile.when:
            _require(schema, cond.column, f"profiles.{profile.name}.when")
        for name in profile.active_measures():
            metric = profile.measures[name].metric
            where = f"profiles.{profile.name}.measures.{name}.metric"
            dtype = _require(schema, metric, where)
            if not (dtype.is_numeric() or dtype.is_boolean() or dtype.is_string()):
                raise ConfigError(f"{where}: column '{metric}' is {dtype}; a measure needs a "
                                  "number, a boolean or a category (string)", hint=_HINT)


def _require(schema: ibis.Schema, column: str, where: str) -> Any:
    if column not in schema:
        raise ConfigError(f"{where}: account_metrics has no column '{column}'",
                          hint=f"Available columns: {', '.join(schema.names)}. {_HINT}")
    return schema[column]


def profile_of(t: ir.Table, config: HealthConfig) -> ir.StringValue:
    """The name of the first profile whose conditions all hold (the last one is the catch-all)."""
    last = ibis.literal(config.profiles[-1].name, type="string")
    ruled = [(_matches(t, p.when), p.name) for p in config.profiles[:-1]]
    return ibis.cases(*ruled, else_=last) if ruled else last


def _matches(t: ir.Table, conditions: list[Condition]) -> ir.BooleanValue:
    tests = [_OPS[c.op](t[c.column], c.value) for c in conditions]
    out = tests[0]
    for test in tests[1:]:
        out = out & test
    return out


def _score_profile(t: ir.Table, profile: Profile, names: list[str]) -> ir.Table:
    """The wide columns of one profile's accounts, in a few fenced selects."""
    active, groups = profile.active_measures(), profile.active_groups()
    t = _fence(t.select("account_id", "as_of", "profile",
                        **{k: v for m in active for k, v in _read(t, m, profile).items()}))
    t = t.mutate(**{k: v for m in active for k, v in _apply_policy(t, m, profile).items()})
    t = t.mutate(**{f"__g_{g}": _sum([profile.measures[m].weight * t[f"{m}__flag"]
                                      for m in profile.active_measures(g)]) for g in groups})
    t = _fence(t.mutate(__total=_sum([profile.groups[g].weight
                                      * ibis.ifelse(t[f"__g_{g}"] > 0, double(1), double(0))
                                      for g in groups])))
    t = t.mutate(**{k: v for m in active for k, v in _weigh(t, m, profile).items()})
    t = t.mutate(
        score=ibis.cases((t.__total > 0, _sum([t[f"{m}__contribution"] for m in active])),
                         else_=ibis.null("float64")),
        data_coverage=_sum([profile.nominal_weight(m)
                            * ibis.ifelse(t[f"{m}__missing"], double(0), double(1))
                            for m in active]))
    t = _fence(t.drop(*[f"__g_{g}" for g in groups], "__total",
                      *[f"{m}__flag" for m in active]))
    t = _fence(t.mutate(uncapped_band=_band(t.score, profile)))
    t = t.mutate(capped_by=_capped_by(t, profile))
    t = t.mutate(band=_capped_band(t, profile))
    return t.select(**_wide_columns(t, profile, names))


def _fence(t: ir.Table) -> ir.Table:
    """Keep the next select from inlining this one's expressions.

    Ibis fuses consecutive selects by substituting each column's expression wherever it is
    used; the weights use every measure's points, so fused SQL grows with the square of the
    measure count (150 kB for the default config, seconds to compile). A self-reference is
    a subquery boundary Ibis keeps, and every database flattens it again for free.
    """
    return t.view()


def _read(t: ir.Table, name: str, profile: Profile) -> dict[str, ir.Value]:
    """The value (as a number and as text) and its points, null when missing or unlisted."""
    spec = profile.measures[name]
    value, text, categorical = _value_of(t[spec.metric])
    where = f"profiles.{profile.name}.measures.{name}"
    raw = _points(spec, text if categorical else value, categorical=categorical, where=where)
    return {f"{name}__value": value, f"{name}__text": text, f"{name}__raw": raw}


def _apply_policy(t: ir.Table, name: str, profile: Profile) -> dict[str, ir.Value]:
    """Points after the missing-data policy, the missing flag, and 1/0 for "in the score"."""
    raw = t[f"{name}__raw"]
    missing = raw.isnull()
    policy = profile.policy(name)
    if policy == "ignore":
        points, flag = raw, ibis.ifelse(missing, double(0), double(1))
    else:
        fallback = (NEUTRAL_POINTS if policy == "neutral"
                    else profile.measures[name].missing_points)
        points, flag = raw.fill_null(double(fallback)), double(1)
    return {f"{name}__points": points, f"{name}__missing": missing, f"{name}__flag": flag}


def _value_of(column: ir.Value) -> tuple[ir.FloatingValue, ir.StringValue, bool]:
    """Numeric and text views of a metric, and whether it is a category (text).

    Booleans read as 1/0 (SQLite stores them so anyway), categories as text.
    """
    dtype = column.type()
    if dtype.is_string():
        return ibis.null("float64"), column, True
    if dtype.is_boolean():
        # CASE, not a cast: PostgreSQL has no boolean -> float cast, and null must stay null
        number = ibis.cases((column, double(1)), (~column, double(0)), else_=ibis.null("float64"))
        return number, ibis.null("string"), False
    return column.cast("float64"), ibis.null("string"), False


def _points(spec: Measure, value: ir.Value, *, categorical: bool,
            where: str) -> ir.FloatingValue:
    """0-100 points of a value, or null when the value is missing (or an unlisted category)."""
    scoring = spec.scoring
    none = ibis.null("float64")
    if isinstance(scoring, LinearScoring):
        ramp = (value - scoring.worst) * (100.0 / (scoring.best - scoring.worst))
        return ibis.cases((ramp <= 0, double(0)), (ramp >= 100, double(100)), else_=ramp)
    if isinstance(scoring, BandScoring):
        steps = sorted(scoring.bands, reverse=True)
        # below the first threshold a value still scores the first band's points
        return ibis.cases(*[(value >= lo, double(pts)) for lo, pts in steps[:-1]],
                          (value.notnull(), double(steps[-1][1])), else_=none)
    keys = [(k if categorical else _numeric_key(k, where), double(p))
            for k, p in scoring.points.items()]
    other = [] if scoring.other is None else [(value.notnull(), double(scoring.other))]
    return ibis.cases(*[(value == k, p) for k, p in keys], *other, else_=none)


def _numeric_key(key: str, where: str) -> float:
    """A points key matched against a number or boolean column ('true'/'false' are 1/0)."""
    lowered = key.strip().lower()
    if lowered in ("true", "false"):
        return 1.0 if lowered == "true" else 0.0
    try:
        return float(key)
    except ValueError:
        raise ConfigError(f"{where}.scoring.points: key '{key}' cannot match a number or "
                          "boolean column", hint="Use numbers, or true/false. " + _HINT) from None


def _weigh(t: ir.Table, name: str, profile: Profile) -> dict[str, ir.Value]:
    """Weight after re-weighting over what this row has, and weight x points."""
    spec = profile.measures[name]
    group_share = profile.groups[spec.group].weight / t.__total.nullif(0)
    measure_share = spec.weight / t[f"__g_{spec.group}"].nullif(0)
    included = t[f"{name}__flag"] > 0
    weight = ibis.ifelse(included, group_share * measure_share, double(0))
    contribution = ibis.ifelse(included, weight * t[f"{name}__points"], double(0))
    return {f"{name}__weight": weight, f"{name}__contribution": contribution}


def _band(score: ir.FloatingValue, profile: Profile) -> ir.StringValue:
    cut = profile.cutoffs
    return ibis.cases((score < cut.red_below, "red"), (score < cut.green_from, "yellow"),
                      (score >= cut.green_from, "green"), else_=ibis.null("string"))


def _capping(profile: Profile) -> list[tuple[str, str, float]]:
    """(measure, band it caps at, points below which it fires), most severe cap first."""
    caps = []
    for m in profile.active_measures():
        spec = profile.measures[m]
        if spec.caps_at is not None:
            below = profile.cutoffs.red_below if spec.cap_below is None else spec.cap_below
            caps.append((m, spec.caps_at, below))
    return sorted(caps, key=lambda cap: _RANK[cap[1]])


def _capped_by(t: ir.Table, profile: Profile) -> ir.StringValue:
    """The most severe cap that fired (observed value scoring below its limit) and bit."""
    rank = _rank(t.uncapped_band)
    fired = [(~t[f"{m}__missing"] & (t[f"{m}__raw"] < below) & (rank > _RANK[band]), m)
             for m, band, below in _capping(profile)]
    return ibis.cases(*fired, else_=ibis.null("string")) if fired else ibis.null("string")


def _capped_band(t: ir.Table, profile: Profile) -> ir.StringValue:
    caps = [(t.capped_by == m, band) for m, band, _ in _capping(profile)]
    return ibis.cases(*caps, else_=t.uncapped_band) if caps else t.uncapped_band


def _rank(band: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases(*[(band == name, rank) for name, rank in _RANK.items()],
                      else_=ibis.null("int64"))


def _sum(terms: list[Any]) -> Any:
    out = terms[0]
    for term in terms[1:]:
        out = out + term
    return out


def _wide_columns(t: ir.Table, profile: Profile, names: list[str]) -> dict[str, ir.Value]:
    """The same typed columns from every profile (so the branches stack), nulls where unused."""
    cols: dict[str, ir.Value] = {
        "account_id": t.account_id.cast("string"), "as_of": t.as_of.cast("date"),
        "profile": ibis.literal(profile.name, type="string"),
        "score": t.score.cast("float64"), "band": t.band.cast("string"),
        "capped_by": t.capped_by.cast("string"), "uncapped_band": t.uncapped_band.cast("string"),
        "data_coverage": t.data_coverage.cast("float64")}
    active = set(profile.active_measures())
    for m in names:
        used = m in active
        spec = profile.measures[m] if used else None
        cols.update({
            f"{m}__in": ibis.literal(used, type="boolean"),
            f"{m}__group": ibis.literal(spec.group if spec else None, type="string"),
            f"{m}__metric": ibis.literal(spec.metric if spec else None, type="string"),
            f"{m}__value": t[f"{m}__value"].cast("float64") if used else ibis.null("float64"),
            f"{m}__text": t[f"{m}__text"].cast("string") if used else ibis.null("string"),
            f"{m}__raw": t[f"{m}__raw"].cast("float64") if used else ibis.null("float64"),
            f"{m}__points": t[f"{m}__points"].cast("float64") if used else ibis.null("float64"),
            f"{m}__weight": t[f"{m}__weight"].cast("float64") if used else double(0),
            f"{m}__contribution": (t[f"{m}__contribution"].cast("float64") if used
                                   else double(0)),
            f"{m}__missing": t[f"{m}__missing"] if used else ibis.null("boolean")})
    return cols
