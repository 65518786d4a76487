"""Turning booster scores into probabilities that mean what they say.

A boosted model ranks well but its raw probabilities drift (shrinkage, class balance,
the number of rounds). The map from raw score to probability is fitted on a slice held out
*by time* - the newest training origin - because a random slice would share accounts and
months with the training rows and look better calibrated than the future will be.

Isotonic regression (monotone, step-wise linear) is the default; Platt scaling (a logistic
curve on the raw log-odds) is steadier when the slice is small. Both are stored as plain
numbers in the model's metadata, so no pickled object is ever loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

Floats = npt.NDArray[np.float64]
Method = Literal["isotonic", "platt"]
_EPS = 1e-6


def logit(p: npt.ArrayLike) -> Floats:
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    out: Floats = np.log(q / (1 - q))
    return out


@dataclass(frozen=True)
class Calibrator:
    """A fitted monotone map from raw probability to calibrated probability."""

    method: Method
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def apply(self, raw: npt.ArrayLike) -> Floats:
        p = np.asarray(raw, dtype=np.float64)
        if self.method == "isotonic":
            out: Floats = np.interp(p, np.asarray(self.x), np.asarray(self.y))
            return out
        z = self.a * logit(p) + self.b
        platt: Floats = 1.0 / (1.0 + np.exp(-z))
        return platt

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "x": list(self.x), "y": list(self.y), "a": self.a,
                "b": self.b}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibrator:
        return cls(data["method"], tuple(data["x"]), tuple(data["y"]), float(data["a"]),
                   float(data["b"]))


def fit_calibrator(raw: npt.ArrayLike, y: npt.ArrayLike, method: Method = "isotonic"
                   ) -> Calibrator:
    """Fit the map on held-out raw probabilities and their outcomes."""
    p = np.asarray(raw, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    if p.size == 0 or yy.min() == yy.max():
        raise ValueError("calibration needs held-out rows with both churners and stayers")
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, yy)
        return Calibrator("isotonic", tuple(float(v) for v in iso.X_thresholds_),
                          tuple(float(v) for v in iso.y_thresholds_))
    model = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    model.fit(logit(p).reshape(-1, 1), yy)
    return Calibrator("platt", a=float(model.coef_[0, 0]), b=float(model.intercept_[0]))
