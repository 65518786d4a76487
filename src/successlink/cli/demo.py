"""`successlink demo`: synthesise a world, ingest it through the real adapters, summarise."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from successlink.cli.advocates import advocates
from successlink.cli.context import AppContext
from successlink.cli.ingest import load_files, match_rate, print_reports
from successlink.cli.report import report
from successlink.cli.score import print_score_report, score_day_and_trend
from successlink.cli.status import status
from successlink.cli.synth import run_synth
from successlink.config import CONFIG_FILE, default_config_toml
from successlink.timeline import utc_now
from successlink.warehouse.load import rematch_unresolved
from successlink.warehouse.merge_accounts import merge_minted_accounts

# Sources that name accounts by their own id first (helpdesk organizations' external ids,
# billing metadata), then the CRM, whose companies match those accounts by domain; then
# usage, tickets and answers, which match through the links the first ones established.
DEMO_ORDER = (
    ("zendesk", "zendesk/organizations.json"), ("stripe", "stripe"), ("hubspot", "hubspot"),
    ("segment", "segment"), ("zendesk", "zendesk/tickets.json"), ("surveys", "surveys"),
    ("affiliates", "canonical/affiliates.csv"), ("acquisitions", "canonical/acquisitions.csv"),
    ("cs_costs", "canonical/cs_costs.csv"),
)


def demo(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(min=100, help="Accounts in the world.")] = 20_000,
    affiliates: Annotated[int, typer.Option(min=50, help="Affiliates.")] = 200,
    events: Annotated[float, typer.Option(help="Usage events per account-month.")] = 20.0,
    seed: Annotated[int, typer.Option(help="World seed.")] = 7,
) -> None:
    """The whole path on the embedded warehouse: synth -> ingest -> score -> advocates -> report."""
    state: AppContext = ctx.obj
    root = state.workspace or Path("demo")
    root.mkdir(parents=True, exist_ok=True)
    if not (root / CONFIG_FILE).exists():
        (root / CONFIG_FILE).write_text(default_config_toml(), encoding="utf-8")
    state.workspace = root
    world = root / "world"
    end = utc_now().date() - timedelta(days=1)  # the world ends before now: nothing in the future
    console = state.console
    console.rule(f"1. Synthesising {customers:,} accounts and {affiliates} affiliates")
    summary = run_synth(console, world, customers=customers, affiliates=affiliates, seed=seed,
                        end=end, months=24, events=events, fmt="real")
    console.print(str(summary))
    console.rule("2. Ingesting through the real-format adapters")
    for source, relative in DEMO_ORDER:
        reports, failures = load_files(state.warehouse, state.settings, source,
                                       [world / relative], console)
        print_reports(console, reports)
        if reports:
            console.print(f"{source}: {match_rate(reports)} of rows resolved to an account")
        if failures:
            raise typer.Exit(3)
    folded = merge_minted_accounts(state.warehouse, rules=state.settings.identity.rules)
    if folded:
        console.print(f"Merged {folded:,} account(s) another source identified.")
    newly = rematch_unresolved(state.warehouse, rules=state.settings.identity.rules)
    if any(newly.values()):
        console.print("Late matches: " + ", ".join(f"{n:,} {t}" for t, n in newly.items()))
    console.rule("3. What the warehouse holds")
    status(ctx)
    console.rule(f"4. Scoring every account and source as of {end}")
    print_score_report(state, score_day_and_trend(state, end))
    console.rule("5. Customers to invite as affiliates")
    advocates(ctx, as_of=end.isoformat(), limit=10, csv=root / "reports" / "advocates.csv")
    console.rule("6. The report")
    report(ctx, as_of=end.isoformat(), out=None, drivers=True)
    console.print(f"Warehouse: [bold]{state.settings.warehouse_url}[/]. Next: open the report "
                  f"above in a browser, or try [bold]successlink -w {root} health explain "
                  f"<account>[/] and [bold]successlink -w {root} advocates --limit 50[/].")
