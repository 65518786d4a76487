"""Which affiliate a customer belongs to when the evidence names more than one (pure).

Evidence is a click (by id), an affiliate id in billing metadata, or a lead, each with the
instant it happened. The program's `attribution` setting picks the model:

- `first_click`: the earliest evidence wins (the affiliate who introduced the customer);
- `last_click`: the latest evidence wins (the affiliate who closed the sale).

Ties on time go to the smaller affiliate id, then the smaller click id, in both models. The
choice is a total order, so folding evidence in with `prefer` gives the same answer in any
delivery order and with duplicates: a webhook can store only the current winner and still
end where the ordered stream would (as long as `converted_at` and `window` are the same on
every call).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

MODELS = ("first_click", "last_click")


@dataclass(frozen=True)
class Evidence:
    """One sign that an affiliate referred the customer, and when it happened."""

    affiliate_id: str
    click_id: str | None
    at: datetime


def counts(e: Evidence, *, converted_at: datetime | None = None,
           window: timedelta | None = None) -> bool:
    """Whether `e` may attribute a customer who converted at `converted_at`: not after the
    conversion (a later click did not bring the customer), and within the cookie `window`
    before it. Without `converted_at` every piece of evidence counts."""
    if converted_at is None:
        return True
    if e.at > converted_at:
        return False
    return window is None or e.at >= converted_at - window


def prefer(current: Evidence | None, candidate: Evidence, model: str, *,
           converted_at: datetime | None = None,
           window: timedelta | None = None) -> Evidence | None:
    """The evidence that stands once `candidate` is known besides `current`."""
    if model not in MODELS:
        raise ValueError(f"unknown attribution model {model!r}; use one of {MODELS}")
    if not counts(candidate, converted_at=converted_at, window=window):
        return current
    if current is None:
        return candidate
    tie = (candidate.affiliate_id, candidate.click_id or "") < \
        (current.affiliate_id, current.click_id or "")
    if candidate.at == current.at:
        return candidate if tie else current
    later = candidate.at > current.at
    return candidate if later == (model == "last_click") else current


def attribute(evidence: Iterable[Evidence], model: str, *, converted_at: datetime | None = None,
              window: timedelta | None = None) -> Evidence | None:
    """The winning evidence among all of it (None when none counts)."""
    winner: Evidence | None = None
    for e in evidence:
        winner = prefer(winner, e, model, converted_at=converted_at, window=window)
    return winner
