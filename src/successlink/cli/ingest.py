"""`successlink ingest SOURCE PATH...`: load files, with progress, counts and match rates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from successlink.cli.context import AppContext
from successlink.config import Settings
from successlink.errors import InputFileError, SuccessLinkError
from successlink.ingest.pipeline import FileReport, ingest_file
from successlink.ingest.sources import SOURCES, build_adapter, ingest_options
from successlink.timeline import utc_now
from successlink.warehouse.connect import Warehouse
from successlink.warehouse.load import rematch_unresolved
from successlink.warehouse.merge_accounts import merge_minted_accounts

# Tables whose account is optional by design (pooled costs, affiliates who are not customers).
_OPTIONAL_ACCOUNT = frozenset({"cs_costs", "affiliates"})


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given; a folder stands for the files directly inside it, sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir()
                          if p.is_file() and not p.name.startswith(".")
                          and p.suffix.lower() not in (".md", ".txt"))
        else:
            out.append(path)
    return out


def load_files(warehouse: Warehouse, settings: Settings, source: str, paths: Sequence[Path],
               console: Console, *, table: str | None = None) -> tuple[list[FileReport],
                                                                       list[InputFileError]]:
    """Ingest each file in its own transaction; a bad file fails alone."""
    adapter = build_adapter(source, settings)
    options = ingest_options(settings, table=table)
    reports: list[FileReport] = []
    failures: list[InputFileError] = []
    now = utc_now()
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as progress:
        for path in expand_paths(paths):
            size = path.stat().st_size if path.exists() else None
            task = progress.add_task(f"{source}: {path.name}", total=size)

            def advance(done: int, task: TaskID = task) -> None:
                progress.update(task, completed=done)

            try:
                report = ingest_file(
                    warehouse, adapter, path, now=now, options=options,
                    rules=settings.identity.rules, chunk_rows=settings.ingest.chunk_rows,
                    on_progress=advance)
            except InputFileError as exc:
                failures.append(exc)
                console.print(f"[bold red]error:[/] {exc.render()}\n"
                              "Nothing from this file was stored.", highlight=False,
                              soft_wrap=True)
                continue
            finally:
                progress.remove_task(task)
            reports.append(report)
    return reports, failures


def print_reports(console: Console, reports: Sequence[FileReport]) -> None:
    """One line a file: read = inserted + updated + unchanged + superseded + rejected."""
    if not reports:
        return
    grid = Table(title="Loaded", title_justify="left")
    for name in ("file", "source", "read", "inserted", "updated", "unchanged",
                 "superseded", "rejected", "matched"):
        grid.add_column(name, justify="left" if name in ("file", "source") else "right")
    for r in reports:
        grid.add_row(Path(r.file).name, r.source, f"{r.read:,}", f"{r.total('inserted'):,}",
                     f"{r.total('updated'):,}", f"{r.total('unchanged'):,}",
                     f"{r.total('superseded'):,}", f"{r.rejected:,}", match_rate([r]))
    console.print(grid)
    for r in reports:
        for line, field, value, reason in r.rejects_sample[:3]:
            console.print(f"  [yellow]reject[/] {r.file} line {line}: {field} = {value!r} "
                          f"{reason}", highlight=False, soft_wrap=True)
        if r.rejected > len(r.rejects_sample[:3]):
            console.print(f"  {r.rejected:,} rejected in {Path(r.file).name}; see "
                          "[bold]successlink rejects list[/]")


def match_rate(reports: Sequence[FileReport]) -> str:
    """Share of rows (that should belong to an account) resolved to one."""
    matched = unmatched = 0
    for r in reports:
        for name, c in r.tables.items():
            if name not in _OPTIONAL_ACCOUNT:
                matched += c.matched
                unmatched += c.unmatched
    total = matched + unmatched
    return f"{100 * matched / total:.1f}%" if total else "-"


def ingest(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Source format; see `successlink sources`.")],
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load.")],
    table: Annotated[str | None, typer.Option(
        help="Canonical table, for `canonical` files not named after their table.")] = None,
) -> None:
    """Load files into the warehouse. Re-running a file changes nothing; bad rows go to
    `successlink rejects list`; an unreadable file is refused whole."""
    state: AppContext = ctx.obj
    reports, failures = load_files(state.warehouse, state.settings, source, paths,
                                   state.console, table=table)
    print_reports(state.console, reports)
    folded = merge_minted_accounts(state.warehouse, rules=state.settings.identity.rules)
    if folded:
        state.console.print(f"Merged {folded:,} account(s) another source identified as "
                            "companies already known.")
    newly = rematch_unresolved(state.warehouse, rules=state.settings.identity.rules)
    if any(newly.values()):
        done = ", ".join(f"{n:,} {t}" for t, n in newly.items() if n)
        state.console.print(f"Matched rows waiting for their account: {done}")
    if reports:
        state.console.print(f"Match rate for {source}: {match_rate(reports)} of rows resolved "
                            "to an account (the rest are kept for later matching).")
    if failures:
        raise SuccessLinkError(f"{len(failures)} of {len(failures) + len(reports)} file(s) "
                               "could not be read", hint="Fix them and run the same command "
                               "again; files already loaded will show as unchanged.")


def sources(ctx: typer.Context) -> None:
    """List the source formats `ingest` reads."""
    state: AppContext = ctx.obj
    grid = Table("source", "what it reads")
    for kind in SOURCES.values():
        grid.add_row(kind.name, kind.summary)
    state.console.print(grid)
