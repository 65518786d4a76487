"""`ProgramState`: the commission plans and program terms a running service (the web service,
or the webhook inbox processor) settles by, re-read from the app store when they change.

`successlink plans apply` and `successlink program set` write to the app store while the
service runs; an operator expects the next webhook to be settled under the new plan version
or default plan, not the ones the service read when it started. Reading every plan for
every batch would cost more than the batch itself, so the state keeps a stamp (how many plan
versions are stored, the newest one's time, when the program row was last written) and
reloads only when the stamp moves, checking it at most every `check_seconds`.

What it covers: the plans, the default plan and the attribution model (what settlement and
attribution read). Where the links redirect (fallback URL, allowed domains, cookie window)
follows the same way through the service's link cache (web/link_cache.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from successlink.config import Settings
from successlink.program.books import load_plans
from successlink.program.terms import ProgramTerms
from successlink.program.terms_store import load_terms, stored_terms
from successlink.program.webhooks import WebhookSettings
from successlink.store.plans import CommissionPlan
from successlink.store.program import Program

CHECK_SECONDS = 1.0


def starting_settings(settings: Settings, session: Session
                      ) -> tuple[WebhookSettings, ProgramTerms]:
    """What webhook processing starts with: the workspace's secrets, signature age limit,
    settlement delay and metadata key, with the plans and terms stored now (the program
    row, else the [program] section). The terms come back too: the service also needs
    where links may redirect."""
    program = settings.program
    terms = load_terms(session, program)
    return WebhookSettings(
        secrets=tuple(program.stripe_webhook_secrets), plans=tuple(load_plans(session)),
        default_plan=terms.default_plan,
        tolerance_seconds=program.webhook_tolerance_seconds or None,
        settle_delay=timedelta(minutes=program.settle_delay_minutes),
        affiliate_key=settings.ingest.affiliate_metadata_key,
        attribution=terms.attribution), terms


class ProgramState:
    """The webhook settings in force (see the module docstring). Thread-safe: the
    group-commit writer and the API's worker threads share one."""

    def __init__(self, start: WebhookSettings, *, check_seconds: float = CHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._start = start
        self._current = start
        self._stamp: tuple[Any, ...] | None = None
        self._checked = float("-inf")
        self._check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()

    def settings(self, session: Session) -> WebhookSettings:
        """The settings to settle by now, reloaded through `session` if the store changed
        since the last look (at most one look every `check_seconds`)."""
        with self._lock:
            now = self._clock()
            if now - self._checked < self._check_seconds:
                return self._current
            self._checked = now
            count, newest = session.execute(select(func.count(), func.max(
                CommissionPlan.created_at))).one()
            written = session.scalar(select(Program.updated_at).where(Program.id == 1))
            stamp = (count, newest, written)
            if stamp != self._stamp:
                self._current = self._load(session)
                self._stamp = stamp
            return self._current

    def _load(self, session: Session) -> WebhookSettings:
        terms = stored_terms(session)
        # Without a program row the terms are the workspace's [program] section, which
        # the service read at start-up and which cannot change while it runs.
        default_plan = terms.default_plan if terms else self._start.default_plan
        attribution = terms.attribution if terms else self._start.attribution
        # Plan versions are never changed or removed once stored, so the plans the service
        # started with stay; versions stored since are added.
        plans = {(p.id, p.version): p for p in self._start.plans}
        plans.update(((p.id, p.version), p) for p in load_plans(session))
        return replace(self._start, plans=tuple(plans.values()), default_plan=default_plan,
                       attribution=attribution)
