"""`successlink train` without the terminal: plan origins, build the frame, backtest, fit.

The final model is fitted on the newest origins whose label window closed by the data end,
and carries its backtest figures, so whoever uses it can see how it did on days it had not
seen.
"""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from successlink.config import ChurnSettings
from successlink.models.churn.backtest import Backtest, Plan, plan, run_backtest
from successlink.models.churn.booster import BoosterParams
from successlink.models.churn.dataset import Frame, MetricsAt, StatusAt, build_frame
from successlink.models.churn.labels import origin_grid, window_end
from successlink.models.churn.model import (
    ChurnModel,
    NotEnoughHistoryError,
    check_trainable,
    fit_model,
)

Progress = Callable[[str, date], None]
LIBRARIES = ("successlink", "lightgbm", "scikit-learn", "numpy", "pyarrow", "ibis-framework")


@dataclass(frozen=True)
class Trained:
    """The final model, the backtest, and the metadata the registry stores with it."""

    model: ChurnModel
    backtest: Backtest
    meta: dict[str, Any]


def params_of(settings: ChurnSettings) -> BoosterParams:
    return BoosterParams(seed=settings.seed, threads=settings.threads)


def training_plan(first_day: date | None, data_end: date, settings: ChurnSettings) -> Plan:
    """Which origins train and evaluate what; refuses when there are too few."""
    if first_day is None:
        raise NotEnoughHistoryError("no subscriptions are loaded, so there is nothing to learn "
                               "churn from", hint="Ingest billing data first (Stripe or the "
                               "canonical subscriptions table).")
    grid = origin_grid(first_day, data_end, horizon_days=settings.horizon_days,
                       lead_days=settings.lead_days, step_days=settings.origin_step_days,
                       min_history_days=settings.min_history_days)
    if len(grid) < settings.min_train_origins:
        span = (data_end - first_day).days
        need = (settings.min_history_days + settings.lead_days + settings.horizon_days
                + (settings.min_train_origins - 1) * settings.origin_step_days)
        raise NotEnoughHistoryError(
            f"the data spans {span} days ({first_day} to {data_end}); a churn model needs "
            f"at least {need} days for {settings.min_train_origins} origins with a closed "
            f"{settings.horizon_days}-day window",
            hint="Load more history, or lower [churn] min_history_days, origin_step_days or "
                 "min_train_origins. Until then `score` labels churn risk from the health "
                 "score.")
    return plan(grid, evaluation_origins=settings.backtest_origins,
                max_train_origins=settings.max_train_origins,
                horizon_days=settings.horizon_days, lead_days=settings.lead_days)


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def train(the_plan: Plan, features_at: MetricsAt, labels_at: StatusAt, *, first_day: date,
          data_end: date, settings: ChurnSettings,
          progress: Progress = lambda step, day: None) -> Trained:
    """Build every needed origin once, backtest, then fit the final model."""
    frame = build_frame(the_plan.needed, features_at, labels_at,
                        horizon_days=settings.horizon_days, lead_days=settings.lead_days,
                        progress=lambda day: progress("origin", day))
    return fit_and_backtest(frame, the_plan, first_day=first_day, data_end=data_end,
                            settings=settings, progress=progress)


def fit_and_backtest(frame: Frame, the_plan: Plan, *, first_day: date, data_end: date,
                     settings: ChurnSettings,
                     progress: Progress = lambda step, day: None) -> Trained:
    """The backtest and the final fit on an already built frame."""
    params = params_of(settings)
    final = frame.take(the_plan.final)
    check_trainable(final, min_origins=settings.min_train_origins,
                    min_positives=settings.min_positives)
    backtest = run_backtest(frame, the_plan, params=params, method=settings.calibration,
                            min_train_origins=settings.min_train_origins,
                            min_positives=settings.min_positives,
                            progress=lambda day: progress("backtest", day))
    progress("final", data_end)
    model = fit_model(final, params, settings.calibration)
    meta = {
        "data_start": first_day.isoformat(), "data_end": data_end.isoformat(),
        "horizon_days": settings.horizon_days, "lead_days": settings.lead_days,
        "origins": [d.isoformat() for d in the_plan.final],
        "calibration_origin": the_plan.final[-1].isoformat(),
        "label_window_closed_by": window_end(
            the_plan.final[-1], horizon_days=settings.horizon_days,
            lead_days=settings.lead_days).isoformat(),
        "rows": final.rows, "churners": final.positives,
        "params": params.__dict__, "calibration_method": settings.calibration,
        "plan": the_plan.to_json(), "backtest": backtest.to_json(),
        "libraries": library_versions(),
    }
    return Trained(model, backtest, meta)
