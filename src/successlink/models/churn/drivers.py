"""Why an account got its churn risk, in words a CSM can act on.

The booster's own per-row contributions split each account's log-odds of churn into one part
per feature; they add up to the score, so the largest parts are an honest answer to "why this
account". Scoring uses path contributions (`booster.path_contributions`: each split credits
its feature with the change in the tree's mean output), which cost one leaf lookup per tree;
exact TreeSHAP values (`booster.shap_contributions`) give the same kind of answer a hundred
times slower. Each of the largest is described from the account's own value ("usage fell 60%
against the 30 days before") and marked as raising or lowering the risk. Contributions are on
the uncalibrated log-odds: calibration is monotone, so it changes the size of the risk, not
what drives it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from successlink.models.churn.features import FeatureSpec
from successlink.money import minor_exponent

Floats = npt.NDArray[np.float64]
# Contributions smaller than this (in log-odds) are noise, not a reason.
MIN_CONTRIBUTION = 0.01


def _n(v: float) -> str:
    return f"{v:,.0f}"


def _days(v: float) -> str:
    return "1 day" if round(v) == 1 else f"{v:,.0f} days"


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _trend(what: str) -> Callable[[float], str]:
    """A symmetric trend (r - b) / (r + b) read back as the change from b to r."""

    def phrase(t: float) -> str:
        if t >= 1:
            return f"{what} started in the last 30 days (none the 30 days before)"
        if t <= -1:
            return f"no {what} in the last 30 days (some the 30 days before)"
        change = 2 * t / (1 - t)  # r / b - 1
        if abs(change) < 0.005:
            return f"{what} flat against the 30 days before"
        word = "rose" if change > 0 else "fell"
        return f"{what} {word} {abs(change):.0%} against the 30 days before"

    return phrase


def _count(singular: str, plural: str, suffix: str = "") -> Callable[[float], str]:
    def phrase(v: float) -> str:
        noun = singular if round(v) == 1 else plural
        return f"{_n(v)} {noun}{suffix}"

    return phrase


_PHRASES: dict[str, Callable[[float], str]] = {
    "tenure_days": lambda v: f"customer for {_days(v)}",
    "seats": _count("seat", "seats"),
    "purchase_count": _count("payment", "payments", " so far"),
    "failed_payments_90d": _count("failed payment", "failed payments", " in 90 days"),
    "upsell_count": _count("upsell", "upsells"),
    "cross_sell_count": _count("cross-sell", "cross-sells"),
    "downgrade_count": _count("downgrade", "downgrades"),
    "expansion_count_365d": _count("expansion", "expansions", " in a year"),
    "active_days_30": lambda v: f"active on {_n(v)} of the last 30 days",
    "active_days_prev_30": lambda v: f"active on {_n(v)} of the 30 days before last",
    "active_users_30": _count("active user", "active users", " in 30 days"),
    "active_users_prev_30": _count("active user", "active users", " in the 30 days before"),
    "events_30": _count("usage event", "usage events", " in 30 days"),
    "events_prev_30": _count("usage event", "usage events", " in the 30 days before"),
    "events_total": _count("usage event", "usage events", " in all"),
    "distinct_features_30": _count("feature", "features", " used in 30 days"),
    "key_features_adopted": _count("key feature", "key features", " adopted"),
    "key_feature_adoption": lambda v: f"{_pct(v)} of key features adopted",
    "usage_trend": _trend("usage"),
    "active_users_trend": _trend("active users"),
    "days_since_active": lambda v: f"last active {_days(v)} ago",
    "seat_utilisation": lambda v: f"{_pct(v)} of seats active",
    "tickets_90d": _count("support ticket", "support tickets", " in 90 days"),
    "tickets_total": _count("support ticket", "support tickets", " in all"),
    "open_tickets": _count("open ticket", "open tickets"),
    "open_urgent_tickets": _count("open urgent ticket", "open urgent tickets"),
    "open_high_priority_tickets": _count("open high-priority ticket",
                                         "open high-priority tickets"),
    "mean_resolution_hours_90d": lambda v: f"tickets took {v:,.0f} hours to resolve on average",
    "csat_good_90d": _count("good ticket rating", "good ticket ratings", " in 90 days"),
    "csat_bad_90d": _count("bad ticket rating", "bad ticket ratings", " in 90 days"),
    "ticket_csat_pct_90d": lambda v: f"{_pct(v)} of ticket ratings good",
    "escalations_90d": _count("escalation", "escalations", " in 90 days"),
    "nps_latest_score": lambda v: f"latest NPS answer {v:.0f}",
    "days_since_nps": lambda v: f"last NPS answer {_days(v)} ago",
    "nps_responses": _count("NPS answer", "NPS answers"),
    "nps_account_score": lambda v: f"account NPS {v:+.0f}",
    "csat_responses": _count("CSAT answer", "CSAT answers"),
    "csat_responses_365d": _count("CSAT answer", "CSAT answers", " in a year"),
    "csat_pct_satisfied": lambda v: f"{_pct(v)} of CSAT answers satisfied",
    "response_rate": lambda v: f"{_pct(v)} of surveyed people answered",
    "contacts_total": _count("contact", "contacts"),
    "engaged_contacts_90d": _count("engaged contact", "engaged contacts", " in 90 days"),
    "purchases_per_month": lambda v: f"{v:.1f} payments a month",
    "is_annual": lambda v: "billed yearly" if v else "billed monthly",
    "reactivated": lambda v: "came back after churning" if v else "never churned before",
    "champion_present": lambda v: "has a champion" if v else "no champion",
    "decision_maker_engaged": lambda v: ("decision maker engaged" if v
                                         else "decision maker not engaged"),
    "is_trialing": lambda v: "in a free trial" if v else "past the trial",
    "days_since_payment": lambda v: f"last payment {_days(v)} ago",
    "events_lifetime_30d": lambda v: f"{v:,.0f} usage events a month over its lifetime",
    "events_vs_lifetime": lambda v: f"last 30 days' usage at {_pct(v)} of its usual month",
    "tickets_lifetime_30d": lambda v: f"{v:.1f} support tickets a month over its lifetime",
    "source_accounts": _count("other account", "other accounts", " from the same source"),
    "source_churn_share": lambda v: f"{_pct(v)} of accounts from the same source churned",
}
_MISSING: dict[str, str] = {
    "days_since_payment": "no payment yet",
    "days_since_active": "never active",
    "nps_latest_score": "no NPS answer yet",
    "days_since_nps": "no NPS answer yet",
    "nps_account_score": "no NPS answer yet",
    "usage_trend": "no usage in the last 60 days",
    "mean_resolution_hours_90d": "no resolved tickets in 90 days",
    "ticket_csat_pct_90d": "no ticket ratings in 90 days",
    "csat_pct_satisfied": "no CSAT answers",
    "response_rate": "nobody surveyed",
    "seat_utilisation": "no seats on record",
    "events_vs_lifetime": "no usage on record",
}
_CATEGORY_PHRASES: dict[str, Callable[[str], str]] = {
    "plan_name": lambda v: f"on the {v} plan",
    "interval": lambda v: f"billed by the {v}",
    "channel": lambda v: f"came through {v.replace('_', ' ')}",
}
_MONEY = ("mrr_minor", "revenue_gross_minor", "refunds_minor", "disputed_minor",
          "revenue_net_minor", "avg_purchase_minor", "expansion_mrr_minor",
          "contraction_mrr_minor", "arpa_minor")
_MONEY_LABEL = {"mrr_minor": "MRR", "revenue_gross_minor": "revenue",
                "refunds_minor": "refunds", "disputed_minor": "disputed payments",
                "revenue_net_minor": "net revenue", "avg_purchase_minor": "average payment",
                "expansion_mrr_minor": "expansion MRR", "contraction_mrr_minor":
                "contraction MRR", "arpa_minor": "revenue a month"}


def describe_value(name: str, value: float, spec: FeatureSpec, currency: str = "USD") -> str:
    """One feature's value of one account, in words."""
    if name in spec.categories:
        vocabulary = spec.categories[name]
        known = not math.isnan(value) and 0 <= int(value) < len(vocabulary)
        if not known:
            return f"{name.replace('_', ' ')} unknown or new since training"
        label = vocabulary[int(value)]
        category = _CATEGORY_PHRASES.get(name)
        return category(label) if category else f"{name.replace('_', ' ')} {label}"
    if math.isnan(value):
        return _MISSING.get(name, f"{name.replace('_', ' ')} unknown")
    if name in _MONEY:
        amount = value / 10 ** minor_exponent(currency)
        return f"{_MONEY_LABEL[name]} {amount:,.0f} {currency}"
    phrase = _PHRASES.get(name)
    if phrase is None:
        return f"{name.replace('_', ' ')} {value:,.4g}"
    return phrase(value)


def top_drivers(contrib: Floats, x: Floats, spec: FeatureSpec, *, k: int = 3,
                currency: str = "USD") -> list[str]:
    """For each row, its `k` largest contributions (by size), described and signed.

    `contrib` has one column per feature plus the bias last (ignored), as both
    `path_contributions` and LightGBM's pred_contrib return them.
    """
    return [str(t) for t in driver_texts(contrib, x, spec, k=k, currency=currency).tolist()]


def driver_texts(contrib: Floats, x: Floats, spec: FeatureSpec, *, k: int = 3,
                 currency: str = "USD") -> npt.NDArray[np.object_]:
    """`top_drivers` as an object array, worded in bulk: the same text, a million rows in
    well under a second.

    A phrase depends on few things (the value rounded as it is printed, a flag, a sign), so
    each feature's values are reduced to that key (`_KEYS`), every distinct key is worded
    once by `describe_value` and the sentences are assembled by numpy indexing. Wording
    stays defined in one place; the tests check this path against `top_drivers_reference`.
    """
    names: Sequence[str] = spec.names
    parts = contrib[:, : len(names)]
    n = parts.shape[0]
    k = min(k, parts.shape[1])
    out = np.empty(n, dtype=object)
    out[:] = ""
    if k <= 0 or n == 0:
        return out
    order = _largest(parts, k)
    picked = np.take_along_axis(parts, order, axis=1)
    values = np.take_along_axis(x, order, axis=1)
    said = np.abs(picked) >= MIN_CONTRIBUTION
    # Sizes fall along a row, so what is said is a prefix; the first silence ends it.
    said = np.logical_and.accumulate(said, axis=1)
    feature, value, raises = order[said], values[said], picked[said] > 0
    # Each distinct (feature, key) is worded once; its two signed sentences are numbered
    # 2 * description + (0 raises, 1 lowers).
    description = np.empty(feature.size, dtype=np.int64)
    texts: list[str] = []
    by_feature = np.argsort(feature, kind="stable")
    bounds = np.searchsorted(feature[by_feature], np.arange(len(names) + 1))
    for j in range(len(names)):
        where = by_feature[bounds[j]:bounds[j + 1]]
        if where.size == 0:
            continue
        v = value[where]
        key = _key(names[j], spec, currency)(v)
        key = np.where(np.isnan(v), np.nan, key)  # every missing value reads the same
        _, first, inverse = np.unique(key.view(np.int64), return_index=True,
                                      return_inverse=True)
        description[where] = len(texts) + inverse.reshape(-1)
        texts.extend(describe_value(names[j], float(v[i]), spec, currency)
                     for i in first.tolist())
    signed = [f"{t} ({effect})" for t in texts for effect in ("raises risk", "lowers risk")]
    code = np.full(order.shape, -1, dtype=np.int64)
    code[said] = 2 * description + (~raises).astype(np.int64)
    first_words = np.array([*signed, ""], dtype=object)  # index -1: nothing to say
    more_words = np.array([*("; " + t for t in signed), ""], dtype=object)
    out[:] = first_words[code[:, 0]]
    for slot in range(1, k):
        out += more_words[code[:, slot]]
    return out


def _largest(parts: Floats, k: int) -> npt.NDArray[np.intp]:
    """Per row, the columns of the `k` largest sizes, largest first, ties to the lower
    column (as a stable sort of -|parts| would order them) - without sorting every row."""
    size = np.abs(parts)
    order = np.empty((parts.shape[0], k), dtype=np.intp)
    rows = np.arange(parts.shape[0])
    for slot in range(k):
        order[:, slot] = np.argmax(size, axis=1)  # first of the largest
        size[rows, order[:, slot]] = -1.0
    return order


def top_drivers_reference(contrib: Floats, x: Floats, spec: FeatureSpec, *, k: int = 3,
                          currency: str = "USD") -> list[str]:
    """`top_drivers` written the plain way, one row and one reason at a time: the
    definition the bulk path must match (the tests compare them)."""
    names: Sequence[str] = spec.names
    parts = contrib[:, : len(names)]
    if k <= 0 or parts.shape[0] == 0:
        return [""] * parts.shape[0]
    order = np.argsort(-np.abs(parts), axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(parts, order, axis=1)
    values = np.take_along_axis(x, order, axis=1)
    out = []
    for row in range(parts.shape[0]):
        reasons = []
        for j, c, v in zip(order[row].tolist(), picked[row].tolist(), values[row].tolist(),
                           strict=True):
            if abs(c) < MIN_CONTRIBUTION:
                break
            effect = "raises risk" if c > 0 else "lowers risk"
            reasons.append(f"{describe_value(names[j], v, spec, currency)} ({effect})")
        out.append("; ".join(reasons))
    return out


Key = Callable[[Floats], Floats]


def _whole(v: Floats) -> Floats:
    """Printed with no decimals (and "1 x" versus "2 xs" read off the same rounding)."""
    out: Floats = np.rint(v)
    return out


def _percent(v: Floats) -> Floats:
    out: Floats = np.rint(100 * v)
    return out


def _flag(v: Floats) -> Floats:
    out: Floats = (v != 0).astype(np.float64)
    return out


def _exact(v: Floats) -> Floats:
    return v


def _trend_key(t: Floats) -> Floats:
    """The branches of `_trend` and, for a change, its sign and printed whole percent."""
    with np.errstate(divide="ignore", invalid="ignore"):
        change = 2 * t / (1 - t)
    shown = np.copysign(np.rint(100 * np.abs(change)) + 1, change)
    key: Floats = np.where(t >= 1, np.inf, np.where(t <= -1, -np.inf, np.where(
        np.abs(change) < 0.005, 0.0, shown)))
    return key


def _money_key(currency: str) -> Key:
    scale = 10 ** minor_exponent(currency)

    def key(v: Floats) -> Floats:
        out: Floats = np.rint(v / scale)
        return out

    return key


# What each phrase in `_PHRASES` depends on: values with the same key read the same. A
# feature not listed is keyed by its exact value (always right, just worded more often).
_KEYS: dict[str, Key] = {
    **dict.fromkeys((
        "tenure_days", "seats", "purchase_count", "failed_payments_90d", "upsell_count",
        "cross_sell_count", "downgrade_count", "expansion_count_365d", "active_days_30",
        "active_days_prev_30", "active_users_30", "active_users_prev_30", "events_30",
        "events_prev_30", "events_total", "distinct_features_30", "key_features_adopted",
        "days_since_active", "tickets_90d", "tickets_total", "open_tickets",
        "open_urgent_tickets", "open_high_priority_tickets", "mean_resolution_hours_90d",
        "csat_good_90d", "csat_bad_90d", "escalations_90d", "nps_latest_score",
        "days_since_nps", "nps_responses", "nps_account_score", "csat_responses",
        "csat_responses_365d", "contacts_total", "engaged_contacts_90d", "days_since_payment",
        "events_lifetime_30d", "source_accounts"), _whole),
    **dict.fromkeys((
        "key_feature_adoption", "seat_utilisation", "ticket_csat_pct_90d",
        "csat_pct_satisfied", "response_rate", "events_vs_lifetime", "source_churn_share"),
        _percent),
    **dict.fromkeys(("is_annual", "reactivated", "champion_present", "decision_maker_engaged",
                     "is_trialing"), _flag),
    "usage_trend": _trend_key,
    "active_users_trend": _trend_key,
}


def _key(name: str, spec: FeatureSpec, currency: str = "USD") -> Key:
    if name in spec.categories:
        return _exact
    if name in _MONEY:
        return _money_key(currency)
    return _KEYS.get(name, _exact)
