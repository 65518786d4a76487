"""The report's charts, each an inline SVG string (or None when there is nothing to draw).

Each answers one question a program manager asks: which affiliates bring good customers and
not just many (quality vs volume, the rank slope), who keeps customers (retention), how the
base feels (health, NPS) and whether customers are worth what keeping them costs (CRC vs LTV).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow.compute as pc
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import PathCollection
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from successlink.reports.data import ReportData, Row
from successlink.reports.formatting import is_missing, major_units
from successlink.reports.svg import chart_style, new_figure, to_svg

TIER_COLOURS = {"platinum": "#4c5fd5", "gold": "#d9a400", "silver": "#8c96a3",
                "bronze": "#b5651d", "new": "#c9c9c9", "review": "#d62728"}
BAND_COLOURS = {"green": "#2ca02c", "yellow": "#e6b800", "red": "#d62728"}
OTHER_COLOUR = "#7f7f7f"
LABELLED = 5
CURVE_MIN_ACCOUNTS = 10
CURVE_SOURCES = 3
NPS_AFFILIATES = 15
SLOPE_EACH = 10


def _value(row: Row, name: str) -> float:
    """A float column of a scorecard row; NaN when missing."""
    value = row.get(name)
    return math.nan if is_missing(value) else float(value)  # type: ignore[arg-type]


def _errors(rows: Sequence[Row], centre: str, low: str, high: str) -> np.ndarray:
    """Asymmetric error-bar lengths (2 x n), never negative, zero where an end is unknown."""
    mid = np.array([_value(r, centre) for r in rows])
    below = np.nan_to_num(mid - np.array([_value(r, low) for r in rows]), nan=0.0)
    above = np.nan_to_num(np.array([_value(r, high) for r in rows]) - mid, nan=0.0)
    return np.vstack([np.maximum(below, 0.0), np.maximum(above, 0.0)])


def _log_axis(axis: Axis, low: float, high: float) -> None:
    """Tick a log-scaled axis in plain numbers (not 2 x 10^1): 1, 2, 5, 10, ... over a few
    decades, only powers of ten over more (the labels would collide)."""
    subs = (1.0, 2.0, 5.0) if high <= 1000.0 * max(low, 1e-9) else (1.0,)
    axis.set_major_locator(LogLocator(subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axis.set_minor_formatter(NullFormatter())


def quality_volume_svg(data: ReportData) -> str | None:
    """Affiliates: referred accounts (log x) against the shrunk quality score and its interval."""
    rows = [r for r in data.affiliates if not is_missing(r.get("quality_score"))
            and (r.get("referred_accounts") or 0) > 0]
    if not rows:
        return None
    with chart_style():
        figure = new_figure(7.5, 4.6)
        ax = figure.add_subplot()
        order = list(TIER_COLOURS)
        tiers = {str(r["suggested_tier"]) for r in rows}
        for tier in sorted(tiers, key=lambda t: (order.index(t) if t in order else 99, t)):
            group = [r for r in rows if str(r["suggested_tier"]) == tier]
            ax.errorbar([r["referred_accounts"] for r in group],
                        [_value(r, "quality_score") for r in group],
                        yerr=_errors(group, "quality_score", "quality_low", "quality_high"),
                        fmt="o", ms=4, elinewidth=0.7, alpha=0.85, label=tier,
                        color=TIER_COLOURS.get(tier, OTHER_COLOUR))
        ranked = sorted(rows, key=lambda r: -_value(r, "quality_score"))
        for row in ranked[:LABELLED] + ranked[LABELLED:][-LABELLED:]:
            ax.annotate(data.name_of(row), (row["referred_accounts"], _value(row, "quality_score")),
                        xytext=(4, 3), textcoords="offset points", fontsize=7)
        ax.set_xscale("log")
        referred = [float(r["referred_accounts"]) for r in rows]
        _log_axis(ax.xaxis, min(referred), max(referred))
        ax.set_xlabel("referred accounts (log scale)")
        ax.set_ylabel("quality score (0-100, 90% interval)")
        ax.set_title("Affiliate quality vs volume")
        ax.legend(title="suggested tier", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return to_svg(figure, "quality-volume")


def _draw_curves(ax: Axes, data: ReportData, sources: Sequence[tuple[str, str, str]],
                 title: str) -> None:
    """Step curves for (kind, id, style) sources; sources without a curve are skipped."""
    for kind, source_id, style in sources:
        curve = data.curves.get((kind, source_id))
        if curve is None:
            continue
        label = source_id if kind == "channel" else _affiliate_label(data, source_id)
        ax.step(curve.days, [100.0 * s for s in curve.survival], where="post",
                linestyle=style, linewidth=1.3, label=label)
    ax.set_title(title)
    ax.set_xlabel("days since start")
    ax.set_ylim(0, 102)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left")


def _affiliate_label(data: ReportData, source_id: str) -> str:
    row = next((r for r in data.affiliates if r["source_id"] == source_id), None)
    return data.name_of(row) if row else source_id


def retention_svg(data: ReportData) -> str | None:
    """Kaplan-Meier retention by channel, and for the best and worst sizeable affiliates."""
    channels = [("channel", str(r["source_id"]), "-") for r in
                sorted(data.channels, key=lambda r: -(r.get("referred_accounts") or 0))]
    sizeable = [r for r in data.affiliates if (r.get("referred_accounts") or 0)
                >= CURVE_MIN_ACCOUNTS and not is_missing(r.get("quality_score"))]
    sizeable.sort(key=lambda r: -_value(r, "quality_score"))
    top = sizeable[:CURVE_SOURCES]
    bottom = [r for r in sizeable[-CURVE_SOURCES:] if r not in top]
    affiliates = ([("affiliate", str(r["source_id"]), "-") for r in top]
                  + [("affiliate", str(r["source_id"]), "--") for r in bottom])
    if not any(key[:2] in data.curves for key in channels + affiliates):
        return None
    with chart_style():
        figure = new_figure(9.0, 3.8)
        left, right = figure.subplots(1, 2, sharey=True)
        _draw_curves(left, data, channels, "Retention by channel")
        left.set_ylabel("% still customers")
        _draw_curves(right, data, affiliates,
                     f"Best and worst {CURVE_SOURCES} affiliates by quality")
        right.set_xlabel(f"days since start (affiliates with ≥ {CURVE_MIN_ACCOUNTS} "
                         "accounts; dashed = worst)")
        return to_svg(figure, "retention")


def health_svg(data: ReportData) -> str | None:
    """Histogram of active accounts' health scores, stacked by band, beside the band counts."""
    active = data.accounts.filter(pc.fill_null(data.accounts.column("is_active"), False))
    scores = active.column("health_score").to_pylist()
    bands = active.column("health_band").to_pylist()
    if not any(s is not None for s in scores):
        return None
    bins = np.arange(0, 105, 5)
    with chart_style():
        figure = new_figure(9.0, 3.4)
        hist, counts = figure.subplots(1, 2, width_ratios=[3, 1])
        names = list(BAND_COLOURS)
        stacks = [[s for s, b in zip(scores, bands, strict=True) if s is not None and b == band]
                  for band in names]
        hist.hist(stacks, bins=bins, stacked=True, color=[BAND_COLOURS[b] for b in names],
                  label=names)
        hist.set_title("Health scores of active accounts")
        hist.set_xlabel("health score")
        hist.set_ylabel("accounts")
        totals = [len(s) for s in stacks]
        counts.barh(names, totals, color=[BAND_COLOURS[b] for b in names])
        for y, total in enumerate(totals):
            counts.annotate(f"{total:,}", (total, y), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=8)
        counts.set_title("Accounts per band")
        counts.invert_yaxis()
        counts.grid(False)
        return to_svg(figure, "health")


def nps_svg(data: ReportData) -> str | None:
    """NPS with adjusted-Wald 95% intervals for channels and the largest affiliates."""
    largest = sorted(data.affiliates, key=lambda r: (-(r.get("referred_accounts") or 0),
                                                     str(r["source_id"])))[:NPS_AFFILIATES]
    rows = [(f"channel · {r['source_id']}", r) for r in data.channels] + \
           [(f"{data.name_of(r)}", r) for r in largest]
    rows = [(label, r) for label, r in rows if not is_missing(r.get("nps"))]
    if not rows:
        return None
    with chart_style():
        figure = new_figure(7.5, 1.2 + 0.24 * len(rows))
        ax = figure.add_subplot()
        y = np.arange(len(rows))
        colours = ["#4c5fd5" if r["source_kind"] == "channel" else "#444444" for _, r in rows]
        ax.hlines(y, [_value(r, "nps_low") for _, r in rows],
                  [_value(r, "nps_high") for _, r in rows], colors=colours, linewidth=1.2)
        ax.scatter([_value(r, "nps") for _, r in rows], y, c=colours, s=14, zorder=3)
        ax.set_yticks(y, [f"{label} (n={r.get('nps_respondents') or 0})" for label, r in rows])
        ax.axvline(0.0, color="#888888", linewidth=0.8)
        ax.set_xlim(-100, 100)
        ax.invert_yaxis()
        ax.set_xlabel("NPS (adjusted-Wald 95% interval)")
        ax.set_title(f"NPS by channel and for the {NPS_AFFILIATES} largest affiliates")
        return to_svg(figure, "nps")


def _crc_ltv_points(data: ReportData, rows: Sequence[Row]) -> list[tuple[float, float, Row]]:
    """(CRC, LTV) per source in major units, where both are known and positive (log axes)."""
    points = []
    for row in rows:
        crc, ltv = _value(row, "crc_per_account_minor"), _value(row, "ltv_margin_per_account_minor")
        if crc > 0 and ltv > 0:
            points.append((major_units(crc, data.currency), major_units(ltv, data.currency), row))
    return points


def crc_ltv_svg(data: ReportData) -> str | None:
    """Retention cost against margin LTV per account (log-log), with the line CRC = LTV."""
    groups = [("affiliates", _crc_ltv_points(data, data.affiliates), "o", "#444444"),
              ("channels", _crc_ltv_points(data, data.channels), "s", "#4c5fd5")]
    values = [v for _, points, _, _ in groups for x, y, _ in points for v in (x, y)]
    if not values:
        return None
    with chart_style():
        figure = new_figure(7.0, 4.6)
        ax = figure.add_subplot()
        largest = max((r.get("referred_accounts") or 0 for _, points, _, _ in groups
                       for _, _, r in points), default=0) or 1
        for label, points, marker, colour in groups:
            # Marker area grows with referred accounts, up to a fixed size for the largest.
            sizes = [8 + 140 * math.sqrt((r.get("referred_accounts") or 0) / largest)
                     for _, _, r in points]
            ax.scatter([x for x, _, _ in points], [y for _, y, _ in points], s=sizes,
                       marker=marker, c=colour, alpha=0.6, label=label)
        for x, y, row in groups[1][1]:
            ax.annotate(str(row["source_id"]), (x, y), xytext=(4, 3),
                        textcoords="offset points", fontsize=7)
        low, high = min(values) / 1.5, max(values) * 1.5
        ax.plot([low, high], [low, high], color="#d62728", linewidth=0.8, linestyle="--",
                label="CRC = LTV")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _log_axis(ax.xaxis, low, high)
        _log_axis(ax.yaxis, low, high)
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.set_xlabel(f"retention cost per account ({data.currency}, log scale)")
        ax.set_ylabel(f"margin LTV per account ({data.currency}, log scale)")
        ax.set_title("Customer retention cost vs lifetime value (above the line: worth it)")
        legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        for handle in legend.legend_handles:
            if isinstance(handle, PathCollection):
                handle.set_sizes([30.0])  # not the size of whichever source came first
        return to_svg(figure, "crc-ltv")


def rank_slope_svg(data: ReportData) -> str | None:
    """Slope chart: where the top affiliates by volume and by quality sit in the other ranking."""
    ranked = [r for r in data.affiliates
              if not is_missing(r.get("volume_rank")) and not is_missing(r.get("quality_rank"))]
    by_volume = sorted(ranked, key=lambda r: r["volume_rank"])[:SLOPE_EACH]
    by_quality = sorted(ranked, key=lambda r: r["quality_rank"])[:SLOPE_EACH]
    rows = by_volume + [r for r in by_quality if r not in by_volume]
    if not rows:
        return None
    with chart_style():
        figure = new_figure(6.5, 1.5 + 0.22 * len(rows))
        ax = figure.add_subplot()
        for row in rows:
            v, q = int(row["volume_rank"]), int(row["quality_rank"])
            colour = "#2ca02c" if q <= v else "#d62728"
            ax.plot([0, 1], [v, q], color=colour, marker="o", ms=3, linewidth=1.0)
            ax.annotate(f"{data.name_of(row)} #{v}", (0, v), xytext=(-5, 0),
                        textcoords="offset points", ha="right", va="center", fontsize=7)
            ax.annotate(f"#{q} {data.name_of(row)}", (1, q), xytext=(5, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=7)
        ax.set_yscale("log")
        ax.invert_yaxis()
        ax.set_xticks([0, 1], ["volume rank", "quality rank"])
        ax.set_yticks([])
        ax.minorticks_off()
        ax.grid(False)
        ax.spines["left"].set_visible(False)
        ax.set_xlim(-0.6, 1.6)
        ax.set_title("Volume ranking vs quality ranking (green: better on quality)")
        return to_svg(figure, "rank-slope")


def predicted_value_svg(data: ReportData) -> str | None:
    """Per affiliate: net revenue so far per referred account against the predicted value
    still to come (with its interval), so young books can be read beside old ones."""
    rows = [r for r in data.affiliates
            if not is_missing(r.get("predicted_ltv_per_account_minor"))
            and not is_missing(r.get("revenue_per_account_minor"))]
    if not rows:
        return None
    x = np.array([major_units(_value(r, "revenue_per_account_minor"), data.currency)
                  for r in rows])
    y = np.array([major_units(_value(r, "predicted_ltv_per_account_minor"), data.currency)
                  for r in rows])
    low = np.array([major_units(_value(r, "predicted_ltv_low_minor"), data.currency)
                    for r in rows])
    high = np.array([major_units(_value(r, "predicted_ltv_high_minor"), data.currency)
                     for r in rows])
    largest = max((r.get("referred_accounts") or 0 for r in rows), default=0) or 1
    with chart_style():
        figure = new_figure(7.0, 4.6)
        ax = figure.add_subplot()
        ax.errorbar(x, y, yerr=np.vstack([np.clip(y - low, 0, None), np.clip(high - y, 0, None)]),
                    fmt="none", ecolor="#bbbbbb", elinewidth=0.8, zorder=1)
        colours = [TIER_COLOURS.get(str(r.get("suggested_tier")), OTHER_COLOUR) for r in rows]
        sizes = [8 + 140 * math.sqrt((r.get("referred_accounts") or 0) / largest) for r in rows]
        ax.scatter(x, y, s=sizes, c=colours, alpha=0.75, zorder=2)
        for i in np.argsort(-y)[:LABELLED]:
            ax.annotate(data.name_of(rows[i]), (x[i], y[i]), xytext=(4, 3),
                        textcoords="offset points", fontsize=7)
        ax.set_xlabel(f"net revenue so far per referred account ({data.currency})")
        ax.set_ylabel(f"predicted value to come per account ({data.currency})")
        ax.set_title("Realised so far vs predicted to come, per affiliate (bars: 90% interval)")
        return to_svg(figure, "predicted-value")


def _bins(scores: Row | None) -> list[tuple[int, float, float]]:
    """(rows, mean predicted, observed) per calibration bin of a backtest's figures."""
    if not scores:
        return []
    return [(int(b["rows"]), float(b["mean_predicted"]), float(b["observed"]))
            for b in scores.get("curve") or [] if int(b["rows"]) > 0]


def calibration_svg(data: ReportData) -> str | None:
    """Predicted against observed churn per bin of the backtest (booster and baseline)."""
    model = data.churn_model
    booster = _bins(model.get("pooled") if model else None)
    if not booster:
        return None
    assert model is not None
    baseline = _bins(model.get("baseline"))
    top = max(max(p, o) for _, p, o in booster + baseline) * 1.1
    with chart_style():
        figure = new_figure(5.6, 4.4)
        ax = figure.add_subplot()
        ax.plot([0, top], [0, top], color="#d62728", linewidth=0.8, linestyle="--",
                label="perfect calibration")
        ax.plot([p for _, p, _ in booster], [o for _, _, o in booster], marker="o",
                color="#4c5fd5", label=f"calibrated booster (ECE {model['pooled']['ece']:.3f})")
        if baseline:
            ax.plot([p for _, p, _ in baseline], [o for _, _, o in baseline], marker="s",
                    color="#8c96a3", label="logistic baseline")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel("predicted churn probability (bin mean)")
        ax.set_ylabel("observed churn rate")
        ax.set_title("Churn model calibration (rolling-origin backtest)")
        ax.legend(loc="upper left", fontsize=7)
        return to_svg(figure, "calibration")


def lift_svg(data: ReportData) -> str | None:
    """Observed churn of each bin of predicted risk over the overall rate, riskiest last."""
    model = data.churn_model
    booster = _bins(model.get("pooled") if model else None)
    if not booster:
        return None
    overall = sum(n * o for n, _, o in booster) / sum(n for n, _, _ in booster)
    if overall <= 0:
        return None
    with chart_style():
        figure = new_figure(5.6, 4.0)
        ax = figure.add_subplot()
        positions = np.arange(1, len(booster) + 1)
        ax.bar(positions, [o / overall for _, _, o in booster], color="#4c5fd5", alpha=0.8)
        ax.axhline(1.0, color="#d62728", linewidth=0.8, linestyle="--")
        ax.set_xticks(positions)
        ax.set_xlabel("bin of predicted risk (equal numbers of accounts, lowest first)")
        ax.set_ylabel("churn rate / overall churn rate")
        lift = float(model["pooled"]["lift_top_decile"]) if model else float("nan")
        ax.set_title(f"Lift by bin of predicted risk (top-decile lift {lift:.1f}x)")
        return to_svg(figure, "lift")


CHARTS = {
    "quality_volume": quality_volume_svg,
    "retention": retention_svg,
    "health": health_svg,
    "nps": nps_svg,
    "crc_ltv": crc_ltv_svg,
    "rank_slope": rank_slope_svg,
    "predicted_value": predicted_value_svg,
    "calibration": calibration_svg,
    "lift": lift_svg,
}


def render_charts(data: ReportData) -> dict[str, str | None]:
    """Every chart of the report by name; None where the data has nothing to show."""
    return {name: draw(data) for name, draw in CHARTS.items()}
