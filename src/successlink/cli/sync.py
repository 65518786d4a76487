"""`successlink sync`: copy a scored day's tiers and health bands into the app store."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.cli.score import parse_day
from successlink.errors import ConfigError
from successlink.scores.publish import latest_scored_day, publish
from successlink.scores.run import ACCOUNT_HEALTH, SOURCE_SCORECARDS
from successlink.scores.snapshots import snapshot_days
from successlink.store.connect import open_store
from successlink.store.migrate import current_revision, head_revision


def sync_after_score(state: AppContext, day: date) -> None:
    """Publish a day just scored when the workspace has a migrated app store (one is never
    created here: a workspace that only analyses data keeps no app.db)."""
    settings = state.settings
    if settings.app_store.url is None and not (settings.workspace / "app.db").exists():
        return
    engine = open_store(settings.app_store_url)
    try:
        if current_revision(engine) != head_revision():
            return
        with Session(engine) as s, s.begin():
            done = publish(state.warehouse, s, day)
    finally:
        engine.dispose()
    state.console.print(f"Synced to the app store: {done.affiliate_tiers} affiliate tiers, "
                        f"{done.account_scores} account health bands.")


def sync(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Scored day (YYYY-MM-DD); default the latest.")] = None,
) -> None:
    """Publish affiliate tiers and account health bands to the app store (commissions use
    them as of each sale's payment)."""
    state: AppContext = ctx.obj
    wh = state.warehouse
    day = parse_day(as_of) if as_of else latest_scored_day(wh)
    if day is None:
        raise ConfigError("nothing is scored yet", hint="Run `successlink score` first.")
    if day not in snapshot_days(wh, SOURCE_SCORECARDS) or \
            day not in snapshot_days(wh, ACCOUNT_HEALTH):
        raise ConfigError(f"{day} is not scored",
                          hint=f"Run `successlink score --as-of {day}` first.")
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as s, s.begin():
            done = publish(wh, s, day)
    finally:
        engine.dispose()
    state.console.print(f"Synced {day}: {done.affiliate_tiers} affiliate tiers, "
                        f"{done.account_scores} account health bands"
                        + (f"; {done.unknown_affiliates} scorecard affiliates are not in the "
                           "app store" if done.unknown_affiliates else "") + ".")
