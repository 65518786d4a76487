"""Generate a synthetic SaaS world: the orchestration behind `successlink synth`.

Affiliates and the acquisition plan are drawn first for the whole world; accounts are then
built and written in chunks of `CHUNK_ACCOUNTS`, each from its own random streams, so
memory stays flat however many accounts there are, and the same seed and arguments give
byte-identical files. The clock is never read: `end` is given.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson

from successlink.synth import canonical_accounts, costs, truth
from successlink.synth.affiliates import Affiliates, draw_affiliates
from successlink.synth.catalog import GENERATOR_VERSION
from successlink.synth.chunk import AFFILIATES, PLAN, build_chunk, stream
from successlink.synth.outputs import Output, ParquetFiles, RealFiles
from successlink.synth.periods import epoch_seconds, months_between
from successlink.synth.world import AcquisitionPlan, Window, csm_count, plan_acquisitions

CHUNK_ACCOUNTS = 20_000
DEFAULT_MONTHS_DAYS = 730
MIN_AFFILIATES, MAX_AFFILIATES = 50, 5_000
# Folders and files a world consists of; they are replaced when a world is written again.
OWNED = ("stripe", "segment", "zendesk", "surveys", "hubspot", "canonical", "truth",
         ".synth-tmp", "manifest.json")
Progress = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class WorldSummary:
    """What was written: the arguments, and records per file."""

    out_dir: Path
    customers: int
    affiliates: int
    seed: int
    start: date
    end: date
    formats: str
    files: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        stripe = self.files.get("stripe/events.jsonl")
        usage = sum(n for name, n in self.files.items() if name.startswith(("segment/",
                                                                            "canonical/usage")))
        parts = [f"{self.customers:,} accounts", f"{self.affiliates:,} affiliates",
                 f"{self.start.isoformat()} to {self.end.isoformat()}"]
        if stripe is not None:
            parts.append(f"{stripe:,} Stripe events")
        parts.append(f"{usage:,} usage records")
        return ", ".join(parts) + f" ({self.formats} formats, seed {self.seed})"


def default_affiliates(customers: int) -> int:
    """About 1% of customers, between 50 and 5,000."""
    return min(MAX_AFFILIATES, max(MIN_AFFILIATES, round(customers / 100)))


def _check(customers: int, affiliates: int, start: date, end: date, rate: float,
           formats: str) -> None:
    if customers < 1:
        raise ValueError(f"customers = {customers}: a world needs at least one account")
    if affiliates < 1:
        raise ValueError(f"affiliates = {affiliates}: a world needs at least one affiliate")
    if start >= end:
        raise ValueError(f"start {start} is not before end {end}: give a start date earlier "
                         "than the end date")
    if rate < 0:
        raise ValueError(f"events_per_account_month = {rate} is negative")
    if formats not in ("real", "parquet"):
        raise ValueError(f"formats = {formats!r}: use 'real' or 'parquet'")


def generate_world(out_dir: Path, *, customers: int, end: date,
                   affiliates: int | None = None, seed: int = 7, start: date | None = None,
                   events_per_account_month: float = 100.0,
                   formats: Literal["real", "parquet"] = "real",
                   on_progress: Progress | None = None) -> WorldSummary:
    """Write a world of `customers` accounts between `start` and the end of `end`.

    `on_progress(fraction_done, message)` is called after each chunk of accounts.
    """
    first_day = start or end - timedelta(days=DEFAULT_MONTHS_DAYS)
    count = default_affiliates(customers) if affiliates is None else affiliates
    _check(customers, count, first_day, end, events_per_account_month, formats)
    window = Window(epoch_seconds(first_day), epoch_seconds(end + timedelta(days=1)))
    out_dir = Path(out_dir)
    _clear(out_dir)
    members = draw_affiliates(count, window.start, window.horizon, stream(seed, AFFILIATES))
    plan = plan_acquisitions(customers, members, window, stream(seed, PLAN))
    referred = np.bincount(plan.affiliate[plan.affiliate >= 0], minlength=count).astype(
        np.int64)
    output: Output = (RealFiles if formats == "real" else ParquetFiles)(
        out_dir, window, seed, members.ids)
    truths = truth.TruthFiles(out_dir / "truth")
    active = _write_chunks(output, truths, plan, members, customers, window, seed,
                           events_per_account_month, on_progress)
    files = output.close(costs.pooled_columns(window, csm_count(customers), active),
                         canonical_accounts.affiliates_table(members, referred))
    files.update(truths.close(truth.affiliate_table(members, referred)))
    summary = WorldSummary(out_dir, customers, count, seed, first_day, end, formats,
                           dict(sorted(files.items())))
    _manifest(out_dir, summary, events_per_account_month)
    if on_progress is not None:
        on_progress(1.0, "done")
    return summary


def _write_chunks(output: Output, truths: truth.TruthFiles, plan: AcquisitionPlan,
                  members: Affiliates, customers: int, window: Window, seed: int, rate: float,
                  on_progress: Progress | None) -> npt.NDArray[np.int64]:
    """Build and write every chunk of accounts; returns accounts in service per month."""
    active = np.zeros(len(months_between(window.start, window.horizon)), np.int64)
    starts = range(0, customers, CHUNK_ACCOUNTS)
    for number, first in enumerate(starts):
        stop = min(first + CHUNK_ACCOUNTS, customers)
        chunk = build_chunk(number, first, stop, plan, members, customers, window, seed, rate)
        output.write(chunk)
        truths.write(truth.account_table(chunk.accounts, chunk.life, chunk.organizations,
                                         members.ids),
                     truth.health_table(chunk.accounts, chunk.life.periods))
        active += costs.active_by_month(chunk.life.periods, window)
        if on_progress is not None:
            on_progress((number + 1) / (len(starts) + 1),
                        f"{stop:,} of {customers:,} accounts")
    return active


def _clear(out_dir: Path) -> None:
    """Remove a previous world's files (only the ones a world consists of)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OWNED:
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _manifest(out_dir: Path, summary: WorldSummary, rate: float) -> None:
    document = {
        "generator": "successlink.synth", "generator_version": GENERATOR_VERSION,
        "seed": summary.seed,
        "arguments": {"customers": summary.customers, "affiliates": summary.affiliates,
                      "start": summary.start.isoformat(), "end": summary.end.isoformat(),
                      "events_per_account_month": float(rate),
                      "formats": summary.formats},
        "window": {"start": f"{summary.start.isoformat()}T00:00:00Z",
                   "before": f"{(summary.end + timedelta(days=1)).isoformat()}T00:00:00Z"},
        "files": summary.files,
    }
    (out_dir / "manifest.json").write_bytes(
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
