"""The report's key tables as Rich renderables, for `successlink report` in a terminal.

A short version of the HTML file: the program's figures, the best and worst affiliates with
their volume rank beside, the channels and the health bands. Data goes into cells as `Text`,
never as markup, so an affiliate named "[red]x" prints as it is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from successlink.reports.data import ReportData, Row
from successlink.reports.figures import (
    BANDS,
    ProgramFigures,
    program_figures,
    revenue_retention_text,
)
from successlink.reports.formatting import MISSING, interval, money, number, rank, share

SHOWN_EACH = 5
BAND_STYLES = {"green": "green", "yellow": "yellow", "red": "red"}


def _table(title: str, columns: Sequence[tuple[str, bool]]) -> Table:
    """A table whose numeric columns are right-aligned."""
    out = Table(title=title, title_justify="left", title_style="bold")
    for name, numeric in columns:
        # In a narrow terminal names keep a readable width and the numbers wrap instead.
        out.add_column(name, justify="right" if numeric else "left",
                       min_width=None if numeric else min(len(name) + 4, 12))
    return out


def program_table(figures: ProgramFigures, currency: str,
                  program: dict[str, Any] | None = None) -> Table:
    """Headline figures, one per line, with their intervals."""
    nps = figures.nps
    out = _table("Program", [("figure", False), ("value", True), ("detail", False)])
    out.add_row("Customers", number(figures.customers),
                f"{number(figures.active)} active; MRR {money(figures.mrr_minor, currency)}")
    out.add_row(f"Logo churn ({figures.churn_window_days} days)", share(figures.churn_rate),
                f"95% {interval(figures.churn_low, figures.churn_high, 1, percent=True)}; "
                f"{share(figures.monthly_churn)} a month")
    out.add_row("NPS", number(nps.nps), f"95% {interval(nps.low, nps.high)}; n={nps.n}")
    out.add_row("CSAT satisfied", f"{number(figures.csat_pct, 1)}%" if figures.csat_accounts
                else MISSING, f"{figures.csat_accounts} accounts answered")
    out.add_row("CRC per customer", money(figures.crc_per_customer_minor, currency),
                f"total {money(figures.crc_total_minor, currency)}")
    retention = revenue_retention_text(program)
    if retention:
        out.add_row("Revenue retention (12 months)", *retention)
    return out


def _affiliate_row(data: ReportData, row: Row) -> list[Text | str]:
    return [rank(row.get("quality_rank")), rank(row.get("volume_rank")),
            Text(data.name_of(row)), Text(str(row.get("suggested_tier") or MISSING)),
            f'{number(row.get("quality_score"))} '
            f'{interval(row.get("quality_low"), row.get("quality_high"))}',
            number(row.get("referred_accounts")), share(row.get("churn_180d")),
            number(row.get("nps")), money(row.get("ltv_margin_per_account_minor"), data.currency)]


def affiliates_table(data: ReportData, shown: int = SHOWN_EACH) -> Table:
    """The `shown` best and worst affiliates by quality, volume rank beside."""
    columns = [("quality", True), ("volume", True), ("affiliate", False), ("tier", False),
               ("score [90%]", True), ("referred", True),
               ("180d churn", True), ("NPS", True), ("LTV / account", True)]
    out = _table(f"Affiliates: best and worst {shown} by quality (of {len(data.affiliates)})",
                 columns)
    rows = data.affiliates
    best, worst = rows[:shown], rows[max(shown, len(rows) - shown):]
    for row in best:
        out.add_row(*_affiliate_row(data, row))
    if worst:
        if len(rows) > 2 * shown:
            out.add_row(*["…"] * len(columns))  # the middle of the board is left out
        else:
            out.add_section()
        for row in worst:
            out.add_row(*_affiliate_row(data, row))
    return out


def channels_table(data: ReportData) -> Table:
    """Every channel's key figures."""
    columns = [("channel", False), ("accounts", True), ("active", True), ("180d churn", True),
               ("NPS", True), ("95% interval", True), ("LTV / account", True),
               ("CRC / account", True), ("quality", True)]
    out = _table("Channels", columns)
    for row in sorted(data.channels, key=lambda r: -(r.get("referred_accounts") or 0)):
        out.add_row(Text(str(row["source_id"])), number(row.get("referred_accounts")),
                    number(row.get("active_accounts")), share(row.get("churn_180d")),
                    number(row.get("nps")), interval(row.get("nps_low"), row.get("nps_high")),
                    money(row.get("ltv_margin_per_account_minor"), data.currency),
                    money(row.get("crc_per_account_minor"), data.currency),
                    number(row.get("quality_score")))
    return out


def bands_table(figures: ProgramFigures) -> Table:
    """Active accounts per health band."""
    out = _table("Health of active accounts", [("band", False), ("accounts", True),
                                               ("share", True)])
    total = sum(figures.bands.values())
    for band in BANDS:
        count = figures.bands[band]
        out.add_row(Text(band, style=BAND_STYLES[band]), number(count),
                    share(count / total) if total else MISSING)
    return out


def report_tables(data: ReportData) -> list[RenderableType]:
    """Everything `successlink report` prints, in order."""
    figures = program_figures(data.accounts, data.as_of)
    tables: list[RenderableType] = [program_table(figures, data.currency, data.program)]
    if data.affiliates:
        tables.append(affiliates_table(data))
    if data.channels:
        tables.append(channels_table(data))
    tables.append(bands_table(figures))
    return tables
