"""Advocates: which customers to invite into the affiliate program, and why.

The best affiliates are often happy customers: they already recommend the product, and the
customers they bring look like them. An account is *eligible* when nothing says it is
unhappy (active, not red, no open urgent ticket, no recent escalation, not a detractor) and
it has been a customer long enough to judge; eligible accounts are ranked by an *advocacy
score*, a weighted mean of 0-100 points per signal (see docs/advocates.md), and each comes
with the reasons in words and the people to approach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

from successlink.config import AdvocateSettings as AdvocateSettings  # re-exported
from successlink.decisions.contacts import Contact, people_to_approach
from successlink.decisions.reasons import Facts, reasons_for
from successlink.errors import SuccessLinkError
from successlink.metrics.lifecycle import attach
from successlink.metrics.window import happened_by
from successlink.scores.run import ACCOUNT_HEALTH, ACCOUNT_METRICS
from successlink.scores.snapshots import read_snapshot, snapshot_days
from successlink.warehouse.connect import Warehouse
from successlink.warehouse.portable import double


def _unit(x: ir.FloatingValue) -> ir.FloatingValue:
    """Clamp to [0, 1] with CASE (GREATEST/LEAST treat nulls differently per backend)."""
    return ibis.cases((x < double(0), double(0)), (x > double(1), double(1)), else_=x)


def ltv_percentile(account_metrics: ir.Table) -> ir.Table:
    """account_id, ltv_percentile: the account's rank by margin LTV within the program, 0-1.

    Lowest 0, highest 1 (SQL percent_rank); accounts without an LTV are left out, so that
    backends that sort nulls first or last agree.
    """
    t = account_metrics.filter(account_metrics.ltv_margin_minor.notnull())
    pct = ibis.percent_rank().over(order_by=t.ltv_margin_minor)
    return t.select("account_id", ltv_percentile=pct.cast("float64"))


def _points(t: ir.Table, s: AdvocateSettings) -> dict[str, ir.Value]:
    """0-100 points per signal; each line says how a missing value scores."""
    def num(col: str, missing: float = 0.0) -> ir.FloatingValue:
        return t[col].cast("float64").fill_null(missing)
    nps = t.nps_latest_score.cast("float64")
    expansions = num("upsell_count") + num("cross_sell_count")
    return {
        "points_health": num("health_score"),
        "points_nps": ibis.ifelse(nps.isnull(), double(s.missing_nps_points), nps * 10.0),
        "points_usage_level": _unit(num("active_days_30") / s.full_active_days) * 100.0,
        # -50% or worse -> 0, flat -> 50, +50% or better -> 100; unknown trend is flat.
        "points_usage_trend": _unit(num("usage_trend") + 0.5) * 100.0,
        "points_tenure": _unit(num("tenure_days") / s.full_tenure_days) * 100.0,
        "points_expansion": ibis.cases((expansions >= 2.0, double(100)),
                                       (expansions >= 1.0, double(70)), else_=double(0)),
        "points_support": _unit(1.0 - num("tickets_90d") / s.tickets_to_zero) * 100.0,
        "points_ltv": num("ltv_percentile") * 100.0,
    }


def _exclusion(t: ir.Table, s: AdvocateSettings) -> ir.StringValue:
    """The first reason an account may not be asked, or null when it may."""
    nps = t.nps_latest_score.cast("float64")
    detractor = (nps <= 6.0).fill_null(t.nps_latest_category.fill_null("") == "detractor")
    checks: list[tuple[ir.BooleanValue, str]] = [
        (t.status.fill_null("") != "active", "not an active paying customer"),
        (t.health_band.isnull(), "no health score"),
        (t.health_band.isin(s.excluded_bands or ["-"]), "health is at risk"),
        (t.open_urgent_tickets.fill_null(0) > s.max_open_urgent_tickets,
         "has open urgent tickets"),
        (t.escalations_90d.fill_null(0) > s.max_escalations_90d,
         "escalated in the last 90 days"),
        (t.tenure_days.fill_null(0) < s.min_tenure_days,
         f"customer for under {s.min_tenure_days:g} days"),
    ]
    if s.exclude_detractors:
        checks.insert(5, (detractor, "detractor (latest NPS 0-6)"))
    return ibis.cases(*checks, else_=ibis.null("string"))


def advocacy(account_metrics: ir.Table, health: ir.Table,
             settings: AdvocateSettings) -> ir.Table:
    """Every account with its eligibility, 0-100 points per signal and the advocacy score.

    Adds health_score, health_band, ltv_percentile, points_*, advocacy_score, eligible and
    excluded_because (why an account may not be asked) to the account_metrics columns.
    """
    h = health.select("account_id", health_score=health.score.cast("float64"),
                      health_band=health.band.cast("string"))
    t = attach(account_metrics, h, ltv_percentile(account_metrics))
    t = t.mutate(**_points(t, settings))
    weights = {k: w for k, w in settings.weights.items() if w > 0}
    total = sum(weights.values())
    score = sum((t[f"points_{k}"] * (w / total) for k, w in weights.items()),
                double(0))
    t = t.mutate(advocacy_score=score.cast("float64"), excluded_because=_exclusion(t, settings))
    return t.mutate(eligible=t.excluded_because.isnull())


@dataclass(frozen=True)
class Advocate:
    """One customer worth inviting into the affiliate program, with why and whom to ask."""

    account_id: str
    name: str | None
    domain: str | None
    channel: str | None
    affiliate_id: str | None
    advocacy_score: float
    health_score: float | None
    band: str | None
    nps_latest_score: int | None
    mrr_minor: int
    ltv_margin_minor: int | None
    reasons: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)


def scored_day(wh: Warehouse, as_of: date | None) -> date:
    """The snapshot day to read: `as_of`, or the latest scored; a sentence when there is none."""
    days = snapshot_days(wh, ACCOUNT_HEALTH)
    if not days:
        raise SuccessLinkError("nothing is scored yet",
                               hint="Run `successlink score` first (e.g. "
                                    "`successlink score --as-of 2026-06-30`).")
    if as_of is None:
        return days[-1]
    if as_of not in days:
        shown = ", ".join(str(d) for d in days[-5:])
        raise SuccessLinkError(f"nothing is scored as of {as_of} (scored days: {shown})",
                               hint=f"Run `successlink score --as-of {as_of}` first.")
    return as_of


def _shortlist(wh: Warehouse, scored: ir.Table, limit: int,
               settings: AdvocateSettings) -> list[dict[str, Any]]:
    """The `limit` best eligible accounts with their company name and domain, best first."""
    best = scored.filter(scored.eligible)
    tables = wh.con.list_tables()
    if settings.exclude_affiliates and "affiliates" in tables:
        aff = wh.table("affiliates")
        aff = aff.filter(aff.account_id.notnull()).select(_acct=aff.account_id)
        best = best.anti_join(aff, best.account_id == aff._acct)
    best = best.order_by([ibis.desc("advocacy_score"), "account_id"]).limit(limit)
    if "accounts" in tables:
        acc = wh.table("accounts").select("account_id", "name", "domain")
        best = attach(best, acc)
    else:
        best = best.mutate(name=ibis.null("string"), domain=ibis.null("string"))
    best = best.order_by([ibis.desc("advocacy_score"), "account_id"])
    return list(best.to_pyarrow().to_pylist())


def last_nps_answers(wh: Warehouse, account_ids: list[str], as_of: date) -> dict[str, date]:
    """When each account last answered an NPS survey, by `as_of`."""
    if not account_ids or "survey_responses" not in wh.con.list_tables():
        return {}
    r = wh.table("survey_responses")
    r = r.filter(r.kind == "nps", r.account_id.isin(account_ids),
                 happened_by(r.responded_at, as_of))
    rows = r.group_by("account_id").aggregate(at=r.responded_at.max()).to_pyarrow().to_pylist()
    return {row["account_id"]: row["at"].date() for row in rows if row["at"] is not None}


def _advocate(row: dict[str, Any], facts: Facts, contacts: list[Contact]) -> Advocate:
    nps = row.get("nps_latest_score")
    ltv = row.get("ltv_margin_minor")
    return Advocate(
        account_id=row["account_id"], name=row.get("name"), domain=row.get("domain"),
        channel=row.get("channel"), affiliate_id=row.get("affiliate_id"),
        advocacy_score=round(float(row["advocacy_score"]), 1),
        health_score=row.get("health_score"), band=row.get("health_band"),
        nps_latest_score=None if nps is None else int(nps),
        mrr_minor=int(row.get("mrr_minor") or 0),
        ltv_margin_minor=None if ltv is None else int(ltv),
        reasons=reasons_for(facts), contacts=contacts)


def rank_advocates(wh: Warehouse, as_of: date | None = None, limit: int = 20, *,
                   settings: AdvocateSettings | None = None,
                   currency: str = "USD") -> list[Advocate]:
    """The `limit` best advocates in a scored snapshot (the latest when `as_of` is None)."""
    settings = settings or AdvocateSettings()
    day = scored_day(wh, as_of)
    scored = advocacy(read_snapshot(wh, ACCOUNT_METRICS, day),
                      read_snapshot(wh, ACCOUNT_HEALTH, day), settings)
    rows = _shortlist(wh, scored, limit, settings)
    ids = [r["account_id"] for r in rows]
    answered = last_nps_answers(wh, ids, day)
    people = people_to_approach(wh, ids, day, per_account=settings.contacts_per_account)
    return [_advocate(r, Facts.of(r, day, answered.get(r["account_id"]), currency),
                      people.get(r["account_id"], [])) for r in rows]


CSV_COLUMNS = ("rank", "account_id", "name", "domain", "channel", "affiliate_id",
               "advocacy_score", "health_score", "band", "nps_latest_score", "mrr_minor",
               "ltv_margin_minor", "reasons", "contact_name", "contact_email", "contact_role",
               "contact_job_title", "contact_engaged_90d", "contact_why")


def advocate_rows(advocates: list[Advocate]) -> list[dict[str, Any]]:
    """One flat row per (advocate, contact) for a CSV; an advocate without contacts gets one
    row with empty contact fields, so nobody drops out of the export."""
    out: list[dict[str, Any]] = []
    for rank, a in enumerate(advocates, start=1):
        base = {"rank": rank, "account_id": a.account_id, "name": a.name, "domain": a.domain,
                "channel": a.channel, "affiliate_id": a.affiliate_id,
                "advocacy_score": a.advocacy_score, "health_score": a.health_score,
                "band": a.band, "nps_latest_score": a.nps_latest_score,
                "mrr_minor": a.mrr_minor, "ltv_margin_minor": a.ltv_margin_minor,
                "reasons": "; ".join(a.reasons)}
        people: list[Contact | None] = list(a.contacts) or [None]
        out.extend({**base, **_contact_cells(c)} for c in people)
    return out


def _contact_cells(c: Contact | None) -> dict[str, Any]:
    if c is None:
        return dict.fromkeys(CSV_COLUMNS[-6:])
    return {"contact_name": c.name, "contact_email": c.email, "contact_role": c.role,
            "contact_job_title": c.job_title, "contact_engaged_90d": c.engaged_90d,
            "contact_why": c.why}
