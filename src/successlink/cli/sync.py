"""`successlink sync`: copy a scored day's tiers and health bands into the app store."""

from __future__ import annotations

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
