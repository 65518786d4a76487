"""The HTML report: every section, nothing fetched from the web, hostile text escaped."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from successlink.reports.data import ReportData
from successlink.reports.html import (
    advocates_section,
    drivers_section,
    render_html,
    table,
    write_html,
)

SECTIONS = ("program", "affiliates", "channels", "charts", "drivers", "advocates")
CHARTS = ("quality_volume", "rank_slope", "retention", "health", "nps", "crc_ltv",
          "predicted_value", "calibration", "lift")
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def page(hostile_data: ReportData, charts: dict[str, str | None]) -> str:
    return render_html(hostile_data, charts)


def test_the_page_has_every_section_and_chart(page: str):
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
    for chart in CHARTS:
        assert f'<figure id="chart-{chart}"><h3>' in page
        assert f'<figure id="chart-{chart}"><h3>' in page
    assert page.count("<svg ") == len(CHARTS)


def test_nothing_is_fetched_from_the_web(page: str):
    assert not EXTERNAL.search(page)
    assert "@import" not in page and "url(http" not in page
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "<link" not in page


def test_hostile_names_are_escaped(page: str):
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "acme &lt;demo&gt;" in page
    assert "Partner 01 &amp; Co" in page


def test_header_names_the_day_and_currency(page: str):
    assert "2026-06-30" in page
    assert "money in <strong>USD</strong>" in page


def test_numbers_are_right_aligned_and_money_carries_the_currency(page: str):
    assert '<th class="num">Quality rank</th>' in page
    assert re.search(r'<td class="num">[\d,]+(\.\d\d)? USD</td>', page)


def test_empty_program_renders_with_explanations(empty_data: ReportData, tmp_path: Path):
    path = write_html(empty_data, tmp_path / "nested" / "report.html")
    page = path.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
    assert "No affiliate has referred an account yet." in page
    assert "Not enough data for this chart yet." in page
    assert "EUR" in page
    assert "nan" not in page.lower().replace("nance", "")


def test_advocates_are_listed_with_reasons_and_contacts_escaped():
    rows = [{"account_id": "acc_1", "name": "Globex <b>", "advocacy_score": 91.25,
             "reasons": ["Promoter (NPS 10)", "Usage up 40% <fast>"],
             "contacts": [{"name": "Ann", "email": "ann@globex.test", "role": "champion",
                           "job_title": "Head of Ops"}]}]
    html = advocates_section(rows, "USD")
    assert "Globex &lt;b&gt;" in html and "<b>" not in html
    assert "<li>Usage up 40% &lt;fast&gt;</li>" in html
    assert "Ann (champion, Head of Ops) &lt;ann@globex.test&gt;" in html
    assert '<td class="num">91.2</td>' in html or '<td class="num">91.3</td>' in html


def test_advocates_missing_or_empty_say_so():
    assert "not computed" in advocates_section(None, "USD")
    assert "No account qualifies" in advocates_section([], "USD")


def test_table_escapes_cells_and_says_when_empty():
    html = table([("name", False), ("n", True)], [["<i>", "1"]])
    assert "<td>&lt;i&gt;</td>" in html and '<td class="num">1</td>' in html
    assert table([("name", False)], [], empty="none <here>") == \
        '<p class="empty">none &lt;here&gt;</p>'


def test_revenue_retention_shows_when_the_score_stored_it(hostile_data: ReportData,
                                                           charts: dict[str, str | None]):
    stored = replace(hostile_data, program={"revenue_grr": 0.912, "revenue_nrr": 1.045,
                                            "revenue_accounts": 120})
    page = render_html(stored, charts=charts)
    assert "GRR 91.2%" in page and "NRR 104.5%" in page
    assert "revenue churn 8.8%" in page
    assert "GRR" not in render_html(replace(hostile_data, program=None), charts=charts)


def test_drivers_section_lists_milestones_and_behaviours() -> None:
    import numpy as np

    from successlink.models.drivers.deciles import metric_deciles, rates
    from successlink.models.drivers.milestones import Milestone, effect
    from successlink.models.drivers.study import DriverStudy

    reached = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    stayed = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    days = metric_deciles("active_days_30", [0, 0, 1, 2, 5, 8, 9, 12],
                          [1, 1, 1, 0, 0, 0, 0, 0], [0] * 8)
    churn, grow, kept = rates([3, 0, 4], [8, 8, 8])
    study = DriverStudy(date(2026, 6, 30), date(2026, 4, 1), 90, churn, grow, (days,),
                        (("active_days_30", "events_30"),), 30, kept,
                        (effect(Milestone("m", "invited <a colleague>"), reached, stayed),), ())
    html = drivers_section(study)
    assert "invited &lt;a colleague&gt;" in html
    assert "+50 pts" in html and "75% (n=4)" in html
    assert "active_days_30" in html and "events_30" in html
    assert "not proof of cause" in html
    assert "were not computed" in drivers_section(None)
