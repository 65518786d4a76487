"""The gradient-boosted churn model (LightGBM), trained so it can be trained again.

Determinism is a requirement (same seed and data, same model and scores), so the booster
runs with `deterministic=True`, row-wise histograms, a fixed thread count and fixed seeds
for every random choice; nothing is bagged by a clock. Categorical columns (plan, interval,
channel) use LightGBM's native categorical splits on the vocabulary codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from successlink.models.churn.features import FeatureSpec

Floats = npt.NDArray[np.float64]
# Below this many rows one thread is faster: OpenMP threads spin-wait on a shared machine
# and the histograms are too small to split. The choice depends only on the data, so the
# same data still gets the same model.
ONE_THREAD_BELOW_ROWS = 100_000


@dataclass(frozen=True)
class BoosterParams:
    """The few knobs that matter; the rest are LightGBM's defaults."""

    rounds: int = 150
    learning_rate: float = 0.05
    num_leaves: int = 7
    min_data_in_leaf: int = 200
    feature_fraction: float = 0.8
    lambda_l2: float = 10.0
    seed: int = 7
    threads: int = 2

    def lightgbm(self, rows: int) -> dict[str, Any]:
        threads = 1 if rows < ONE_THREAD_BELOW_ROWS else self.threads
        return {
            "objective": "binary", "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves, "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction, "lambda_l2": self.lambda_l2,
            "seed": self.seed, "deterministic": True, "force_row_wise": True,
            "num_threads": threads, "verbosity": -1, "max_bin": 255,
            "cat_smooth": 10.0, "min_data_per_group": 50,
        }


def fit_booster(x: Floats, y: npt.ArrayLike, spec: FeatureSpec,
                params: BoosterParams) -> lgb.Booster:
    """Train on a matrix built by `spec`."""
    data = lgb.Dataset(x, label=np.asarray(y, dtype=np.float64), feature_name=spec.names,
                       categorical_feature=spec.categorical_indices, free_raw_data=True,
                       params={"max_bin": 255, "verbosity": -1})
    return lgb.train(params.lightgbm(len(x)), data, num_boost_round=params.rounds)


def raw_probability(booster: lgb.Booster, x: Floats, threads: int) -> Floats:
    """The booster's uncalibrated churn probability."""
    threads = 1 if len(x) < ONE_THREAD_BELOW_ROWS else threads
    out: Floats = np.asarray(booster.predict(x, num_threads=threads), dtype=np.float64)
    return out


def contributions(booster: lgb.Booster, x: Floats, threads: int) -> Floats:
    """Per-row, per-feature contributions to the log-odds (SHAP values; last column: bias)."""
    threads = 1 if len(x) < ONE_THREAD_BELOW_ROWS else threads
    out: Floats = np.asarray(booster.predict(x, pred_contrib=True, num_threads=threads),
                             dtype=np.float64)
    return out


def model_text(booster: lgb.Booster) -> str:
    """The booster as LightGBM's own text format (what the registry stores)."""
    return str(booster.model_to_string())


def from_text(text: str) -> lgb.Booster:
    return lgb.Booster(model_str=text)
