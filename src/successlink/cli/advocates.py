"""`successlink advocates`: the customers to invite as affiliates, whom to ask, and where the
best customers came from."""

from __future__ import annotations

import csv as csv_module
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from successlink.cli.context import AppContext
from successlink.cli.score import parse_day
from successlink.decisions.advocates import (
    CSV_COLUMNS,
    Advocate,
    AdvocateSettings,
    advocate_rows,
    rank_advocates,
)
from successlink.decisions.cohorts import CohortSummary, FeatureRow, MixRow, summarise_cohorts
from successlink.decisions.reasons import money_words

_NUMERIC = frozenset({"#", "score", "health", "NPS", "MRR"})


def advocate_settings(state: AppContext) -> AdvocateSettings:
    """The workspace's [advocates] settings once config holds them, else the defaults."""
    found = getattr(state.settings, "advocates", None)
    return found if isinstance(found, AdvocateSettings) else AdvocateSettings()


def _people(a: Advocate) -> str:
    lines = []
    for c in a.contacts:
        who = c.name or c.email or c.contact_id
        title = f", {c.job_title}" if c.job_title else ""
        mail = f" <{c.email}>" if c.email and c.name else ""
        seen = " (engaged)" if c.engaged_90d is True else \
            " (quiet)" if c.engaged_90d is False else ""
        lines.append(f"{who}{mail} - {c.role.replace('_', ' ')}{title}{seen}")
    return "\n".join(lines) or "[dim]no contacts in the CRM[/]"


def print_advocates(console: Console, advocates: list[Advocate], currency: str) -> None:
    """The ranked advocates with reasons and people to approach."""
    table = Table(title="Advocates: customers to invite into the affiliate program",
                  title_justify="left", show_lines=True)
    for name in ("#", "account", "score", "health", "NPS", "MRR", "came from", "why",
                 "approach"):
        table.add_column(name, justify="right" if name in _NUMERIC else "left")
    for rank, a in enumerate(advocates, start=1):
        account = a.name or a.account_id
        if a.domain:
            account += f"\n[dim]{a.domain}[/]"
        source = a.channel or "unknown"
        if a.affiliate_id:
            source += f"\n[dim]{a.affiliate_id}[/]"
        health = "" if a.health_score is None else f"{a.health_score:.0f} {a.band or ''}"
        nps = "" if a.nps_latest_score is None else str(a.nps_latest_score)
        table.add_row(str(rank), account, f"{a.advocacy_score:.1f}", health, nps,
                      money_words(a.mrr_minor, currency), source, "\n".join(a.reasons),
                      _people(a))
    console.print(table)


def _mix_table(title: str, rows: list[MixRow], share: str, base: str) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("", "accounts", share, base, "lift"):
        table.add_column(name, justify="left" if not name else "right")
    for r in rows:
        lift = "" if r.lift is None else f"{r.lift:.2f}x"
        table.add_row(r.key, f"{r.top_accounts:,}", f"{r.top_share:.0%}", f"{r.all_share:.0%}",
                      lift)
    return table


def _feature_table(rows: list[FeatureRow]) -> Table:
    table = Table(title="Features the best accounts use (last 90 days)", title_justify="left")
    for name in ("feature", "top", "rest", "lift"):
        table.add_column(name, justify="left" if name == "feature" else "right")
    for r in rows:
        lift = "" if r.lift is None else f"{r.lift:.2f}x"
        table.add_row(r.feature, f"{r.top_share:.0%}", f"{r.rest_share:.0%}", lift)
    return table


def _median(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def print_cohorts(console: Console, s: CohortSummary) -> None:
    """Where the top cohort came from, what it shares, and the bottom cohort's pain points."""
    console.print(f"\n[bold]Best accounts[/]: top {s.top_accounts:,} of {s.all_accounts:,} "
                  f"paying accounts as of {s.as_of} by {s.measure}.")
    console.print(f"Median seats {_median(s.median_seats.get('top'))} "
                  f"(rest {_median(s.median_seats.get('rest'))}); median tenure "
                  f"{_median(s.median_tenure_days.get('top'))} days "
                  f"(rest {_median(s.median_tenure_days.get('rest'))}).")
    tables = [_mix_table("Where they came from: channel", s.channels, "of top", "of all"),
              _mix_table("Affiliates", s.affiliates, "of top", "of all"),
              _mix_table("Plans", s.plans, "of top", "of all")]
    if s.features:
        tables.append(_feature_table(s.features))
    if s.pain_points:
        tables.append(_mix_table(f"Pain points: why the weakest {s.bottom_accounts:,} "
                                 "accounts (ties included) cancelled",
                                 s.pain_points, "of weakest", "of all churned"))
    for table in tables:
        if table.row_count:
            console.print(table)


def write_csv(path: Path, advocates: list[Advocate]) -> int:
    """One row per (advocate, contact), reasons joined with '; '; returns rows written."""
    rows = advocate_rows(advocates)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv_module.DictWriter(handle, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
    return len(rows)


def _cell(value: Any) -> Any:
    return "" if value is None else value


def advocates(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Use the scores of this day (YYYY-MM-DD); default the latest scored.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1,
                                       help="How many advocates to list.")] = 20,
    csv: Annotated[Path | None, typer.Option(
        "--csv", help="Also write one row per (advocate, contact) to this CSV file.")] = None,
) -> None:
    """Rank the customers to invite into the affiliate program, with reasons and the people
    to approach; then show where the best customers came from and what they share."""
    state: AppContext = ctx.obj
    settings = advocate_settings(state)
    currency = state.settings.metrics.currency
    day = None if as_of is None else parse_day(as_of)
    found = rank_advocates(state.warehouse, day, limit, settings=settings, currency=currency)
    if found:
        print_advocates(state.console, found, currency)
    else:
        state.console.print("No account is eligible as an advocate yet (see docs/advocates.md "
                            "for the rules).")
    print_cohorts(state.console, summarise_cohorts(state.warehouse, day, settings))
    if csv is not None:
        written = write_csv(csv, found)
        state.console.print(f"Wrote {written:,} rows to {csv}.")
