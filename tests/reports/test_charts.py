"""Charts are valid SVG, identical for identical data, and absent when there is nothing to draw."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from successlink.reports.charts import CHARTS, render_charts
from successlink.reports.data import ReportData

SVG = "{http://www.w3.org/2000/svg}svg"


def test_every_chart_is_a_parseable_svg_element(charts: dict[str, str | None]):
    assert set(charts) == set(CHARTS)
    for name, svg in charts.items():
        assert svg is not None, name
        assert ET.fromstring(svg).tag == SVG, name


def test_the_same_data_gives_the_same_bytes(hostile_data: ReportData,
                                            charts: dict[str, str | None]):
    for name, draw in CHARTS.items():
        assert draw(hostile_data) == charts[name], name


def test_charts_carry_no_date_metadata_or_web_address(charts: dict[str, str | None]):
    for svg in charts.values():
        assert svg is not None
        assert "<metadata" not in svg and "<dc:date" not in svg
        without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", svg)
        assert "http" not in without_namespaces


def test_element_ids_are_unique_across_all_charts_of_a_page(charts: dict[str, str | None]):
    ids = [i for svg in charts.values() if svg for i in re.findall(r'\bid="([^"]+)"', svg)]
    assert ids and len(ids) == len(set(ids))
    for svg in charts.values():
        assert svg is not None
        for ref in re.findall(r'(?:url\(#|href="#)([^")]+)', svg):
            assert f'id="{ref}"' in svg


def test_affiliate_names_are_escaped_inside_the_svg(charts: dict[str, str | None]):
    svg = charts["quality_volume"]
    assert svg is not None
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_charts_without_data_are_none_but_channel_charts_still_draw(empty_data: ReportData):
    charts = render_charts(empty_data)
    assert charts["quality_volume"] is None
    assert charts["rank_slope"] is None
    assert charts["nps"] is None
    assert charts["retention"] is not None  # channels have curves
    assert charts["health"] is not None
