from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from successlink.store.connect import open_store
from successlink.store.migrate import current_revision, head_revision, upgrade
from successlink.store.tables import Base


def test_migrations_build_exactly_the_mapped_schema(store: Engine) -> None:
    with store.connect() as con:
        ctx = MigrationContext.configure(con, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_every_mapped_table_exists_after_upgrade(store: Engine) -> None:
    tables = set(inspect(store).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_twice_is_a_no_op(store: Engine) -> None:
    assert current_revision(store) == head_revision()
    assert upgrade(store) == head_revision()


def test_an_empty_store_has_no_revision(store_url: str) -> None:
    engine = open_store(store_url)
    try:
        assert current_revision(engine) is None
    finally:
        engine.dispose()


def test_sqlite_store_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'app.db'}")
    upgrade(engine)
    with engine.connect() as con:
        assert con.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert con.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert con.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()


def test_0003_gives_an_existing_program_row_the_former_fraud_thresholds(store_url: str) -> None:
    """Before 0003 the checks used 20 clicks in 60 minutes and 14 days; a stored program keeps
    exactly those after the upgrade, and the downgrade drops the columns again."""
    from successlink.store.migrate import downgrade

    engine = open_store(store_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as con:
            con.execute(text(
                "INSERT INTO program_settings (id, name, currency, cookie_days, attribution, "
                "hold_days, min_payout_minor, allowed_domains, fallback_url, updated_at) "
                "VALUES (1, 'p', 'USD', 30, 'first_click', 0, 5000, '[]', 'https://a.test/', "
                "'2026-01-01 00:00:00')"))
        upgrade(engine)
        with engine.connect() as con:
            row = con.execute(text(
                "SELECT fraud_flood_clicks, fraud_flood_window_minutes, fraud_early_days, "
                "fraud_disposable_domains FROM program_settings")).one()
        assert tuple(row[:3]) == (20, 60, 14) and row[3] in ("[]", [])
        downgrade(engine, "0002")
        columns = {c["name"] for c in inspect(engine).get_columns("program_settings")}
        assert "fraud_flood_clicks" not in columns and "hold_days" in columns
    finally:
        engine.dispose()
