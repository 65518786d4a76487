"""NPS and CSAT survey results per account as of a day.

Survey answers are immutable facts dated by `responded_at`, so "as of D" is simply the
answers given on or before D. "Latest" picks the answer with the greatest `responded_at`;
answers at the very same instant are ordered by `response_id` so that every backend picks
the same one.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from successlink.metrics.lifecycle import attach
from successlink.metrics.window import days_until_cutoff, happened_by, within_days

NPS = "nps"
CSAT = "csat"
RECENT_DAYS = 365
PROMOTER_MIN = 9
PASSIVE_MIN = 7


def nps_category(score: ir.IntegerValue) -> ir.StringValue:
    """'promoter' (9-10), 'passive' (7-8) or 'detractor' (0-6)."""
    return ibis.cases((score >= PROMOTER_MIN, "promoter"), (score >= PASSIVE_MIN, "passive"),
                      else_="detractor")


def answered_by(survey_responses: ir.Table, as_of: date) -> ir.Table:
    """Answers matched to an account and given on or before `as_of`."""
    r = survey_responses
    return r.filter(r.account_id.notnull() & happened_by(r.responded_at, as_of))


def latest(answers: ir.Table, keys: list[str]) -> ir.Table:
    """The one latest answer per `keys` (ties at the same instant: greatest response_id).

    Plain aggregates and joins instead of window functions, which the backends spell and
    order differently.
    """
    last = answers.group_by(keys).aggregate(_at=answers.responded_at.max())
    at_last = answers.inner_join(last, [*keys, answers.responded_at == last._at])
    chosen = at_last.group_by(keys).aggregate(_rid=at_last.response_id.max())
    picked = answers.inner_join(chosen.select("_rid"), answers.response_id == chosen._rid)
    return picked.drop("_rid")


def _latest_nps(answers: ir.Table, as_of: date) -> ir.Table:
    """Each account's latest NPS answer: score, category, when and how long ago."""
    n = latest(answers.filter(answers.kind == NPS), ["account_id"])
    return n.select(
        "account_id",
        nps_latest_score=n.score.cast("int64"),
        nps_latest_category=nps_category(n.score).cast("string"),
        nps_latest_at=n.responded_at.cast("timestamp('UTC')"),
        days_since_nps=days_until_cutoff(n.responded_at, as_of).cast("float64"),
    )


def _nps_score(answers: ir.Table, as_of: date) -> ir.Table:
    """%promoters - %detractors over each respondent's latest NPS answer of the last year.

    A respondent is an e-mail; an answer without one counts as its own respondent.
    """
    recent = answers.filter((answers.kind == NPS)
                            & within_days(answers.responded_at, as_of, RECENT_DAYS))
    recent = recent.mutate(_who=recent.respondent_email.coalesce(recent.response_id))
    last = latest(recent, ["account_id", "_who"])
    promoter = ibis.ifelse(last.score >= PROMOTER_MIN, 1, 0)
    detractor = ibis.ifelse(last.score < PASSIVE_MIN, 1, 0)
    out = last.group_by("account_id").aggregate(
        _net=(promoter - detractor).sum(), _n=last.count())
    return out.select("account_id", nps_account_score=(
        100.0 * out._net.cast("float64") / out._n.cast("float64")).cast("float64"))


def _counts(answers: ir.Table, as_of: date) -> ir.Table:
    """Answer counts and the share of satisfied CSAT answers over the last year."""
    a = answers
    csat = a.kind == CSAT
    recent_csat = csat & within_days(a.responded_at, as_of, RECENT_DAYS)
    satisfied = ibis.ifelse(recent_csat & (a.score >= a.scale_max - 1), 1, 0)
    out = a.group_by("account_id").aggregate(
        nps_responses=ibis.ifelse(a.kind == NPS, 1, 0).sum(),
        csat_responses=ibis.ifelse(csat, 1, 0).sum(),
        csat_responses_365d=ibis.ifelse(recent_csat, 1, 0).sum(),
        _satisfied=satisfied.sum())
    n = out.csat_responses_365d.cast("float64")
    return out.select(
        "account_id", "nps_responses", "csat_responses", "csat_responses_365d",
        csat_pct_satisfied=ibis.ifelse(n > 0, 100.0 * out._satisfied.cast("float64") / n,
                                       ibis.null("float64")))


def known_people(contacts: ir.Table, product_users: ir.Table, as_of: date) -> ir.Table:
    """Distinct (account_id, email) of contacts created and product users identified by
    `as_of`; a contact without a creation time counts as known."""
    c = contacts.filter(contacts.account_id.notnull() & contacts.email.notnull()
                        & (contacts.created_at.isnull() | happened_by(contacts.created_at, as_of)))
    u = product_users.filter(product_users.account_id.notnull() & product_users.email.notnull()
                             & happened_by(product_users.identified_at, as_of))
    return c.select("account_id", "email").union(u.select("account_id", "email"))


def _response_rate(answers: ir.Table, people: ir.Table, as_of: date) -> ir.Table:
    """Respondents of the last year / (known people plus those respondents); null when no
    one at the account is known."""
    recent = answers.filter(answers.respondent_email.notnull()
                            & within_days(answers.responded_at, as_of, RECENT_DAYS))
    both = people.select("account_id", "email", known=ibis.literal(1), responded=ibis.literal(0))
    both = both.union(recent.select("account_id", email=recent.respondent_email,
                                    known=ibis.literal(0), responded=ibis.literal(1)))
    per = both.group_by("account_id", "email").aggregate(
        known=both.known.max(), responded=both.responded.max())
    out = per.group_by("account_id").aggregate(
        _known=per.known.sum(), _responded=per.responded.sum(), _people=per.count())
    rate = out._responded.cast("float64") / out._people.cast("float64")
    return out.select("account_id", response_rate=ibis.ifelse(out._known > 0, rate,
                                                              ibis.null("float64")))


def surveys(survey_responses: ir.Table, contacts: ir.Table, product_users: ir.Table, *,
            as_of: date) -> ir.Table:
    """Latest NPS, account NPS, CSAT and response rate per account with any answer or any
    known person by `as_of`. See docs/metrics/surveys.md."""
    answers = answered_by(survey_responses, as_of)
    people = known_people(contacts, product_users, as_of)
    ids = answers.select("account_id").union(people.select("account_id")).distinct()
    out = attach(ids, _latest_nps(answers, as_of), _nps_score(answers, as_of),
                 _counts(answers, as_of), _response_rate(answers, people, as_of))
    return out.select(
        account_id=out.account_id.cast("string"),
        nps_latest_score=out.nps_latest_score.cast("int64"),
        nps_latest_category=out.nps_latest_category.cast("string"),
        nps_latest_at=out.nps_latest_at.cast("timestamp('UTC')"),
        days_since_nps=out.days_since_nps.cast("float64"),
        nps_responses=out.nps_responses.fill_null(0).cast("int64"),
        nps_account_score=out.nps_account_score.cast("float64"),
        csat_responses=out.csat_responses.fill_null(0).cast("int64"),
        csat_responses_365d=out.csat_responses_365d.fill_null(0).cast("int64"),
        csat_pct_satisfied=out.csat_pct_satisfied.cast("float64"),
        response_rate=out.response_rate.cast("float64"),
    )
