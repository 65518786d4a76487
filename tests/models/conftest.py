"""The CDNOW sample both non-contractual models are validated on (see tests/data/cdnow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DATA = Path(__file__).parents[1] / "data"


def reference(key: str) -> dict[str, Any]:
    """One entry of the published reference numbers copied into tests/data/reference."""
    entry: dict[str, Any] = json.loads(
        (DATA / "reference" / "published.json").read_text())[key]
    return entry


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    path = DATA / "cdnow" / "cdnow_customers_summary_with_transactions.csv"
    table = np.genfromtxt(path, delimiter=",", names=True)
    return {name: np.asarray(table[name], dtype=np.float64) for name in ("x", "t_x", "T", "zbar")}
