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
