"""One benchmark case per function; each runs in a fresh process so peak RSS is its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from successlink.config import DEFAULT_IDENTITY_RULES
from successlink.ingest.canonical import CanonicalAdapter
from successlink.ingest.pipeline import ingest_file
from successlink.ingest.records import Adapter, IngestOptions
from successlink.ingest.segment import SegmentAdapter
from successlink.warehouse.connect import Warehouse

FEATURES = ["Report Exported", "Dashboard Created", "Integration Connected", "Invite Sent",
            "Alert Configured", "Export Scheduled", "Comment Added", "Filter Saved"]


def write_segment_jsonl(path: Path, events: int, seed: int = 1) -> None:
    """Segment `track` messages shaped like the SDK's (see tests/data/segment)."""
    rng = np.random.default_rng(seed)
    accounts = rng.integers(0, max(events // 1000, 1), events)
    base = 1_700_000_000
    offsets = np.sort(rng.integers(0, 60 * 86400 * 12, events))
    with path.open("wb") as out:
        for i in range(events):
            stamp = datetime.fromtimestamp(base + int(offsets[i]), UTC)
            message = {
                "type": "track", "messageId": f"m-{seed}-{i}", "userId": f"u{accounts[i]}-{i % 7}",
                "event": FEATURES[i % len(FEATURES)],
                "properties": {"plan": "growth", "count": int(i % 13)},
                "context": {"groupId": f"acct_{accounts[i]}",
                            "library": {"name": "analytics-python", "version": "2.4.0"}},
                "timestamp": stamp.isoformat(timespec="milliseconds"),
                "integrations": {},
            }
            out.write(orjson.dumps(message) + b"\n")


def write_usage_parquet(path: Path, rows: int, seed: int = 1) -> None:
    """Canonical usage_events in Parquet, as `successlink synth --format parquet` writes."""
    rng = np.random.default_rng(seed)
    accounts = rng.integers(0, max(rows // 1000, 1), rows)
    micros = 1_700_000_000_000_000 + rng.integers(0, 30_000_000_000_000, rows)
    table = pa.table({
        "event_id": pa.array([f"e{seed}-{i}" for i in range(rows)]),
        "account_id": pa.array([f"acct_{a}" for a in accounts]),
        "user_id": pa.array([f"u{a}-{i % 7}" for i, a in enumerate(accounts)]),
        "event_type": pa.array(["track"] * rows),
        "event": pa.array(np.array(FEATURES)[rng.integers(0, len(FEATURES), rows)]),
        "occurred_at": pa.array(micros.astype("datetime64[us]")).cast(
            pa.timestamp("us", tz="UTC")),
        "source": pa.array(["synth"] * rows)})
    pq.write_table(table, path, row_group_size=1_000_000)


def _ingest(work: Path, adapter: Adapter, path: Path) -> dict[str, Any]:
    wh = Warehouse(f"duckdb://{work / 'bench.duckdb'}")
    start = time.perf_counter()
    report = ingest_file(wh, adapter, path, now=datetime.now(UTC), options=IngestOptions(),
                         rules=DEFAULT_IDENTITY_RULES, chunk_rows=100_000)
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = ingest_file(wh, adapter, path, now=datetime.now(UTC), options=IngestOptions(),
                        rules=DEFAULT_IDENTITY_RULES, chunk_rows=100_000)
    second = time.perf_counter() - start
    assert again.total("unchanged") == report.total("inserted")
    return {"rows": report.read, "seconds": round(first, 2),
            "rows_per_s": round(report.read / first), "reload_seconds": round(second, 2),
            "reload_rows_per_s": round(report.read / second)}


def segment_jsonl(work: Path, size: int) -> dict[str, Any]:
    path = work / "events.jsonl"
    write_segment_jsonl(path, size)
    result = _ingest(work, SegmentAdapter(), path)
    result["bytes"] = path.stat().st_size
    return result


def canonical_parquet(work: Path, size: int) -> dict[str, Any]:
    path = work / "usage_events.parquet"
    write_usage_parquet(path, size)
    return _ingest(work, CanonicalAdapter(), path)


def synth_parquet(work: Path, size: int) -> dict[str, Any]:
    from successlink.synth.generate import generate_world

    start = time.perf_counter()
    summary = generate_world(work / "world", customers=size, seed=1,
                             start=date(2024, 11, 1), end=date(2026, 10, 31),
                             events_per_account_month=100.0, formats="parquet")
    return {"customers": size, "seconds": round(time.perf_counter() - start, 1),
            "summary": str(summary)}




def _churn_rows(work: Path) -> tuple[Any, Any]:
    """Real feature rows: a small synthetic world's account metrics at four monthly origins,
    labelled, plus the newest origin's full metrics table (for scoring)."""
    from successlink.cli.app import run
    from successlink.config import load_settings
    from successlink.models.churn.dataset import build_frame, metrics_at, status_at
    from successlink.scores.rollups import ensure_rollups
    from successlink.scores.run import inputs

    world = work / "world"
    assert run(["--workspace", str(work), "synth", "--out", str(world), "--customers", "2000",
                "--affiliates", "50", "--events", "30", "--seed", "5", "--end", "2026-06-30",
                "--format", "parquet"]) == 0
    files = sorted(str(p) for p in (world / "canonical").glob("*.parquet"))
    files += sorted(str(p) for p in (world / "canonical" / "usage_events").glob("*.parquet"))
    assert run(["--workspace", str(work), "ingest", "canonical", *files]) == 0
    settings = load_settings(work)
    wh = Warehouse(settings.warehouse_url)
    ensure_rollups(wh)
    inp = inputs(wh)
    origins = [date(2025, 12, 2), date(2026, 1, 1), date(2026, 1, 31), date(2026, 3, 2)]
    at = metrics_at(inp, settings.metrics)
    frame = build_frame(origins, at, status_at(inp), horizon_days=90, lead_days=0)
    return frame, at(origins[-1])


def _resample(table: pa.Table, rows: int, rng: np.random.Generator, prefix: str,
              picked: Any = None) -> pa.Table:
    """`rows` rows drawn with replacement (or the rows `picked`), numbers jittered by about
    5%, ids made unique."""
    import pyarrow.compute as pc

    from successlink.models.churn.features import NUMERIC_COLUMNS

    if picked is None:
        picked = rng.integers(0, table.num_rows, rows)
    out = table.take(pa.array(picked))
    for name in NUMERIC_COLUMNS:
        i = out.column_names.index(name)
        values = pc.cast(out.column(name), pa.float64())
        noise = pa.array(1.0 + 0.05 * rng.standard_normal(rows))
        out = out.set_column(i, name, pc.multiply(values, noise))
    ids = pa.array([f"{prefix}{i:07d}" for i in range(rows)])
    out = out.set_column(out.column_names.index("account_id"), "account_id", ids)
    # Copies of one small-world source become many sources of small-world size, so the
    # source-history feature sees the same kind of numbers it was trained on.
    copies = max(1, rows // table.num_rows)
    source = pc.coalesce(out.column("affiliate_id"), out.column("channel"))
    tag = pa.array([f"-{i % copies}" for i in range(rows)])
    return out.set_column(out.column_names.index("affiliate_id"), "affiliate_id",
                          pc.binary_join_element_wise(source, tag, ""))


def churn_model(work: Path, size: int) -> dict[str, Any]:
    """Train on `size` labelled account rows (four origins) and score a `size`-account day."""
    from successlink.config import Settings
    from successlink.models.churn.booster import BoosterParams
    from successlink.models.churn.dataset import Frame
    from successlink.models.churn.model import fit_model
    from successlink.models.churn.registry import load, save
    from successlink.scores.churn import model_risk

    small, day = _churn_rows(work)
    rng = np.random.default_rng(1)
    share = np.array([b.num_rows for b in small.blocks], dtype=float)
    counts = np.floor(size * share / share.sum()).astype(int)
    counts[-1] += size - counts.sum()
    blocks, labels = [], []
    for block, y, n in zip(small.blocks, small.labels, counts, strict=True):
        idx = rng.integers(0, block.num_rows, int(n))
        blocks.append(_resample(block, int(n), rng, "t", picked=idx))
        labels.append(y[idx])
    big = Frame(small.origins, tuple(blocks), tuple(labels))
    start = time.perf_counter()
    model = fit_model(big, BoosterParams(), "platt")
    train_s = time.perf_counter() - start
    version = save(work, model, {"data_end": "2026-06-30", "horizon_days": 90})
    saved = load(work, version)
    from successlink.models.churn.labels import population

    # The whole day is resampled (churned accounts too: they are the source-history context),
    # scaled so that about `size` of the accounts are active and scored.
    share = population(day).num_rows / day.num_rows
    day_rows = _resample(day, round(size / share), rng, "s")
    settings = Settings(workspace=work)
    start = time.perf_counter()
    scored = model_risk(day_rows, saved, settings, date(2026, 6, 30))
    score_s = time.perf_counter() - start
    quiet = settings.model_copy(update={"churn": settings.churn.model_copy(
        update={"drivers_per_account": 0})})
    start = time.perf_counter()
    model_risk(day_rows, saved, quiet, date(2026, 6, 30))
    score_no_drivers_s = time.perf_counter() - start
    return {"train_rows": big.rows, "train_churners": big.positives,
            "train_seconds": round(train_s, 1), "score_rows": scored.num_rows,
            "score_seconds": round(score_s, 1),
            "score_seconds_without_drivers": round(score_no_drivers_s, 1),
            "accounts_with_drivers": sum(v is not None for v in
                                         scored.column("top_drivers").to_pylist())}


CASES: dict[str, tuple[Callable[[Path, int], dict[str, Any]], int, str]] = {
    "segment_jsonl": (segment_jsonl, 1_000_000,
                      "Segment JSON Lines ingest (target >= 200,000 events/s)"),
    "canonical_parquet": (canonical_parquet, 5_000_000,
                          "Canonical Parquet ingest (target >= 2,000,000 rows/s)"),
    "synth_parquet": (synth_parquet, 1_000_000,
                      "synth 1M accounts at the default 100 events per account-month, "
                      "to Parquet (peak RSS < 4 GiB)"),
    "churn_model": (churn_model, 1_000_000,
                    "churn model: train on 1M account rows (target <= 120 s), score 1M accounts "
                    "with drivers (target <= 10 s)"),
}
