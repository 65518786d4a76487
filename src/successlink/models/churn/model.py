"""One fitted churn model: feature spec, booster, its calibration and the baseline.

The booster learns on every training origin but the newest; the newest is held out to fit
the calibration map (by time, never a random slice). The baseline learns on all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from successlink.errors import SuccessLinkError
from successlink.models.churn.baseline import Baseline, fit_baseline
from successlink.models.churn.booster import BoosterParams, fit_booster, raw_probability
from successlink.models.churn.calibration import Calibrator, Method, fit_calibrator
from successlink.models.churn.dataset import Frame
from successlink.models.churn.features import FeatureSpec, learn_spec

Floats = npt.NDArray[np.float64]


class NotEnoughHistoryError(SuccessLinkError):
    """The data cannot support a churn model yet (too few origins or churners)."""

    exit_code = 1


@dataclass(frozen=True)
class ChurnModel:
    """Everything needed to turn account metrics into calibrated churn probabilities."""

    spec: FeatureSpec
    booster: lgb.Booster
    calibrator: Calibrator
    baseline: Baseline
    threads: int

    def raw(self, x: Floats) -> Floats:
        return raw_probability(self.booster, x, self.threads)

    def predict(self, x: Floats) -> Floats:
        """Calibrated churn probability within the horizon."""
        return self.calibrator.apply(self.raw(x))

    def baseline_probability(self, x: Floats) -> Floats:
        return self.baseline.predict(x)


def check_trainable(frame: Frame, *, min_origins: int, min_positives: int) -> None:
    """Refuse, in words, data that cannot train a model worth trusting."""
    if len(frame.origins) < max(min_origins, 2):
        raise NotEnoughHistoryError(
            f"only {len(frame.origins)} origin(s) with a closed label window; a churn model "
            f"needs at least {max(min_origins, 2)}",
            hint="Load more history, or lower [churn] min_history_days / origin_step_days. "
                 "Until then `score` labels churn risk from the health score.")
    fit, held = frame.take(frame.origins[:-1]), frame.take(frame.origins[-1:])
    for part, name in ((fit, "training"), (held, "calibration")):
        churners = part.positives
        if churners < min_positives or churners == part.rows:
            raise NotEnoughHistoryError(
                f"the {name} origins hold {churners} churner(s) in {part.rows} rows; at least "
                f"{min_positives} churners (and some who stayed) are needed",
                hint="Load more history or lower [churn] min_positives. Until then `score` "
                     "labels churn risk from the health score.")


def fit_model(frame: Frame, params: BoosterParams, method: Method) -> ChurnModel:
    """Fit on a frame's origins (oldest first; the newest calibrates)."""
    spec = learn_spec(frame.blocks)
    fit, held = frame.take(frame.origins[:-1]), frame.take(frame.origins[-1:])
    x_fit, y_fit = fit.matrix(spec), fit.y()
    booster = fit_booster(x_fit, y_fit, spec, params)
    x_held = held.matrix(spec)
    calibrator = fit_calibrator(raw_probability(booster, x_held, params.threads), held.y(),
                                method)
    baseline = fit_baseline(np.vstack([x_fit, x_held]), np.concatenate([y_fit, held.y()]), spec,
                            seed=params.seed)
    return ChurnModel(spec, booster, calibrator, baseline, params.threads)
