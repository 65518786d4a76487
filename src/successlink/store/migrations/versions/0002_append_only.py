"""append-only ledger and payout items, enforced by the database

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:00:00

The ORM never updates or deletes a ledger entry or a payout item; these triggers make the
database refuse it too, so a hand-written UPDATE, a script or a bug cannot rewrite what was
earned or paid. A correction is a new entry. (SQLite: a later batch migration that rebuilds
one of these tables drops its triggers with it; such a migration must create them again.)
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLES = ("ledger_entries", "payout_items")
MESSAGE = ("{table} is append-only: the database refuses to change or delete a row; "
           "record a correcting entry instead")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION successlink_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: the database refuses to change or delete '
                                'a row; record a correcting entry instead', TG_TABLE_NAME
                    USING ERRCODE = 'restrict_violation';
            END $$""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION successlink_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION successlink_append_only()")
        return
    for table in TABLES:
        message = MESSAGE.format(table=table)
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION successlink_append_only()")
        return
    for table in TABLES:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{action}")
