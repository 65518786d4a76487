"""fraud thresholds in the program settings row

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:30:00

The click-flood count and window, the early refund/churn days and the program's own
throwaway-mailbox domains join the other program settings; an existing row gets the values
the code used before (20 clicks in 60 minutes, 14 days, no extra domains).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_INT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fraud_flood_clicks', _INT, server_default=sa.text('20'),
                                      nullable=False))
        batch_op.add_column(sa.Column('fraud_flood_window_minutes', _INT,
                                      server_default=sa.text('60'), nullable=False))
        batch_op.add_column(sa.Column('fraud_early_days', _INT, server_default=sa.text('14'),
                                      nullable=False))
        batch_op.add_column(sa.Column('fraud_disposable_domains', sa.JSON(),
                                      server_default=sa.text("'[]'"), nullable=False))
        batch_op.create_check_constraint(op.f('ck_program_settings_fraud_flood_clicks_positive'),
                                         'fraud_flood_clicks >= 1')
        batch_op.create_check_constraint(op.f('ck_program_settings_fraud_flood_window_positive'),
                                         'fraud_flood_window_minutes >= 1')
        batch_op.create_check_constraint(op.f('ck_program_settings_fraud_early_days_positive'),
                                         'fraud_early_days >= 0')


def downgrade() -> None:
    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_program_settings_fraud_early_days_positive'),
                                 type_='check')
        batch_op.drop_constraint(op.f('ck_program_settings_fraud_flood_window_positive'),
                                 type_='check')
        batch_op.drop_constraint(op.f('ck_program_settings_fraud_flood_clicks_positive'),
                                 type_='check')
        batch_op.drop_column('fraud_disposable_domains')
        batch_op.drop_column('fraud_early_days')
        batch_op.drop_column('fraud_flood_window_minutes')
        batch_op.drop_column('fraud_flood_clicks')
