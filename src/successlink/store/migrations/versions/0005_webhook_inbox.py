"""webhook inbox: deliveries acknowledged once stored, processed after

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00

`webhook_inbox` holds every verified delivery as received (append-only, enforced by triggers
like the ledger's in 0002); `webhook_inbox_cursor` is the one row saying how far processing
got (starting at 0: nothing processed); `webhook_inbox_failures` the rows whose processing
raised and is being retried.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_INT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
MESSAGE = ("webhook_inbox is append-only: the database refuses to change or delete a row; "
           "record a correcting entry instead")


def upgrade() -> None:
    op.create_table('webhook_inbox',
    sa.Column('id', _INT, nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('api_version', sa.String(length=32), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_inbox'))
    )
    op.create_table('webhook_inbox_cursor',
    sa.Column('id', _INT, autoincrement=False, nullable=False),
    sa.Column('last_id', _INT, nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_webhook_inbox_cursor_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_inbox_cursor'))
    )
    op.execute("INSERT INTO webhook_inbox_cursor (id, last_id) VALUES (1, 0)")
    op.create_table('webhook_inbox_failures',
    sa.Column('inbox_id', _INT, autoincrement=False, nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('attempts', _INT, nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['inbox_id'], ['webhook_inbox.id'], name=op.f('fk_webhook_inbox_failures_inbox_id_webhook_inbox')),
    sa.PrimaryKeyConstraint('inbox_id', name=op.f('pk_webhook_inbox_failures'))
    )
    with op.batch_alter_table('webhook_inbox_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_inbox_failures_next_attempt_at'), ['next_attempt_at'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # successlink_append_only() is migration 0002's trigger function.
        op.execute("CREATE TRIGGER webhook_inbox_append_only BEFORE UPDATE OR DELETE ON "
                   "webhook_inbox FOR EACH ROW EXECUTE FUNCTION successlink_append_only()")
        op.execute("CREATE TRIGGER webhook_inbox_no_truncate BEFORE TRUNCATE ON webhook_inbox "
                   "FOR EACH STATEMENT EXECUTE FUNCTION successlink_append_only()")
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER webhook_inbox_no_{action.lower()} BEFORE {action} ON "
                   f"webhook_inbox BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER webhook_inbox_no_truncate ON webhook_inbox")
        op.execute("DROP TRIGGER webhook_inbox_append_only ON webhook_inbox")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER webhook_inbox_no_{action}")
    with op.batch_alter_table('webhook_inbox_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_inbox_failures_next_attempt_at'))

    op.drop_table('webhook_inbox_failures')
    op.drop_table('webhook_inbox_cursor')
    op.drop_table('webhook_inbox')
