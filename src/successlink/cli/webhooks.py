"""`successlink webhooks drain|status|process`: the webhook inbox (docs/program.md, "The
webhook inbox"). `serve` starts and supervises `process` itself; `drain` is for catching up
by hand (or in tests and scripts), `status` for watching."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from successlink.cli.context import AppContext
from successlink.cli.inbox_processor import open_inbox_store, program_state, run_processor
from successlink.program.inbox import BATCH, InboxCounts
from successlink.program.inbox_loop import drain
from successlink.program.inbox_status import inbox_status
from successlink.program.program_state import ProgramState
from successlink.timeline import utc_now

app = typer.Typer(help="The webhook inbox: Stripe deliveries acknowledged by `serve` and "
                       "processed after.", no_args_is_help=True)


def _open(state: AppContext) -> Engine:
    return open_inbox_store(state.settings)


def _program(state: AppContext, engine: Engine) -> ProgramState:
    return program_state(state.settings, engine)


def _summary(counts: InboxCounts, seconds: float) -> str:
    rate = f" ({counts.rows / seconds:,.0f}/s)" if counts.rows and seconds > 0 else ""
    text = (f"{counts.rows:,} deliveries in {seconds:.1f} s{rate}: {counts.processed:,} "
            f"processed, {counts.ignored:,} ignored, {counts.duplicate:,} duplicates, "
            f"{counts.failed:,} failed")
    if counts.recovered or counts.still_failing:
        text += (f"; retried earlier failures: {counts.recovered:,} went through, "
                 f"{counts.still_failing:,} failed again")
    return text


@app.command("drain")
def drain_command(
    ctx: typer.Context,
    batch: Annotated[int, typer.Option(min=1, max=5_000, help="Deliveries per transaction.")]
    = BATCH,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Retry every failed delivery now, not only those due.")] = False,
) -> None:
    """Process every pending delivery now and exit (safe while `serve` runs: processors
    take turns)."""
    state: AppContext = ctx.obj
    engine = _open(state)
    try:
        started = time.monotonic()
        counts = drain(engine, _program(state, engine).settings, batch=batch,
                       retry_all_failed=retry_failed)
        seconds = time.monotonic() - started
        left = inbox_status(engine, failures=0)
    finally:
        engine.dispose()
    state.console.print(f"Drained {_summary(counts, seconds)}.")
    for error in counts.errors[:20]:
        state.err.print(f"  failed: {error}", highlight=False, markup=False)
    state.console.print(f"{left.pending:,} pending now; see `successlink webhooks status` for "
                        "failed deliveries.")


def _age(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "-"
    seconds = max(0.0, (now - at).total_seconds())
    return f"{seconds:,.1f} s" if seconds < 120 else f"{seconds / 60:,.0f} min"


@app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Pending deliveries, how old the oldest is, and the failed ones with their errors."""
    state: AppContext = ctx.obj
    engine = _open(state)
    try:
        status = inbox_status(engine)
    finally:
        engine.dispose()
    now = utc_now()
    state.console.print(
        f"Inbox: {status.newest_id:,} received, processed through {status.processed_through:,}"
        f"; {status.pending:,} pending (oldest waiting {_age(status.oldest_pending_at, now)}); "
        f"last batch {_age(status.last_batch_at, now)} ago; {len(status.failed):,} failed.")
    if status.failed:
        grid = Table("inbox id", "event", "attempts", "first failed", "next attempt", "error")
        for f in status.failed:
            grid.add_row(str(f.inbox_id), f.event_id, str(f.attempts),
                         f"{f.first_failed_at:%Y-%m-%d %H:%M:%S}",
                         f"{f.next_attempt_at:%Y-%m-%d %H:%M:%S}", f.error[:200])
        state.console.print(grid)
        state.console.print("Failed deliveries are retried automatically; fix the cause, then "
                            "`successlink webhooks drain --retry-failed` to retry them now.")


@app.command("process")
def process_command(
    ctx: typer.Context,
    batch: Annotated[int, typer.Option(min=1, max=5_000, help="Deliveries per transaction.")]
    = BATCH,
) -> None:
    """Process deliveries as they arrive until SIGINT/SIGTERM (`serve` runs one for you)."""
    state: AppContext = ctx.obj
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s webhook inbox processor: %(message)s")
    started = time.monotonic()
    totals = run_processor(state.settings, batch=batch)
    seconds = time.monotonic() - started
    state.err.print(f"webhook inbox processor stopped: {_summary(totals, seconds)}.",
                    highlight=False)
