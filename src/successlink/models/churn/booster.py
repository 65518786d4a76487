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


def shap_contributions(booster: lgb.Booster, x: Floats, threads: int) -> Floats:
    """Per-row, per-feature TreeSHAP values of the log-odds (last column: the bias).

    Exact Shapley values, but about 100 microseconds a row: fine for explaining a handful of
    accounts, too slow for a million (see `path_contributions`).
    """
    threads = 1 if len(x) < ONE_THREAD_BELOW_ROWS else threads
    out: Floats = np.asarray(booster.predict(x, pred_contrib=True, num_threads=threads),
                             dtype=np.float64)
    return out


@dataclass(frozen=True)
class PathTables:
    """Per tree: the features it splits on and, per leaf, what each of them added on the way
    from the root to that leaf; `bias` is the sum of the roots' values."""

    features: tuple[npt.NDArray[np.int64], ...]
    values: tuple[Floats, ...]
    bias: float


def path_tables(booster: lgb.Booster) -> PathTables:
    """Read the trees once: every split credits its feature with the change in the node's
    mean output (Saabas' path attribution, as in `treeinterpreter`)."""
    features, values, bias = [], [], 0.0
    for tree in booster.dump_model()["tree_info"]:
        root = tree["tree_structure"]
        leaves: dict[int, dict[int, float]] = {}

        def walk(node: dict[str, Any], parent: float, feature: int | None,
                 path: dict[int, float], leaves: dict[int, dict[int, float]] = leaves) -> None:
            value = float(node.get("internal_value", node.get("leaf_value", 0.0)))
            if feature is not None:
                path = {**path, feature: path.get(feature, 0.0) + value - parent}
            if "leaf_index" in node:
                leaves[int(node["leaf_index"])] = path
                return
            f = int(node["split_feature"])
            walk(node["left_child"], value, f, path)
            walk(node["right_child"], value, f, path)

        if "leaf_index" in root:  # a stump: one leaf, nothing to credit
            bias += float(root["leaf_value"])
            features.append(np.zeros(0, np.int64))
            values.append(np.zeros((1, 0)))
            continue
        bias += float(root["internal_value"])
        walk(root, float(root["internal_value"]), None, {})
        used = sorted({f for path in leaves.values() for f in path})
        table = np.zeros((max(leaves) + 1, len(used)))
        for leaf, path in leaves.items():
            for j, f in enumerate(used):
                table[leaf, j] = path.get(f, 0.0)
        features.append(np.asarray(used, np.int64))
        values.append(table)
    return PathTables(tuple(features), tuple(values), bias)


def path_contributions(booster: lgb.Booster, x: Floats, threads: int,
                       tables: PathTables | None = None) -> Floats:
    """Per-row, per-feature path contributions to the log-odds (last column: the bias).

    Like SHAP values they add up exactly to the booster's raw score, but they cost one leaf
    lookup per tree instead of a walk over every subset of the path: a million accounts take
    seconds, not minutes. They credit a split's feature with the whole change at that split,
    which can favour features split on near the leaves; for naming an account's largest
    reasons that is a fair trade.
    """
    tables = tables or path_tables(booster)
    threads = 1 if len(x) < ONE_THREAD_BELOW_ROWS else threads
    leaves = np.asarray(booster.predict(x, pred_leaf=True, num_threads=threads))
    by_tree = np.ascontiguousarray(leaves.reshape(len(x), -1).T, dtype=np.intp)
    out = np.zeros((x.shape[1] + 1, len(x)))  # feature-major: each += is contiguous
    for t, (used, table) in enumerate(zip(tables.features, tables.values, strict=True)):
        if used.size == 0:
            continue
        # Leaf-major table, so each feature's picked values come out contiguous too; the
        # additions happen in the same order as before, so the sums are bit for bit the same.
        picked = np.take(np.ascontiguousarray(table.T), by_tree[t], axis=1)
        for j, f in enumerate(used.tolist()):
            out[f] += picked[j]
    out[-1] = tables.bias
    result: Floats = out.T
    return result


def model_text(booster: lgb.Booster) -> str:
    """The booster as LightGBM's own text format (what the registry stores)."""
    return str(booster.model_to_string())


def from_text(text: str) -> lgb.Booster:
    return lgb.Booster(model_str=text)
