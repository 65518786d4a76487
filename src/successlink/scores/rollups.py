"""Usage rollups, built once from raw events and reused by every score run until new data.

Raw usage_events can hold 100M rows; every usage metric reads (account, day) rollups
instead. A rollup is rebuilt only when something was ingested since it was built (the
latest `loads.loaded_at`), so scoring many as-of dates scans the raw events once.
"""

from __future__ import annotations

from datetime import datetime

import ibis

from successlink.metrics.rollups import usage_daily, user_daily
from successlink.warehouse.connect import Warehouse, quote

DAY_EVENT = "usage_account_day_event"
DAY_USER = "usage_account_day_user"
_STATE = "rollup_state"


def _last_load(wh: Warehouse) -> datetime | None:
    if "loads" not in wh.con.list_tables():
        return None
    value = wh.scalar(wh.table("loads").loaded_at.max())
    return value if isinstance(value, datetime) else None


def _built_from(wh: Warehouse) -> str | None:
    if _STATE not in wh.con.list_tables():
        return None
    rows = wh.execute(f"SELECT built_from FROM {quote(_STATE)}")
    return str(rows[0][0]) if rows else None


def ensure_rollups(wh: Warehouse, *, force: bool = False) -> bool:
    """Build the rollups if missing or stale; True when they were (re)built."""
    stamp = str(_last_load(wh))
    tables = wh.con.list_tables()
    if not force and DAY_EVENT in tables and DAY_USER in tables and _built_from(wh) == stamp:
        return False
    events = wh.table("usage_events")
    wh.con.create_table(DAY_EVENT, usage_daily(events), overwrite=True)
    wh.con.create_table(DAY_USER, user_daily(events), overwrite=True)
    wh.con.create_table(_STATE, schema=ibis.schema({"built_from": "string"}), overwrite=True)
    wh.execute(f"INSERT INTO {quote(_STATE)} (built_from) VALUES (?)", [stamp])
    return True
