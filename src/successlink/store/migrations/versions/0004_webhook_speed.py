"""webhook speed: fraud flags found by subject

A batch of webhooks reads the flags of every ledger account it settles
(`fraud_flags.subject IN (...)`), and so does every settlement's review check: without an
index each read scans all flags.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fraud_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fraud_flags_subject'), ['subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fraud_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fraud_flags_subject'))
