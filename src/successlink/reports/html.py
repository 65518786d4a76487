"""The report as one self-contained HTML file: inline CSS and SVG, no script, no web address.

It is mailed around and opened on laptops without network access, so nothing may be fetched:
no CDN, no web font, no remote image. Every piece of text that came from data (affiliate
names, reasons, contact details) is escaped, because affiliates choose their own names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from successlink.models.drivers.deciles import Rate
from successlink.models.drivers.study import DriverStudy
from successlink.reports.charts import render_charts
from successlink.reports.data import ReportData, Row
from successlink.reports.figures import (
    BANDS,
    ProgramFigures,
    program_figures,
    revenue_retention_text,
)
from successlink.reports.formatting import MISSING, interval, money, number, rank, share
from successlink.reports.page_style import CSS

CHART_CAPTIONS = {
    "quality_volume": ("Affiliate quality vs volume",
                       "Each dot is an affiliate: how many accounts it referred (log scale) and "
                       "its shrunk quality score with the 90% interval. Top right is what you "
                       "want; a long bar means too few accounts to be sure."),
    "rank_slope": ("Volume ranking vs quality ranking",
                   "The largest affiliates and the best ones, joined from their volume rank "
                   "to their quality rank. Green lines rise on quality, red ones fall."),
    "retention": ("Retention curves",
                  "Kaplan-Meier share of accounts still customers, by days since they started: "
                  "per channel, and for the best and worst affiliates by quality."),
    "health": ("Health distribution",
               "Health scores of active accounts, coloured by band, and the count per band."),
    "nps": ("NPS by source",
            "Net Promoter Score of each channel and of the 15 largest affiliates, with "
            "adjusted-Wald 95% intervals; n is the number of accounts that answered."),
    "crc_ltv": ("Retention cost vs lifetime value",
                "Per account: what keeping the customers costs (CRC) against their margin LTV. "
                "Sources above the dashed line earn more than they cost to retain."),
    "predicted_value": ("Realised vs predicted value per affiliate",
                        "Each dot is an affiliate (size: referred accounts, colour: suggested "
                        "tier): net revenue its accounts paid so far against the margin value "
                        "they are predicted to bring from now on (cohort sBG with pooling "
                        "towards the channel; bars: 90% interval). Young affiliates sit on the "
                        "left; high dots there are the promising ones."),
    "calibration": ("Churn model calibration",
                    "Rolling-origin backtest of the churn model in use: accounts binned by "
                    "predicted churn probability, the bin's mean prediction against the share "
                    "that really churned. On the dashed line a 20% prediction means 20% churn."),
    "lift": ("Churn model lift",
             "The same bins: how many times the overall churn rate each bin of predicted risk "
             "shows. A steep rise to the right means the riskiest accounts are found first."),
}


class Safe(str):
    """Text that is already HTML (built here from escaped parts): not escaped again."""

    __slots__ = ()


def text(value: object) -> Safe:
    """Data as HTML text: escaped, quotes included."""
    return value if isinstance(value, Safe) else Safe(escape(str(value), quote=True))


def table(headers: Sequence[tuple[str, bool]], rows: Iterable[Sequence[object]],
          *, caption: str | None = None, empty: str = "Nothing to show.") -> Safe:
    """A table; headers are (label, numeric) and numeric columns are right-aligned."""
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{text(v)}</td>' if numeric else f"<td>{text(v)}</td>"
                        for v, (_, numeric) in zip(row, headers, strict=True))
        body.append(f"<tr>{cells}</tr>")
    if not body:
        return Safe(f'<p class="empty">{text(empty)}</p>')
    head = "".join(f'<th class="num">{text(h)}</th>' if numeric else f"<th>{text(h)}</th>"
                   for h, numeric in headers)
    cap = f"<caption>{text(caption)}</caption>" if caption else ""
    return Safe(f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table></div>')


def figure_card(label: str, value: str, detail: str = "") -> str:
    """One headline number with a line of context."""
    extra = f'<div class="detail">{text(detail)}</div>' if detail else ""
    return (f'<div class="figure"><div class="label">{text(label)}</div>'
            f'<div class="value">{text(value)}</div>{extra}</div>')


def revenue_cards(program: Row | None) -> list[str]:
    """GRR and NRR over the trailing year, when the score run stored them."""
    text = revenue_retention_text(program)
    return [figure_card("Revenue retention, last 12 months", *text)] if text else []


def program_section(figures: ProgramFigures, currency: str, program: Row | None = None) -> str:
    """The headline numbers of the whole program."""
    nps = figures.nps
    cards = [
        figure_card("Customers", number(figures.customers),
                    f"{number(figures.active)} active, MRR {money(figures.mrr_minor, currency)}"),
        figure_card(f"Logo churn, last {figures.churn_window_days} days",
                    share(figures.churn_rate),
                    f"95% {interval(figures.churn_low, figures.churn_high, 1, percent=True)}; "
                    f"{figures.churned} of {figures.churn_base}; "
                    f"{share(figures.monthly_churn)} a month"),
        figure_card("NPS", number(nps.nps), f"95% {interval(nps.low, nps.high)}; "
                    f"{number(nps.n)} accounts answered"),
        figure_card("CSAT satisfied", f"{number(figures.csat_pct, 1)}%"
                    if figures.csat_accounts else MISSING,
                    f"mean over {number(figures.csat_accounts)} accounts with answers"),
        figure_card("Retention cost per customer", money(figures.crc_per_customer_minor, currency),
                    f"total {money(figures.crc_total_minor, currency)}"),
        *revenue_cards(program),
        figure_card("Health of active accounts",
                    " / ".join(number(figures.bands[b]) for b in BANDS),
                    "green / yellow / red"),
    ]
    return (f'<section id="program"><h2>Program</h2><div class="figures">{"".join(cards)}'
            "</div></section>")


LEADERBOARD = [("Quality rank", True), ("Volume rank", True), ("Affiliate", False),
               ("Tier", False), ("Quality", True), ("90% interval", True), ("Referred", True),
               ("Active", True), ("180-day churn", True), ("NPS", True),
               ("Revenue / account", True), ("LTV / account", True), ("CRC / account", True),
               ("Est. commissions", True), ("Net value", True), ("Why this tier", False)]


def leaderboard_row(data: ReportData, row: Row) -> list[object]:
    """One affiliate's line in the leaderboard."""
    c = data.currency
    return [rank(row.get("quality_rank")), rank(row.get("volume_rank")), data.name_of(row),
            row.get("suggested_tier") or MISSING, number(row.get("quality_score")),
            interval(row.get("quality_low"), row.get("quality_high")),
            number(row.get("referred_accounts")), number(row.get("active_accounts")),
            share(row.get("churn_180d")), number(row.get("nps")),
            money(row.get("revenue_per_account_minor"), c),
            money(row.get("ltv_margin_per_account_minor"), c),
            money(row.get("crc_per_account_minor"), c), money(row.get("commissions_minor"), c),
            money(row.get("net_value_minor"), c), row.get("tier_reason") or ""]


def leaderboard_section(data: ReportData) -> str:
    """Every affiliate by quality rank, its volume rank beside it."""
    rows = [leaderboard_row(data, r) for r in data.affiliates]
    return ('<section id="affiliates"><h2>Affiliate leaderboard</h2>'
            '<p class="note">Ranked by the shrunk quality score; the volume rank says where '
            "the same affiliate would stand if only the number of referrals counted. "
            "Commissions are estimated from the configured rate.</p>"
            f'{table(LEADERBOARD, rows, empty="No affiliate has referred an account yet.")}'
            "</section>")


CHANNELS = [("Channel", False), ("Accounts", True), ("Active", True), ("90-day churn", True),
            ("180-day churn", True), ("Retained at horizon", True), ("RMST (days)", True),
            ("Revenue / account", True), ("LTV / account", True), ("NPS", True),
            ("NPS 95% interval", True), ("CSAT", True), ("Green / yellow / red", True),
            ("Tickets / account (90 d)", True), ("CRC / account", True)]


def channel_row(data: ReportData, row: Row) -> list[object]:
    """One channel's line in the channel scorecard."""
    c = data.currency
    mix = " / ".join(share(row.get(f"health_{b}_share"), 0) for b in BANDS)
    csat = row.get("csat_pct")
    return [row["source_id"], number(row.get("referred_accounts")),
            number(row.get("active_accounts")), share(row.get("churn_90d")),
            share(row.get("churn_180d")), share(row.get("retention_horizon")),
            number(row.get("rmst_days")), money(row.get("revenue_per_account_minor"), c),
            money(row.get("ltv_margin_per_account_minor"), c), number(row.get("nps")),
            interval(row.get("nps_low"), row.get("nps_high")),
            MISSING if csat is None else f"{number(csat, 1)}%", mix,
            number(row.get("tickets_per_account_90d"), 1),
            money(row.get("crc_per_account_minor"), c)]


def channel_section(data: ReportData) -> str:
    """The scorecard of every acquisition channel."""
    rows = [channel_row(data, r) for r in
            sorted(data.channels, key=lambda r: -(r.get("referred_accounts") or 0))]
    return (f'<section id="channels"><h2>Channels</h2>'
            f'{table(CHANNELS, rows, empty="No channel has accounts yet.")}</section>')


def charts_section(charts: dict[str, str | None]) -> str:
    """Every chart with its caption; a sentence where there was nothing to draw."""
    parts = []
    for name, (title, caption) in CHART_CAPTIONS.items():
        svg = charts.get(name)
        body = svg if svg else '<p class="empty">Not enough data for this chart yet.</p>'
        parts.append(f'<figure id="chart-{name}"><h3>{text(title)}</h3>{body}'
                     f"<figcaption>{text(caption)}</figcaption></figure>")
    return f'<section id="charts"><h2>Charts</h2>{"".join(parts)}</section>'


def _list(items: Iterable[object]) -> Safe:
    lines = "".join(f"<li>{text(i)}</li>" for i in items)
    return Safe(f"<ul>{lines}</ul>" if lines else MISSING)


def _contact(contact: Row) -> str:
    role = ", ".join(str(v) for v in (contact.get("role"), contact.get("job_title")) if v)
    email = f" <{contact['email']}>" if contact.get("email") else ""
    return f"{contact.get('name') or 'unnamed'}{' (' + role + ')' if role else ''}{email}"


ADVOCATES = [("Account", False), ("Name", False), ("Advocacy score", True), ("Health", False),
             ("NPS", True), ("MRR", True), ("Why", False), ("Whom to approach", False)]


def advocate_row(row: Row, currency: str) -> list[object]:
    """One advocate: who, how strongly, why, and the people to contact."""
    return [row.get("account_id", ""), row.get("name") or MISSING,
            number(row.get("advocacy_score"), 1), row.get("band") or MISSING,
            number(row.get("nps_latest_score")), money(row.get("mrr_minor"), currency),
            _list(row.get("reasons") or []),
            _list(_contact(c) for c in row.get("contacts") or [])]


def advocates_section(advocates: list[Row] | None, currency: str) -> str:
    """Accounts to invite as affiliates, with the reasons and the people to approach."""
    head = '<section id="advocates"><h2>Advocates</h2>'
    if advocates is None:
        return (f'{head}<p class="empty">Advocates were not computed for this report '
                "(see <code>successlink advocates</code>).</p></section>")
    rows = [advocate_row(a, currency) for a in advocates]
    return (f'{head}<p class="note">Healthy, active customers who are not detractors, ranked '
            "by advocacy score: the ones to invite into the affiliate program first, and "
            "whom to ask.</p>"
            f'{table(ADVOCATES, rows, empty="No account qualifies as an advocate yet.")}'
            "</section>")


MILESTONES = [("Milestone in the first days", False), ("Reached by", True),
              ("Stayed if reached", True), ("Stayed if not", True),
              ("Difference (95%)", True)]
BEHAVIOURS = [("Metric", False), ("Same story as", False), ("Rank correlation with churn", True),
              ("Churn, lowest bin", True), ("Churn, highest bin", True)]


def _stayed(rate: Rate) -> str:
    return MISSING if rate.accounts == 0 else f"{rate.rate:.0%} (n={rate.accounts:,})"


def drivers_section(study: DriverStudy | None, limit: int = 8) -> str:
    """What customers who stay have in common: milestones and behaviours."""
    head = '<section id="drivers"><h2>Success drivers</h2>'
    if study is None:
        return (f'{head}<p class="empty">Drivers were not computed for this report '
                "(see <code>successlink drivers</code>).</p></section>")
    milestones = [[e.milestone.label, share(e.reach_share), _stayed(e.reached),
                   _stayed(e.not_reached),
                   MISSING if e.difference != e.difference else
                   f"{e.difference * 100:+.0f} pts ({e.low * 100:+.0f} to {e.high * 100:+.0f})"]
                  for e in study.milestones[:limit]]
    shown: set[str] = set()
    behaviours = []
    for d in study.metrics:
        if d.metric in shown or d.churn_correlation != d.churn_correlation or not d.bins:
            continue
        group = study.group_of(d.metric)
        shown.update(group)
        behaviours.append([d.metric, ", ".join(m for m in group if m != d.metric) or MISSING,
                           f"{d.churn_correlation:+.2f}", share(d.bins[0].churn.rate),
                           share(d.bins[-1].churn.rate)])
    return (f'{head}<p class="note">{study.onboarded.accounts:,} accounts whose first '
            f"{study.onboarding_days} days ended by {study.origin}; "
            f"{share(study.onboarded.rate)} were still customers {study.horizon_days} days "
            "later. Milestones are ranked by the lower end of their difference's interval. "
            "These are associations, not proof of cause.</p>"
            f'{table(MILESTONES, milestones, empty="No milestone separates them yet.")}'
            f'<p class="note">Behaviour of the {study.churn.accounts:,} customers of '
            f"{study.origin}, and churn by {study.as_of}: one row per group of metrics that "
            "say the same thing, strongest first.</p>"
            f'{table(BEHAVIOURS, behaviours[:limit], empty="No behaviour measured.")}'
            "</section>")


def header(data: ReportData) -> str:
    """Title block: workspace, as-of day and currency."""
    return (f"<header><h1>SuccessLink report</h1><p class=\"meta\">Workspace "
            f"<strong>{text(data.workspace)}</strong> · as of <strong>{data.as_of}</strong> · "
            f"money in <strong>{text(data.currency)}</strong> · "
            f"{len(data.scored_days)} scored day(s)</p></header>")


def render_html(data: ReportData, charts: dict[str, str | None] | None = None) -> str:
    """The whole report page (`charts` when already drawn, e.g. for the web app's cache)."""
    figures = program_figures(data.accounts, data.as_of)
    drawn = render_charts(data) if charts is None else charts
    body = [header(data), program_section(figures, data.currency, data.program),
            leaderboard_section(data), channel_section(data), charts_section(drawn),
            drivers_section(data.drivers), advocates_section(data.advocates, data.currency)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>SuccessLink report {data.as_of}</title><style>{CSS}</style></head>"
            f'<body><main>{"".join(body)}</main></body></html>\n')


def write_html(data: ReportData, path: Path) -> Path:
    """Write the report (creating its folder) and return where it went."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data), encoding="utf-8")
    return path
