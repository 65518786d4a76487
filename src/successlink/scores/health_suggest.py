"""`successlink health suggest`: learn health weights from churn and propose them as a diff.

Out of time, like a forecast: the weights are fitted on accounts as they were on older
origins whose churn windows closed before the evaluation origin `t0 = as_of - horizon`,
then the configured score, the learned weights and the suggested config (the learned
weights rounded into the file, re-scored by the real health engine) are compared by how well
they rank the customers of t0 by whether they churned by `as_of` (AUC).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.config import Settings
from successlink.errors import ConfigError
from successlink.health.config import HealthConfig, load_health_config
from successlink.health.patch import set_weights
from successlink.health.scoring import score_health
from successlink.metrics.account import Inputs
from successlink.models.drivers.study import metrics_reader
from successlink.models.health_weights import (
    LearnedWeights,
    auc,
    fit_weights,
    nominal_shares,
    suggested_weights,
)
from successlink.scores.run import health_config
from successlink.warehouse.connect import Warehouse

Progress = Callable[[str], None]
_SCRATCH = "_suggest_metrics"
MIN_OUTCOMES = 20  # churned and stayed accounts a profile needs before weights are fitted


@dataclass(frozen=True)
class ProfileFit:
    """One health profile: its learned weights, or why none were fitted."""

    profile: str
    accounts: int
    churned: int
    learned: LearnedWeights | None
    configured_auc: float  # the configured score on this profile's accounts at t0
    learned_auc: float     # the learned weights on the same accounts
    shares_now: dict[str, float] = field(default_factory=dict)
    shares_suggested: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class HealthSuggestion:
    """Everything the command prints."""

    as_of: date
    evaluation_origin: date
    training_origins: tuple[date, ...]
    accounts: int
    churned: int
    configured_auc: float
    suggested_auc: float
    profiles: tuple[ProfileFit, ...]
    source: str
    before: str
    after: str

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile=self.source, tofile=f"{self.source} (suggested)"))


def config_text(settings: Settings) -> tuple[str, str]:
    """(TOML text, what to call it) of the health config in use."""
    if settings.health.config is None:
        text = resources.files("successlink.health").joinpath("default_health.toml") \
            .read_text(encoding="utf-8")
        return text, "default_health.toml"
    path = Path(settings.health.config)
    path = path if path.is_absolute() else settings.workspace / path
    return path.read_text(encoding="utf-8"), str(path)


@dataclass(frozen=True)
class _Origin:
    """Customers of one origin: health score, points per measure, churn label."""

    health: pa.Table      # account_id, profile, score (population only, sorted)
    components: pa.Table  # account_id, measure, points
    churned: npt.NDArray[np.bool_]


def _scored(wh: Warehouse, metrics: pa.Table, config: HealthConfig
            ) -> tuple[pa.Table, pa.Table]:
    wh.con.create_table(_SCRATCH, metrics, overwrite=True)
    try:
        health, parts = score_health(wh.table(_SCRATCH), config)
        return (health.select("account_id", "profile", "score").to_pyarrow(),
                parts.select("account_id", "measure", "points").to_pyarrow())
    finally:
        wh.con.drop_table(_SCRATCH, force=True)


def _origin(wh: Warehouse, read: Callable[[date], pa.Table], config: HealthConfig,
            day: date, horizon_days: int) -> tuple[_Origin, pa.Table]:
    metrics = read(day)
    metrics = metrics.filter(pc.fill_null(metrics.column("is_active"), False))
    later = read(day + timedelta(days=horizon_days))
    gone = later.filter(pc.equal(later.column("status"), "churned")).column("account_id")
    health, parts = _scored(wh, metrics, config)
    health = health.sort_by("account_id")
    churned = np.asarray(pc.is_in(health.column("account_id"),
                                  value_set=gone.combine_chunks()).to_numpy(zero_copy_only=False),
                         dtype=bool)
    return _Origin(health, parts, churned), metrics


def _points(origin: _Origin, profile: str, measures: list[str]
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Rows of the profile's accounts: points per measure (NaN when missing), churned."""
    mine = pc.equal(origin.health.column("profile"), profile).to_numpy(zero_copy_only=False)
    ids = origin.health.column("account_id").filter(pa.array(mine))
    x = np.full((len(ids), len(measures)), np.nan)
    where = {a: i for i, a in enumerate(ids.to_pylist())}
    parts = origin.components
    for account, measure, points in zip(parts.column("account_id").to_pylist(),
                                        parts.column("measure").to_pylist(),
                                        parts.column("points").to_pylist(), strict=True):
        row = where.get(account)
        if row is not None and measure in measures and points is not None:
            x[row, measures.index(measure)] = float(points)
    return x, origin.churned[mine]


def suggest_health(wh: Warehouse, inp: Inputs, settings: Settings, *, as_of: date,
                   horizon_days: int, training_origins: int = 3, step_days: int = 30,
                   progress: Progress = lambda step: None) -> HealthSuggestion:
    """Fit weights on older origins, compare on t0 = as_of - horizon (module docstring)."""
    if horizon_days < 1 or training_origins < 1 or step_days < 1:
        raise ConfigError("horizon, training origins and step must be positive")
    config = health_config(settings)
    before, source = config_text(settings)
    read = cache(metrics_reader(inp, settings.metrics))  # t0 is also a training window end
    t0 = as_of - timedelta(days=horizon_days)
    # Training windows close on or before t0, so nothing of the evaluation period leaks in.
    train_days = tuple(t0 - timedelta(days=horizon_days + k * step_days)
                       for k in range(training_origins))
    train = []
    for day in train_days:
        progress(f"customers and health as of {day}")
        train.append(_origin(wh, read, config, day, horizon_days)[0])
    progress(f"customers and health as of {t0} (evaluation)")
    test, test_metrics = _origin(wh, read, config, t0, horizon_days)
    if test.health.num_rows == 0 or test.churned.all() or not test.churned.any():
        raise ConfigError(f"no churn to learn from: {test.health.num_rows} customers on {t0}, "
                          f"{int(test.churned.sum())} churned by {as_of}",
                          hint="Load more history or choose a later --as-of.")
    fits: list[ProfileFit] = []
    weights: dict[str, float] = {}
    for profile in config.profiles:
        measures = profile.active_measures()
        rows = [_points(o, profile.name, measures) for o in train]
        x = np.vstack([r[0] for r in rows]) if rows else np.zeros((0, len(measures)))
        y = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0, bool)
        tx, ty = _points(test, profile.name, measures)
        mine = pc.equal(test.health.column("profile"), profile.name).to_numpy(
            zero_copy_only=False)
        configured = auc(ty, test.health.column("score").to_numpy(zero_copy_only=False)[mine])
        shares_now = nominal_shares(profile)
        if int(y.sum()) < MIN_OUTCOMES or int((~y).sum()) < MIN_OUTCOMES:
            fits.append(ProfileFit(profile.name, int(y.size), int(y.sum()), None, configured,
                                   float("nan"), shares_now, {},
                                   f"too few outcomes to fit (needs {MIN_OUTCOMES} churned "
                                   f"and {MIN_OUTCOMES} stayed; kept as configured)"))
            continue
        learned = fit_weights(measures, x, y)
        prefix = f"profiles.{profile.name}"
        suggestion = suggested_weights(profile, learned, prefix=prefix)
        weights.update(suggestion)
        fits.append(ProfileFit(profile.name, int(y.size), int(y.sum()), learned, configured,
                               auc(ty, learned.score(tx)), shares_now,
                               nominal_shares(profile, suggestion, prefix=prefix)))
    after = set_weights(before, weights) if weights else before
    progress("re-scoring the evaluation origin with the suggested config")
    suggested_config = load_health_config(after)
    scored, _ = _scored(wh, test_metrics, suggested_config)
    scored = scored.sort_by("account_id")
    overall = auc(test.churned, test.health.column("score").to_numpy(zero_copy_only=False))
    suggested = auc(test.churned, scored.column("score").to_numpy(zero_copy_only=False))
    return HealthSuggestion(as_of, t0, train_days, test.health.num_rows,
                            int(test.churned.sum()), overall, suggested, tuple(fits), source,
                            before, after)
