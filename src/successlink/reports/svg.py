"""Matplotlib figures as inline SVG: no files, no fonts to fetch, the same bytes every time.

The report is one offline HTML file, so every chart is inlined as `<svg>`. Matplotlib's SVG
carries a creation date, an RDF block with web addresses and random element ids; here the
date is dropped, ids come from a fixed salt and get a per-chart prefix (several charts share
one page), and text stays text so the page's own font renders it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # never open a window; the report runs on servers and in CI

from matplotlib.figure import Figure

STYLE: dict[str, Any] = {
    "svg.hashsalt": "successlink-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#888888",
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
    "legend.fontsize": 8.0,
}
_DROP = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>|<!--.*?-->",
                   re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


@contextmanager
def chart_style() -> Iterator[None]:
    """The report's look, applied only while a chart is drawn and saved."""
    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]  # keys are checked at run time
        yield


def new_figure(width: float = 7.5, height: float = 4.2) -> Figure:
    """A figure not registered with pyplot (nothing global to close or leak)."""
    return Figure(figsize=(width, height), layout="constrained")


def to_svg(figure: Figure, name: str) -> str:
    """The figure as an `<svg>` element whose ids all start with `name-`."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = _DROP.sub("", buffer.getvalue().decode("utf-8")).strip()
    text = _ID.sub(lambda m: f'id="{name}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{name} chart" ', 1)
