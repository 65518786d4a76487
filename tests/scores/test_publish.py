"""Publishing a scored day into the app store (DuckDB warehouse -> SQLite store)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from successlink.scores.publish import latest_scored_day, publish
from successlink.scores.run import ACCOUNT_HEALTH, SOURCE_SCORECARDS
from successlink.scores.snapshots import replace_snapshot_arrow
from successlink.store.affiliates import Affiliate
from successlink.store.connect import open_store
from successlink.store.customers import AccountScore, AffiliateTier
from successlink.store.migrate import upgrade
from successlink.warehouse.connect import Warehouse

DAY = date(2026, 3, 31)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = open_store(f"sqlite:///{tmp_path / 'app.db'}")
    upgrade(engine)
    with Session(engine) as s, s.begin():
        s.add(Affiliate(id="aff_1", name="Ada", email="ada@example.com", status="active",
                        group_name=None, quality_tier=None, quality_tier_as_of=None,
                        plan_id=None, payout_method="paypal", payout_details={},
                        account_id=None, created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    yield engine
    engine.dispose()


def _score(wh: Warehouse, day: date, tier: str, band: str) -> None:
    replace_snapshot_arrow(wh, SOURCE_SCORECARDS, pa.table({
        "as_of": pa.array([day] * 3, pa.date32()),
        "source_kind": ["affiliate", "affiliate", "channel"],
        "source_id": ["aff_1", "aff_unknown", "organic"],
        "suggested_tier": [tier, "gold", "silver"]}), day)
    replace_snapshot_arrow(wh, ACCOUNT_HEALTH, pa.table({
        "as_of": pa.array([day] * 2, pa.date32()), "account_id": ["acc_1", "acc_2"],
        "band": [band, "green"]}), day)


def test_a_scored_day_is_published_and_replaced_whole(duckdb_warehouse: Warehouse,
                                                      store: Engine) -> None:
    assert latest_scored_day(duckdb_warehouse) is None
    _score(duckdb_warehouse, DAY, "silver", "yellow")
    assert latest_scored_day(duckdb_warehouse) == DAY
    with Session(store) as s, s.begin():
        done = publish(duckdb_warehouse, s, DAY)
    assert (done.affiliate_tiers, done.unknown_affiliates, done.account_scores) == (1, 1, 2)
    _score(duckdb_warehouse, DAY, "gold", "red")          # the day re-scored
    with Session(store) as s, s.begin():
        publish(duckdb_warehouse, s, DAY)
    with Session(store) as s:
        assert s.scalars(select(AffiliateTier.tier)).all() == ["gold"]
        assert sorted(s.scalars(select(AccountScore.health_band))) == ["green", "red"]
        affiliate = s.get_one(Affiliate, "aff_1")
        assert affiliate.quality_tier == "gold"
        assert affiliate.quality_tier_as_of == datetime(2026, 3, 31, tzinfo=UTC)


def test_an_older_day_keeps_its_history_but_not_the_current_tier(
        duckdb_warehouse: Warehouse, store: Engine) -> None:
    _score(duckdb_warehouse, DAY, "gold", "green")
    _score(duckdb_warehouse, date(2026, 2, 28), "bronze", "green")
    with Session(store) as s, s.begin():
        publish(duckdb_warehouse, s, DAY)
        publish(duckdb_warehouse, s, date(2026, 2, 28))
    with Session(store) as s:
        history = s.execute(select(AffiliateTier.as_of, AffiliateTier.tier)
                            .order_by(AffiliateTier.as_of)).all()
        assert [tuple(r) for r in history] == [(date(2026, 2, 28), "bronze"), (DAY, "gold")]
        assert s.get_one(Affiliate, "aff_1").quality_tier == "gold"
