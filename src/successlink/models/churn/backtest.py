"""Rolling-origin backtest: would the model have worked had we trained it back then?

For each evaluation origin e (the newest few origins), a model is fitted only on origins whose
label window had closed by e - exactly the data a run on day e could have used - and then
scores the accounts active at e. Their real outcomes come from the window after e. Nothing
the model sees was known after e, so the figures are what the future will look like, not
how well the model remembers its training rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from successlink.models.churn.booster import BoosterParams
from successlink.models.churn.calibration import Method
from successlink.models.churn.dataset import Frame
from successlink.models.churn.evaluation import Scores, evaluate
from successlink.models.churn.labels import window_end
from successlink.models.churn.model import NotEnoughHistoryError, check_trainable, fit_model

Progress = Callable[[date], None]


@dataclass(frozen=True)
class Plan:
    """Which origins train which fold, and the final model."""

    evaluation: tuple[date, ...]
    folds: dict[date, tuple[date, ...]]
    final: tuple[date, ...]

    @property
    def needed(self) -> list[date]:
        days = set(self.evaluation) | set(self.final)
        for train in self.folds.values():
            days.update(train)
        return sorted(days)

    def to_json(self) -> dict[str, Any]:
        return {"evaluation": [d.isoformat() for d in self.evaluation],
                "folds": {e.isoformat(): [d.isoformat() for d in t]
                          for e, t in self.folds.items()},
                "final": [d.isoformat() for d in self.final]}


def plan(grid: Sequence[date], *, evaluation_origins: int, max_train_origins: int,
         horizon_days: int, lead_days: int) -> Plan:
    """Evaluate on the newest `evaluation_origins` origins of `grid`; train each fold on the
    newest `max_train_origins` origins whose window closed by its evaluation origin."""
    days = sorted(grid)
    evaluation = tuple(days[-evaluation_origins:]) if evaluation_origins > 0 else ()
    folds = {}
    for e in evaluation:
        closed = [t for t in days
                  if window_end(t, horizon_days=horizon_days, lead_days=lead_days) <= e]
        folds[e] = tuple(closed[-max_train_origins:])
    return Plan(evaluation, folds, tuple(days[-max_train_origins:]))


@dataclass(frozen=True)
class Fold:
    """One evaluation origin: the models' figures on it, or why it was skipped."""

    origin: date
    train_origins: tuple[date, ...]
    booster: Scores | None = None
    raw: Scores | None = None
    baseline: Scores | None = None
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin.isoformat(),
                "train_origins": [d.isoformat() for d in self.train_origins],
                "booster": self.booster.to_json() if self.booster else None,
                "raw": self.raw.to_json() if self.raw else None,
                "baseline": self.baseline.to_json() if self.baseline else None,
                "skipped": self.skipped}


@dataclass(frozen=True)
class Backtest:
    """Every fold, and the calibrated booster and the baseline over all evaluated rows."""

    folds: tuple[Fold, ...]
    pooled: Scores | None
    pooled_baseline: Scores | None

    def to_json(self) -> dict[str, Any]:
        return {"folds": [f.to_json() for f in self.folds],
                "pooled": self.pooled.to_json() if self.pooled else None,
                "pooled_baseline": self.pooled_baseline.to_json()
                if self.pooled_baseline else None}


def run_backtest(frame: Frame, the_plan: Plan, *, params: BoosterParams, method: Method,
                 min_train_origins: int, min_positives: int,
                 progress: Progress = lambda day: None) -> Backtest:
    """Fit and score each fold of the plan on the frame (which holds every needed origin)."""
    folds: list[Fold] = []
    pooled: dict[str, list[np.ndarray]] = {"y": [], "p": [], "b": []}
    for origin in the_plan.evaluation:
        progress(origin)
        train_days = the_plan.folds[origin]
        train = frame.take(train_days)
        try:
            check_trainable(train, min_origins=min_train_origins, min_positives=min_positives)
        except NotEnoughHistoryError as exc:
            folds.append(Fold(origin, train_days, skipped=exc.message))
            continue
        model = fit_model(train, params, method)
        test = frame.take([origin])
        x, y = test.matrix(model.spec), test.y()
        raw = model.raw(x)
        p, b = model.calibrator.apply(raw), model.baseline_probability(x)
        folds.append(Fold(origin, train_days, evaluate(y, p), evaluate(y, raw), evaluate(y, b)))
        pooled["y"].append(y)
        pooled["p"].append(p)
        pooled["b"].append(b)
    if not pooled["y"]:
        return Backtest(tuple(folds), None, None)
    y_all = np.concatenate(pooled["y"])
    return Backtest(tuple(folds), evaluate(y_all, np.concatenate(pooled["p"])),
                    evaluate(y_all, np.concatenate(pooled["b"])))
