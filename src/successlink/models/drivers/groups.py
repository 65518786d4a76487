"""Groups of metrics that say the same thing.

Active days, events and active users all measure "is the product used"; listing all three
as separate drivers triples one finding. Metrics are grouped by average-linkage
clustering on 1 - |Spearman rho| (rank correlation, so a metric's scale and skew do not
matter), cut where the average correlation within a group drops below `threshold`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

Floats = npt.NDArray[np.float64]


def rank_correlations(columns: Mapping[str, npt.ArrayLike]) -> tuple[list[str], Floats]:
    """Names and the Spearman correlation matrix; a missing value takes its column's median
    and a constant column correlates with nothing (0)."""
    names = list(columns)
    if not names:
        return names, np.zeros((0, 0))
    data = []
    for name in names:
        v = np.asarray(columns[name], dtype=np.float64).copy()
        missing = np.isnan(v)
        v[missing] = np.median(v[~missing]) if (~missing).any() else 0.0
        data.append(stats.rankdata(v))
    ranks = np.vstack(data)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.corrcoef(ranks) if len(names) > 1 else np.ones((1, 1))
    rho = np.nan_to_num(np.atleast_2d(rho), nan=0.0)
    np.fill_diagonal(rho, 1.0)
    return names, rho


def correlated_groups(columns: Mapping[str, npt.ArrayLike], *, threshold: float = 0.7
                      ) -> list[list[str]]:
    """Metrics grouped by rank correlation; groups and their members in input order."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold is a correlation between 0 and 1, got {threshold}")
    names, rho = rank_correlations(columns)
    if len(names) < 2:
        return [names] if names else []
    distance = np.clip(1.0 - np.abs(rho), 0.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    labels = fcluster(tree, t=1.0 - threshold + 1e-12, criterion="distance")
    groups: dict[int, list[str]] = {}
    for name, label in zip(names, labels, strict=True):
        groups.setdefault(int(label), []).append(name)
    order = sorted(groups.values(), key=lambda g: names.index(g[0]))
    return order
