"""`successlink synth`: a synthetic SaaS world in the real vendors' formats, plus its truth."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from successlink.cli.context import AppContext
from successlink.synth.generate import generate_world
from successlink.timeline import utc_now


def run_synth(console: Console, out: Path, *, customers: int, affiliates: int | None, seed: int,
              end: date, months: int, events: float, fmt: str) -> Any:
    """Generate a world with a progress bar; returns the generator's summary."""
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"synthesising {customers:,} accounts", total=1.0)

        def on_progress(done: float, *_: Any) -> None:
            progress.update(task, completed=float(done))

        kwargs: dict[str, Any] = {"customers": customers, "seed": seed,
                                  "start": end - timedelta(days=round(months * 30.4375)),
                                  "end": end, "events_per_account_month": events,
                                  "formats": fmt, "on_progress": on_progress}
        if affiliates is not None:
            kwargs["affiliates"] = affiliates
        return generate_world(out, **kwargs)


def synth(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the world to.")]
    = Path("world"),
    customers: Annotated[int, typer.Option(min=100, max=1_000_000,
                                           help="Accounts to create.")] = 20_000,
    affiliates: Annotated[int | None, typer.Option(
        min=50, max=5_000, help="Affiliates (default about 1% of customers, at least 50).")]
    = None,
    seed: Annotated[int, typer.Option(help="Same seed, same world, byte for byte.")] = 7,
    end: Annotated[str | None, typer.Option(help="Last day of the world (default today).")]
    = None,
    months: Annotated[int, typer.Option(min=3, max=120, help="Months of history.")] = 24,
    events: Annotated[float, typer.Option(
        min=0, help="Usage events per account per active month.")] = 100.0,
    fmt: Annotated[str, typer.Option("--format", help="real (vendor formats) or parquet "
                                     "(canonical tables, for large worlds).")] = "real",
) -> None:
    """Write a synthetic SaaS world (Stripe, Segment, Zendesk, surveys, HubSpot, costs,
    affiliates) and its ground truth, for demos, tests and benchmarks."""
    state: AppContext = ctx.obj
    if fmt not in ("real", "parquet"):
        raise typer.BadParameter("use --format real or --format parquet")
    last = date.fromisoformat(end) if end else utc_now().date() - timedelta(days=1)
    summary = run_synth(state.console, out, customers=customers, affiliates=affiliates,
                        seed=seed, end=last, months=months, events=events, fmt=fmt)
    state.console.print(f"Wrote the world to [bold]{out}[/]: {summary}")
