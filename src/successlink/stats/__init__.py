"""Pure numeric statistics for metrics and scorecards: intervals, survival, shrinkage.

Arrays in, numbers and frozen results out; no I/O, no warehouse, no clock. See
docs/metrics/statistics.md for the methods, formulas and conventions.
"""

from successlink.stats.proportions import (
    NpsEstimate,
    categorise_nps,
    nps,
    nps_interval,
    wilson_interval,
    wilson_intervals,
)
from successlink.stats.shrinkage import ShrunkMeans, ShrunkRates, shrink_means, shrink_rates
from successlink.stats.survival import (
    LogrankResult,
    RmstEstimate,
    SurvivalCurve,
    durations_as_of,
    kaplan_meier,
    logrank,
    rmst,
)

__all__ = [
    "LogrankResult",
    "NpsEstimate",
    "RmstEstimate",
    "ShrunkMeans",
    "ShrunkRates",
    "SurvivalCurve",
    "categorise_nps",
    "durations_as_of",
    "kaplan_meier",
    "logrank",
    "nps",
    "nps_interval",
    "rmst",
    "shrink_means",
    "shrink_rates",
    "wilson_interval",
    "wilson_intervals",
]
