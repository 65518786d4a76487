"""Program-level figures for the report header, computed from one account snapshot.

These are the numbers a head of customer success quotes: how many customers, how many left,
how they feel (NPS, CSAT) and what keeping them costs. Each comes with its interval where
chance matters, using the same `successlink.stats` functions as the scorecards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.metrics.window import cutoff
from successlink.stats.proportions import NpsEstimate, nps_interval, wilson_interval

CHURN_WINDOW_DAYS = 90
MONTH_DAYS = 30.4375
BANDS = ("green", "yellow", "red")


@dataclass(frozen=True)
class ProgramFigures:
    """Customer counts, logo churn over the last 90 days, NPS, CSAT, CRC and band counts."""

    customers: int  # accounts that ever started a subscription
    active: int
    mrr_minor: int
    churn_window_days: int
    churn_base: int  # customers active at the start of the window
    churned: int  # of those, churned inside the window
    churn_rate: float
    churn_low: float
    churn_high: float
    nps: NpsEstimate
    csat_pct: float  # mean % satisfied over accounts that answered a CSAT survey
    csat_accounts: int
    crc_total_minor: int
    crc_per_customer_minor: float
    bands: dict[str, int]

    @property
    def monthly_churn(self) -> float:
        """The window's churn as an equivalent monthly rate (constant hazard)."""
        if math.isnan(self.churn_rate) or self.churn_rate >= 1.0:
            return self.churn_rate
        return 1.0 - float((1.0 - self.churn_rate) ** (MONTH_DAYS / self.churn_window_days))


def _micros(column: pa.ChunkedArray) -> npt.NDArray[np.int64]:
    """Timestamps as epoch microseconds; nulls become the largest integer (never happened)."""
    as_int = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return np.asarray(as_int.fill_null(np.iinfo(np.int64).max).to_numpy(), dtype=np.int64)


def _total(column: pa.ChunkedArray) -> int:
    value = pc.sum(column.cast(pa.int64())).as_py()
    return int(value or 0)


def logo_churn(accounts: pa.Table, as_of: date, days: int = CHURN_WINDOW_DAYS
               ) -> tuple[int, int]:
    """(customers active `days` before the cutoff, how many of them churned since)."""
    end = int(cutoff(as_of).timestamp() * 1_000_000)
    start = int((cutoff(as_of) - timedelta(days=days)).timestamp() * 1_000_000)
    started = _micros(accounts.column("first_started_at"))
    churned = _micros(accounts.column("churned_at"))
    base = (started < start) & (churned >= start)
    lost = base & (churned < end)
    return int(base.sum()), int(lost.sum())


def nps_of(accounts: pa.Table) -> NpsEstimate:
    """Adjusted-Wald NPS over each account's latest answer."""
    categories = accounts.column("nps_latest_category").fill_null("").to_pylist()
    counts = {c: categories.count(c) for c in ("promoter", "passive", "detractor")}
    return nps_interval(counts["promoter"], counts["passive"], counts["detractor"],
                        method="adjusted_wald")


def csat_of(accounts: pa.Table) -> tuple[float, int]:
    """Mean CSAT % satisfied over accounts with an answer, and how many such accounts."""
    values = accounts.column("csat_pct_satisfied").drop_null()
    if len(values) == 0:
        return math.nan, 0
    return float(pc.mean(values.cast(pa.float64())).as_py()), len(values)


def band_counts(accounts: pa.Table) -> dict[str, int]:
    """Active accounts per health band (red, yellow, green)."""
    active = accounts.filter(pc.fill_null(accounts.column("is_active"), False))
    bands = active.column("health_band").fill_null("").to_pylist()
    return {band: bands.count(band) for band in BANDS}


def program_figures(accounts: pa.Table, as_of: date) -> ProgramFigures:
    """The header figures for the report (see docs/report.md for each definition)."""
    customers = accounts.filter(pc.is_valid(accounts.column("first_started_at")))
    active = customers.filter(pc.fill_null(customers.column("is_active"), False))
    base, lost = logo_churn(customers, as_of)
    low, high = wilson_interval(lost, base)
    csat, csat_accounts = csat_of(customers)
    crc = _total(customers.column("crc_minor"))
    return ProgramFigures(
        customers=customers.num_rows, active=active.num_rows,
        mrr_minor=_total(active.column("mrr_minor")),
        churn_window_days=CHURN_WINDOW_DAYS, churn_base=base, churned=lost,
        churn_rate=lost / base if base else math.nan,
        churn_low=low if base else math.nan, churn_high=high if base else math.nan,
        nps=nps_of(customers), csat_pct=csat, csat_accounts=csat_accounts,
        crc_total_minor=crc,
        crc_per_customer_minor=crc / customers.num_rows if customers.num_rows else math.nan,
        bands=band_counts(accounts))


def revenue_retention_text(program: dict[str, object] | None) -> tuple[str, str] | None:
    """('GRR 91.2%', 'NRR 104.5%; revenue churn 8.8% ...') from a program_figures row."""
    if not program or program.get("revenue_grr") is None:
        return None
    grr = float(program["revenue_grr"])  # type: ignore[arg-type]
    nrr = float(program["revenue_nrr"])  # type: ignore[arg-type]
    start = program.get("revenue_accounts")
    return (f"GRR {grr:.1%}", f"NRR {nrr:.1%}; revenue churn {1 - grr:.1%} of the MRR of "
                               f"{start} accounts paying a year earlier")
