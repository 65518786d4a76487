"""The terminal tables render, show data as text (not Rich markup) and cope with no affiliates."""

from __future__ import annotations

from rich.console import Console

from successlink.reports.data import ReportData
from successlink.reports.terminal import affiliates_table, report_tables


def printed(data: ReportData) -> str:
    console = Console(record=True, width=220, color_system=None)
    for renderable in report_tables(data):
        console.print(renderable)
    return console.export_text()


def test_tables_show_program_affiliates_channels_and_bands(hostile_data: ReportData):
    out = printed(hostile_data)
    for title in ("Program", "Affiliates: best and worst 5 by quality (of 14)", "Channels",
                  "Health of active accounts"):
        assert title in out
    assert "<script>alert(1)</script>" in out  # best affiliate, printed literally
    assert "paid_search" in out and "USD" in out
    assert "…" in out  # the middle of a 14-affiliate board is left out


def test_names_that_look_like_rich_markup_print_literally(hostile_data: ReportData):
    row = dict(hostile_data.affiliates[0], name="[bold red]Evil[/]")
    data = ReportData(**{**hostile_data.__dict__, "affiliates": [row]})
    console = Console(record=True, width=220, color_system=None)
    console.print(affiliates_table(data))
    assert "[bold red]Evil[/]" in console.export_text()


def test_no_affiliates_and_no_answers_still_print(empty_data: ReportData):
    out = printed(empty_data)
    assert "Affiliates" not in out
    assert "Channels" in out and "EUR" in out
    assert "nan" not in out.lower()
