"""One benchmark case per function; each runs in a fresh process so peak RSS is its own."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
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


def _bgnbd_sample(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BG/NBD customers at the CDNOW parameters, times in whole days (expressed in weeks)."""
    rng = np.random.default_rng(seed)
    lam, p = rng.gamma(0.243, 1 / 4.414, n), rng.beta(0.793, 2.426, n)
    age = 39.0 - np.floor(rng.random(n) * 84) / 7
    x, t_x, clock = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        clock[idx] += rng.exponential(1 / np.maximum(lam[idx], 1e-12))
        bought = clock[idx] < age[idx]
        alive[idx[~bought]] = False
        idx = idx[bought]
        x[idx] += 1
        t_x[idx] = np.floor(clock[idx] * 7) / 7
        alive[idx[rng.random(idx.size) < p[idx]]] = False
    return x, t_x, age


def bgnbd_fit(work: Path, size: int) -> dict[str, Any]:
    from successlink.models.clv.bgnbd import fit_bgnbd

    x, t_x, age = _bgnbd_sample(size)
    start = time.perf_counter()
    fit = fit_bgnbd(x, t_x, age, period_days=7.0)
    return {"customers": size, "seconds": round(time.perf_counter() - start, 2),
            "r": round(fit.r, 4), "alpha": round(fit.alpha, 3), "a": round(fit.a, 4),
            "b": round(fit.b, 4)}


def gamma_gamma_fit(work: Path, size: int) -> dict[str, Any]:
    from successlink.models.clv.gamma_gamma import fit_gamma_gamma

    rng = np.random.default_rng(1)
    x = rng.integers(1, 30, size).astype(np.float64)
    nu = rng.gamma(3.75, 1 / 15.45, size)
    zbar = np.round(rng.gamma(6.25 * x, 1 / (nu * x)), 2)  # mean of x Gamma(6.25, nu) spends
    start = time.perf_counter()
    fit = fit_gamma_gamma(x, zbar)
    return {"customers": size, "seconds": round(time.perf_counter() - start, 2),
            "p": round(fit.p, 3), "q": round(fit.q, 3), "gamma": round(fit.gamma, 3)}


def sbg_fit(work: Path, size: int) -> dict[str, Any]:
    """Per-customer durations in days, entry dates spread over two years (right-censored),
    counted into lost/censored periods and fitted: the timing includes the counting."""
    from successlink.models.clv.sbg import fit_sbg_censored, survival_counts

    rng = np.random.default_rng(1)
    period = 365.25 / 12
    payments = rng.geometric(rng.beta(0.7, 1.2, size))
    observable = rng.integers(0, 25, size)  # renewal decisions seen before the as-of date
    churned = payments <= observable
    days = np.where(churned, payments * period - rng.random(size),
                    observable * period + rng.random(size) * (period - 3))
    start = time.perf_counter()
    fit = fit_sbg_censored(survival_counts(days, churned, period_days=period, slack_days=2.0))
    return {"customers": size, "seconds": round(time.perf_counter() - start, 2),
            "alpha": round(fit.alpha, 4), "beta": round(fit.beta, 4)}


@contextlib.contextmanager
def _postgres(work: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback with the server's default durability
    (fsync on, synchronous_commit on: a commit is on disk before it returns); its URL."""
    import shutil
    import socket

    bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1].parent
    root = work / "pg"
    root.mkdir(parents=True)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(work, "postgres", "postgres")
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(root / "data"), "-U",
                    "postgres", "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {root}"
    subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-o", opts,
                    "-l", str(root / "log"), "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m",
                        "fast", "stop"], capture_output=True, check=False)


def _program_store(work: Path, url: str | None = None) -> Any:
    from sqlalchemy.orm import Session

    from successlink.store.affiliates import Affiliate
    from successlink.store.connect import open_store
    from successlink.store.migrate import upgrade
    from successlink.store.tracking import Link

    work.mkdir(parents=True, exist_ok=True)
    # The default: SQLite, WAL, synchronous=FULL.
    engine = open_store(url or f"sqlite:///{work / 'app.db'}")
    upgrade(engine)
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        s.add(Affiliate(id="aff_1", name="Ada", email="ada@example.com", status="active",
                        group_name=None, quality_tier=None, quality_tier_as_of=None,
                        plan_id="bench", payout_method="paypal", payout_details={},
                        account_id=None, created_at=now))
        s.flush()
        s.add(Link(code="ada", affiliate_id="aff_1", destination="https://acme.test/",
                   utm_source=None, utm_medium=None, utm_campaign=None, disabled=False,
                   created_at=now))
    return engine


_BENCH_PLAN = """id = "bench"
version = 1
name = "Bench"
currency = "USD"
effective_from = 2020-01-01
[[rules]]
name = "all"
percent = 20
[vesting]
tranches = [{ day = 30, percent = 50 }, { day = 90, percent = 50 }]
"""


def _event(kind: str, obj: dict[str, Any], event_id: str, created: int) -> bytes:
    return orjson.dumps({"id": event_id, "object": "event", "type": kind, "created": created,
                         "api_version": "2020-08-27", "data": {"object": obj}})


def _stripe_stream(size: int) -> list[tuple[bytes, str]]:
    """`size` signed events: per customer customer.created, invoice.paid, charge.refunded
    (every fifth a full refund), a minute apart."""
    import stripe

    base = 1_700_000_000
    bodies: list[bytes] = []
    for i in range(size // 3 + 1):
        t = base + i * 60
        bodies.append(_event("customer.created", {"id": f"cus_{i}", "object": "customer",
                             "created": t, "email": f"c{i}@bigco.test",
                             "metadata": {"affiliate": "aff_1"}}, f"evt_c{i}", t))
        bodies.append(_event("invoice.paid", {
            "id": f"in_{i}", "object": "invoice", "customer": f"cus_{i}", "amount_paid": 4900,
            "currency": "usd", "charge": f"ch_{i}", "billing_reason": "subscription_create",
            "status_transitions": {"paid_at": t + 5}}, f"evt_i{i}", t + 6))
        bodies.append(_event("charge.refunded", {
            "id": f"ch_{i}", "object": "charge", "amount": 4900, "currency": "usd",
            "amount_refunded": 4900 if i % 5 == 0 else 0, "refunds": {"data": []}},
            f"evt_r{i}", t + 3600))
    return [(b, stripe.WebhookSignature.generate_signature_header(b.decode(), "whsec_bench",
                                                                  timestamp=base))
            for b in bodies[:size]]


def _webhook_settings() -> Any:
    from successlink.program.plans import load_plan
    from successlink.program.webhooks import WebhookSettings

    return WebhookSettings(secrets=["whsec_bench"], plans=[load_plan(_BENCH_PLAN)],
                           tolerance_seconds=None, settle_delay=timedelta(0))


_RECEIVED = datetime.fromtimestamp(1_700_000_000 + 90 * 86400, UTC)


def _ledger_summary(engine: Any) -> dict[str, int]:
    """What was stored: events, entries, flags, and the money in each bucket (the same
    whatever the batching; the entries on the way can differ, see docs/program.md)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from successlink.store.fraud import FraudFlag
    from successlink.store.ledger import LedgerEntry
    from successlink.store.webhooks import WebhookEvent

    with Session(engine) as s:
        buckets = s.execute(select(
            func.sum(LedgerEntry.unvested_minor), func.sum(LedgerEntry.vested_minor),
            func.sum(LedgerEntry.lapsed_minor), func.sum(LedgerEntry.reversed_minor))).one()
        return {"webhook_events": int(s.scalar(select(func.count(WebhookEvent.event_id))) or 0),
                "ledger_entries": int(s.scalar(select(func.count(LedgerEntry.id))) or 0),
                "fraud_flags": int(s.scalar(select(func.count(FraudFlag.id))) or 0),
                **{f"{name}_minor": int(total or 0) for name, total in
                   zip(("unvested", "vested", "lapsed", "reversed"), buckets, strict=True)}}


def stripe_webhooks(work: Path, size: int) -> dict[str, Any]:
    """`size` events (customer.created, invoice.paid, some charge.refunded), each signed,
    verified, recorded and settled in its own durable transaction."""
    from sqlalchemy.orm import Session

    from successlink.program.webhooks import handle_stripe_webhook

    engine = _program_store(work)
    settings = _webhook_settings()
    signed = _stripe_stream(size)
    start = time.perf_counter()
    for body, header in signed:
        with Session(engine) as s, s.begin():
            handle_stripe_webhook(s, body, header, settings, _RECEIVED)
    seconds = time.perf_counter() - start
    return {"events": len(signed), "seconds": round(seconds, 2),
            "events_per_s": round(len(signed) / seconds), **_ledger_summary(engine)}


def stripe_webhooks_batched(work: Path, size: int, batches: tuple[int, ...] = (1, 100, 500),
                            url: str | None = None) -> dict[str, Any]:
    """The same stream, verified and parsed one delivery at a time, then recorded and
    settled a batch per durable transaction (what the service's group commit hands over),
    for each batch size on a fresh store (batch 1: process_batch one event at a time, over
    the first 600 events only: at about 50 events/s the whole stream would take a minute)."""
    from sqlalchemy.orm import Session

    from successlink.program.webhooks import process_batch, read_delivery

    settings = _webhook_settings()
    signed = _stripe_stream(size)
    out: dict[str, Any] = {"events": len(signed)}
    for batch in batches:
        stream = signed[:600] if batch == 1 else signed
        if url is not None:  # a fresh database per batch size
            from sqlalchemy import create_engine, text

            with create_engine(url, isolation_level="AUTOCOMMIT").connect() as con:
                con.execute(text(f"CREATE DATABASE b{batch}"))
        engine = _program_store(work / f"batch{batch}",
                                url.rsplit("/", 1)[0] + f"/b{batch}" if url else None)
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(stream), batch):
            events = [read_delivery(body, header, settings) for body, header in
                      stream[i:i + batch]]
            with Session(engine) as s, s.begin():
                process_batch(s, events, settings, _RECEIVED)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        # CPU seconds of this process: less sensitive than the wall clock to other work on
        # a shared machine (on PostgreSQL the server's share is not in it).
        out[f"batch_{batch}"] = {"events": len(stream), "seconds": round(seconds, 2),
                                 "events_per_s": round(len(stream) / seconds),
                                 "cpu_seconds": round(cpu, 2),
                                 "events_per_cpu_s": round(len(stream) / cpu),
                                 **_ledger_summary(engine)}
        engine.dispose()
    return out


def stripe_webhooks_batched_postgres(work: Path, size: int) -> dict[str, Any]:
    """`stripe_webhooks_batched` on a local PostgreSQL with default durability."""
    with _postgres(work) as url:
        return stripe_webhooks_batched(work, size, url=url)


def click_records(work: Path, size: int) -> dict[str, Any]:
    """The redirect's database part: look up the link and commit one click, `size` times
    (one durable transaction each, no group commit yet)."""
    from sqlalchemy.orm import Session

    from successlink.web.tracking import Visit, record_click

    engine = _program_store(work)
    visit = Visit(code="ada", ip="203.0.113.9", user_agent="Mozilla/5.0 Firefox",
                  referer=None)
    start = time.perf_counter()
    for _ in range(size):
        with Session(engine) as s, s.begin():
            record_click(s, visit, domains=["acme.test"], at=datetime.now(UTC))
    seconds = time.perf_counter() - start
    return {"clicks": size, "seconds": round(seconds, 2), "clicks_per_s": round(size / seconds),
            "ms_per_click": round(1000 * seconds / size, 3)}



def _served_store(work: Path, url: str | None = None) -> None:
    """The program store as `successlink serve` finds it in the workspace `work`: one active
    affiliate, its link `ada`, and the bench plan (so webhooks settle a ledger)."""
    from sqlalchemy.orm import Session

    from successlink.program.plans import load_plan
    from successlink.store.plans import CommissionPlan

    engine = _program_store(work, url)
    plan = load_plan(_BENCH_PLAN)
    with Session(engine) as s, s.begin():
        s.add(CommissionPlan(plan_id=plan.id, version=plan.version, name=plan.name,
                             effective_from=plan.effective_from, source_toml=_BENCH_PLAN,
                             created_at=datetime.now(UTC)))
    engine.dispose()


def redirect_http(work: Path, size: int) -> dict[str, Any]:
    """`GET /r/ada` on `successlink serve` (granian, one worker, SQLite WAL FULL, group
    commit) and on nginx `return 302` (one worker), `wrk -t2 -c64 -d{size}s` each, in the
    same run; then every click wrk saw acknowledged must be in the store."""
    from bench.http import (
        CONNECTIONS,
        count_rows,
        load_average,
        nginx_302,
        successlink_serve,
        wrk,
    )

    _served_store(work)
    with nginx_302(work) as nginx, successlink_serve(work) as service:
        wrk(f"{nginx}/r/ada", 2)
        wrk(f"{service}/r/ada", 2)  # warm up: connections, caches, the WAL file's size
        load = load_average()
        ceiling = wrk(f"{nginx}/r/ada", size)
        before = count_rows(work, "clicks")
        ours = wrk(f"{service}/r/ada", size)
        time.sleep(1.0)  # requests wrk abandoned at its deadline finish committing
        stored = count_rows(work, "clicks") - before
    ratio = ours["req_per_s"] / ceiling["req_per_s"]
    acknowledged = ours["requests"] - ours["errors"]
    return {"nginx": ceiling, "service": ours, "ratio": round(ratio, 3),
            "clicks_acknowledged": acknowledged, "clicks_stored": stored,
            # wrk stops counting at its deadline with up to one request per connection in
            # flight; those may be stored too, but nothing acknowledged may be missing.
            "all_durable": acknowledged <= stored <= acknowledged + CONNECTIONS,
            "target_met": ratio >= 0.20 and (ours["p99_ms"] or 1e9) <= 25.0,
            "load_avg_1m_before": load}


_WRK_WEBHOOKS = """-- POST pre-signed Stripe deliveries, each once; thread k takes every k-th line.
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
function init(args)
  bodies, sigs, i = {}, {}, 0
  local n = 0
  for line in io.lines("%(path)s") do
    n = n + 1
    if n %% 2 == tid - 1 then
      local tab = string.find(line, "\t", 1, true)
      table.insert(sigs, string.sub(line, 1, tab - 1))
      table.insert(bodies, string.sub(line, tab + 1))
    end
  end
end
function request()
  i = i %% #bodies + 1
  return wrk.format("POST", "/webhooks/stripe",
                    {["stripe-signature"] = sigs[i], ["content-type"] = "application/json"},
                    bodies[i])
end
"""


def _signed_deliveries(path: Path, count: int) -> None:
    import stripe

    base = 1_700_000_000
    with path.open("w", encoding="utf-8") as out:
        for i in range(count // 3 + 1):
            t = base + i * 60
            for body in (
                    _event("customer.created", {"id": f"cus_{i}", "object": "customer",
                                                "created": t, "email": f"c{i}@bigco.test",
                                                "metadata": {"affiliate": "aff_1"}},
                           f"evt_c{i}", t),
                    _event("invoice.paid", {
                        "id": f"in_{i}", "object": "invoice", "customer": f"cus_{i}",
                        "amount_paid": 4900, "currency": "usd", "charge": f"ch_{i}",
                        "billing_reason": "subscription_create",
                        "status_transitions": {"paid_at": t + 5}}, f"evt_i{i}", t + 6),
                    _event("charge.refunded", {
                        "id": f"ch_{i}", "object": "charge", "amount": 4900, "currency": "usd",
                        "amount_refunded": 4900 if i % 5 == 0 else 0,
                        "refunds": {"data": []}}, f"evt_r{i}", t + 3600)):
                header = stripe.WebhookSignature.generate_signature_header(
                    body.decode(), "whsec_bench", timestamp=base)
                out.write(f"{header}\t{body.decode()}\n")


def webhooks_http(work: Path, size: int, url: str | None = None) -> dict[str, Any]:
    """Signed Stripe deliveries POSTed by `wrk -t2 -c64 -d{size}s` to `successlink serve`:
    each is acknowledged once stored in the webhook inbox (group commit), and the inbox
    processor (a separate process) settles them meanwhile. Reports acknowledged events per
    second, how many the processor finished during the run, and how long it took to finish
    the rest after wrk stopped; every acknowledged event must be in the inbox, and every
    inbox row processed once in the end."""
    from bench.http import load_average, successlink_serve, wrk
    from bench.http import store_scalar as read_scalar

    _served_store(work, url)
    deliveries = work / "deliveries.tsv"
    _signed_deliveries(deliveries, 6_000 * size)  # more than can be sent: none repeats
    script = work / "webhooks.lua"
    script.write_text(_WRK_WEBHOOKS % {"path": deliveries})
    cursor = "SELECT last_id FROM webhook_inbox_cursor"

    def store_scalar(work: Path, sql: str) -> int:
        return read_scalar(work, sql, url)

    with successlink_serve(work, url=url) as service:
        load = load_average()
        started = time.monotonic()
        # A delivery waits for the batch ahead of it; Stripe itself waits up to 30 s.
        ours = wrk(service, size, script=script, timeout_s=30)
        run_seconds = time.monotonic() - started
        processed_in_run = store_scalar(work, cursor)
        time.sleep(1.0)  # requests wrk abandoned at its deadline finish committing
        queued = store_scalar(work, "SELECT count(*) FROM webhook_inbox")
        drain_started = time.monotonic()
        while store_scalar(work, cursor) < queued and time.monotonic() - drain_started < 600:
            time.sleep(0.05)
        drain_seconds = time.monotonic() - drain_started
    processed = store_scalar(work, cursor)
    events = store_scalar(work, "SELECT count(*) FROM webhook_events")
    failed = store_scalar(work, "SELECT count(*) FROM webhook_inbox_failures")
    acknowledged = ours["requests"] - ours["errors"]
    processed_per_s = round(processed / (run_seconds + drain_seconds))
    return {"service": ours, "events_acknowledged": acknowledged, "events_queued": queued,
            "acks_per_s": ours["req_per_s"],
            "processed_during_run": processed_in_run,
            "processed_per_s_during_run": round(processed_in_run / run_seconds),
            "drain_after_run_s": round(drain_seconds, 2),
            "processed_per_s": processed_per_s,
            "all_durable": queued >= acknowledged,
            "all_processed_once": processed == queued and events == queued and failed == 0,
            "target_met": ours["req_per_s"] >= 1_000 and ours["errors"] == 0
            and processed_per_s >= 1_000,
            "load_avg_1m_before": load}


def webhooks_http_postgres(work: Path, size: int) -> dict[str, Any]:
    """`webhooks_http` with the app store on a local PostgreSQL (default durability): no
    single write lock, so acknowledging and processing do not take turns."""
    with _postgres(work) as url:
        return webhooks_http(work, size, url=url)


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
    "sbg_fit_1m": (sbg_fit, 1_000_000,
                   "sBG right-censored fit from per-customer durations (target <= 5 s)"),
    "bgnbd_fit_1m": (bgnbd_fit, 1_000_000, "BG/NBD fit (target <= 5 s)"),
    "gamma_gamma_fit_1m": (gamma_gamma_fit, 1_000_000, "Gamma-Gamma fit"),
    "stripe_webhooks": (stripe_webhooks, 3_000,
                        "Stripe webhooks verified, recorded and settled, one SQLite (WAL, "
                        "synchronous=FULL) transaction each (target >= 1,000 events/s)"),
    "stripe_webhooks_batched": (stripe_webhooks_batched, 3_000,
                                "Stripe webhooks verified and parsed one by one, recorded and "
                                "settled 1, 100 or 500 per SQLite (WAL, synchronous=FULL) "
                                "transaction (target >= 1,000 events/s)"),
    "stripe_webhooks_batched_postgres": (
        stripe_webhooks_batched_postgres, 1_500,
        "The same on PostgreSQL 15 over loopback (fsync and synchronous_commit on)"),
    "click_records": (click_records, 5_000,
                      "Redirect clicks committed one per transaction, SQLite WAL FULL "
                      "(database part of /r/{code}; no HTTP)"),
    "redirect_http": (redirect_http, 10,
                      "GET /r/{code} over HTTP: successlink serve (granian, 1 worker, group "
                      "commit, SQLite WAL FULL) vs nginx return 302 (1 worker), wrk -t2 -c64, "
                      "size = seconds (target >= 20% of nginx, p99 <= 25 ms, every click "
                      "durable)"),
    "webhooks_http": (webhooks_http, 10,
                      "POST /webhooks/stripe over HTTP: signed deliveries by wrk -t2 -c64, "
                      "acknowledged once in the inbox (group commit), processed by the inbox "
                      "processor, size = seconds (target >= 1,000 events/s acknowledged and "
                      "processed)"),
    "webhooks_http_postgres": (webhooks_http_postgres, 10,
                               "POST /webhooks/stripe over HTTP as webhooks_http, app store on "
                               "PostgreSQL (target >= 1,000 events/s)"),
    "churn_model": (churn_model, 1_000_000,
                    "churn model: train on 1M account rows (target <= 120 s), score 1M accounts "
                    "with drivers (target <= 10 s)"),
}
