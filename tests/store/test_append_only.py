"""Migrations 0002 and 0005: the database itself refuses to change or delete ledger entries,
payout items and webhook inbox rows, on SQLite and PostgreSQL, and the migrations can be
undone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from successlink.store.affiliates import Affiliate
from successlink.store.connect import open_store
from successlink.store.inbox import WebhookInbox
from successlink.store.ledger import LedgerEntry
from successlink.store.migrate import current_revision, downgrade, head_revision, upgrade
from successlink.store.payouts import Payout, PayoutItem
from successlink.store.tables import Base
from tests.conftest import _new_postgres_db

T = datetime(2026, 5, 1, tzinfo=UTC)
APPEND_ONLY = sorted(n for n, t in Base.metadata.tables.items() if t.info.get("append_only"))


def _seed(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        s.add(Affiliate(id="aff_1", name="Ada", email="ada@example.com", status="active",
                        group_name=None, quality_tier=None, quality_tier_as_of=None,
                        plan_id=None, payout_method="paypal", payout_details={},
                        account_id=None, created_at=T))
        s.flush()
        entry = LedgerEntry(entry_key="in_1:0:0", tranche_key="in_1:0", kind="accrual",
                            affiliate_id="aff_1", account_id="acc_1", sale_id="in_1",
                            currency="USD", unvested_minor=0, vested_minor=1000,
                            lapsed_minor=0, reversed_minor=0, plan_id="p", plan_version=1,
                            inputs={}, explanation="x", effective_at=T, recorded_at=T)
        payout = Payout(run_id="r1", affiliate_id="aff_1", currency="USD", amount_minor=1000,
                        method="paypal", status="pending", reference=None, created_at=T,
                        paid_at=None)
        s.add_all([entry, payout])
        s.flush()
        s.add(PayoutItem(payout_id=payout.id, entry_id=entry.id, amount_minor=1000,
                         currency="USD"))
        s.add(WebhookInbox(source="stripe", event_id="evt_1", event_type="invoice.paid",
                           api_version=None, body="{}", received_at=T))


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as con:
        return int(con.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_the_ledger_payout_items_and_inbox_are_the_append_only_tables() -> None:
    assert APPEND_ONLY == ["ledger_entries", "payout_items", "webhook_inbox"]


@pytest.mark.parametrize("table", APPEND_ONLY)
@pytest.mark.parametrize("statement", ["UPDATE {t} SET amount = 1", "DELETE FROM {t}"])
def test_sql_cannot_change_or_delete_a_row(store: Engine, table: str, statement: str) -> None:
    _seed(store)
    column, value = {"ledger_entries": ("vested_minor", 1000),
                     "payout_items": ("amount_minor", 1000), "webhook_inbox": ("body", "{}")}[table]
    sql = statement.format(t=table).replace("amount", column)
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), store.begin() as con:
        con.execute(text(sql))
    assert _count(store, table) == 1
    with store.connect() as con:
        assert con.execute(text(f"SELECT {column} FROM {table}")).scalar_one() == value


def test_appending_and_marking_a_payout_paid_still_work(store: Engine) -> None:
    _seed(store)
    with Session(store) as s, s.begin():
        s.add(LedgerEntry(entry_key="in_1:0:1", tranche_key="in_1:0", kind="reversal",
                          affiliate_id="aff_1", account_id="acc_1", sale_id="in_1",
                          currency="USD", unvested_minor=0, vested_minor=-1000,
                          lapsed_minor=0, reversed_minor=1000, plan_id="p", plan_version=1,
                          inputs={}, explanation="y", effective_at=T, recorded_at=T))
        payout = s.scalars(select(Payout)).one()
        payout.status, payout.reference, payout.paid_at = "paid", "PP-1", T
    with Session(store) as s:
        assert s.scalar(select(func.sum(LedgerEntry.vested_minor))) == 0
        assert s.scalars(select(Payout.status)).one() == "paid"


def test_postgres_refuses_truncate(postgres_server: str) -> None:
    """TRUNCATE fires no row trigger; PostgreSQL has a statement trigger for it."""
    store = open_store(_new_postgres_db(postgres_server))
    try:
        upgrade(store)
        _seed(store)
        for table in ("payout_items", "webhook_inbox"):
            with pytest.raises(DBAPIError, match=f"{table} is append-only"), \
                    store.begin() as con:
                con.execute(text(f"TRUNCATE {table} CASCADE"))
            assert _count(store, table) == 1
    finally:
        store.dispose()


def test_the_migration_downgrades_and_upgrades_cleanly(store: Engine) -> None:
    _seed(store)
    assert downgrade(store, "0001") == "0001"
    with store.begin() as con:  # without the triggers the rows can change again
        con.execute(text("UPDATE ledger_entries SET explanation = 'changed'"))
        con.execute(text("DELETE FROM payout_items"))
    assert upgrade(store) == head_revision()
    with pytest.raises(DBAPIError, match="ledger_entries is append-only"), store.begin() as con:
        con.execute(text("DELETE FROM ledger_entries"))
    assert downgrade(store, "base") is None
    assert current_revision(store) is None
