"""Customer-success costs: pooled CSM salaries and tooling, direct onboarding and support.

Salaries are booked per CSM per calendar month (pro rata for the window's partial months)
and belong to nobody in particular: allocating them to the accounts in a CSM's book is the
platform's job. Onboarding is booked on the account at sign-up, support per ticket. All
costs are in USD.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from successlink.synth import catalog
from successlink.synth.columns import constant, dates
from successlink.synth.lives import Periods
from successlink.synth.periods import DAY, months_between
from successlink.synth.strings import as_text, concat, iso_dates
from successlink.synth.support import Tickets
from successlink.synth.world import Accounts, Window
from successlink.synth.zendesk import ticket_ids

I64 = npt.NDArray[np.int64]
CURRENCY = "USD"
SUPPORT_COST_MINOR = 1800
ESCALATION_COST_MINOR = 1500  # extra for high and urgent tickets
TOOLING_BASE_MINOR = 250_000
TOOLING_PER_ACCOUNT_MINOR = 150


def csm_name(number: int) -> str:
    """The name of CSM `number` (csm_01, csm_02...)."""
    return f"csm_{number + 1:02d}"


def csm_salary_minor(number: int) -> int:
    """Monthly cost of a CSM, in USD cents."""
    return 700_000 + 25_000 * (number % 5)


def active_by_month(periods: Periods, window: Window) -> I64:
    """Accounts in service at some point of each calendar month of the window."""
    months = months_between(window.start, window.horizon)
    bounds = np.r_[months, months[-1] + 32 * DAY]
    first = np.searchsorted(bounds, periods.start, side="right") - 1
    last = np.searchsorted(bounds, periods.end - 1, side="right") - 1
    # A period spans at most two calendar months: count each (account, month) once.
    pairs = np.unique(np.r_[periods.account * 1024 + first, periods.account * 1024 + last])
    counts: I64 = np.bincount(pairs % 1024, minlength=len(months))[: len(months)]
    return counts.astype(np.int64)


def direct_columns(accounts: Accounts, tickets: Tickets) -> dict[str, Any]:
    """Onboarding costs (one per account) and support costs (one per ticket)."""
    n, t = len(accounts), len(tickets)
    escalated = tickets.priority >= 2
    amount = np.r_[catalog.ONBOARDING_COST_MINOR[accounts.tier],
                   SUPPORT_COST_MINOR + escalated * ESCALATION_COST_MINOR]
    ticket_account = accounts.ids.take(pa.array(tickets.account))
    ids = ticket_ids(accounts, tickets)
    return {
        "cost_id": pa.concat_arrays([concat("synth:onboarding:", accounts.ids),
                                     concat("synth:support:", as_text(ids))]),
        "incurred_on": pa.concat_arrays([dates(accounts.acquired_at), dates(tickets.created)]),
        "amount_minor": amount.astype(np.int64), "currency": constant(CURRENCY, n + t),
        "cost_type": pa.concat_arrays([constant("onboarding", n), constant("support", t)]),
        "account_id": pa.concat_arrays([accounts.ids, ticket_account]),
        "csm": pa.concat_arrays([
            pa.array([csm_name(c) for c in accounts.csm.tolist()], pa.string()),
            pa.array([csm_name(c) for c in accounts.csm[tickets.account].tolist()],
                     pa.string())]),
        "note": pa.concat_arrays([
            concat("Onboarding of a ", pa.array(list(catalog.TIERS)).take(
                pa.array(accounts.tier)), " account"),
            concat("Support ticket ", as_text(ids))]),
        "source": constant("synth", n + t),
    }


def pooled_columns(window: Window, csms: int, active: I64) -> dict[str, Any]:
    """Monthly CSM salaries and tooling, pro rata of each month's days inside the window."""
    months = months_between(window.start, window.horizon)
    nxt = np.r_[months[1:], _next_month(int(months[-1]))]
    share = (np.minimum(nxt, window.horizon) - np.maximum(months, window.start)) / (nxt - months)
    booked = np.maximum(months, window.start)
    labels = [text[:7] for text in iso_dates(months).to_pylist()]
    ids: list[str] = []
    on: list[int] = []
    amount: list[int] = []
    kind: list[str] = []
    who: list[str | None] = []
    note: list[str] = []
    for m, label in enumerate(labels):
        for c in range(csms):
            ids.append(f"synth:csm_salary:{csm_name(c)}:{label}")
            amount.append(round(csm_salary_minor(c) * share[m]))
            kind.append("csm_salary")
            who.append(csm_name(c))
            note.append(f"Salary of {csm_name(c)} for {label}")
            on.append(booked[m])
        ids.append(f"synth:tooling:{label}")
        amount.append(round((TOOLING_BASE_MINOR + TOOLING_PER_ACCOUNT_MINOR * active[m])
                            * share[m]))
        kind.append("tooling")
        who.append(None)
        note.append(f"CS tooling for {label} ({active[m]} accounts in service)")
        on.append(booked[m])
    rows = len(ids)
    return {"cost_id": ids, "incurred_on": dates(np.asarray(on, np.int64)),
            "amount_minor": amount, "currency": constant(CURRENCY, rows), "cost_type": kind,
            "account_id": pa.nulls(rows, pa.string()), "csm": who, "note": note,
            "source": constant("synth", rows)}


def _next_month(month_start: int) -> int:
    moment = np.datetime64(month_start, "s").astype("datetime64[M]") + np.timedelta64(1, "M")
    return int(moment.astype("datetime64[s]").astype(np.int64))
