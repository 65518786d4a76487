"""initial app store

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 15:21:20.917421
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_scores',
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('health_band', sa.String(length=16), nullable=True),
    sa.Column('activated', sa.Boolean(), nullable=True),
    sa.Column('churn_risk', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('account_id', 'as_of', name=op.f('pk_account_scores'))
    )
    op.create_table('affiliates',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('email', sa.String(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('group_name', sa.String(), nullable=True),
    sa.Column('quality_tier', sa.String(length=16), nullable=True),
    sa.Column('quality_tier_as_of', sa.DateTime(timezone=True), nullable=True),
    sa.Column('plan_id', sa.String(), nullable=True),
    sa.Column('payout_method', sa.String(length=16), nullable=False),
    sa.Column('payout_details', sa.JSON(), nullable=False),
    sa.Column('account_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("payout_method IN ('paypal', 'wise', 'manual')", name=op.f('ck_affiliates_payout_method_valid')),
    sa.CheckConstraint("status IN ('invited', 'pending', 'active', 'suspended', 'banned')", name=op.f('ck_affiliates_status_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliates')),
    sa.UniqueConstraint('email', name=op.f('uq_affiliates_email'))
    )
    with op.batch_alter_table('affiliates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_affiliates_account_id'), ['account_id'], unique=False)

    op.create_table('commission_plans',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_toml', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', 'version', name=op.f('pk_commission_plans'))
    )
    op.create_table('disputes',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_charge_id'), ['charge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_payment_intent_id'), ['payment_intent_id'], unique=False)

    op.create_table('program_settings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('cookie_days', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attribution', sa.String(length=16), nullable=False),
    sa.Column('hold_days', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('min_payout_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('allowed_domains', sa.JSON(), nullable=False),
    sa.Column('fallback_url', sa.String(), nullable=False),
    sa.Column('default_plan_id', sa.String(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("attribution IN ('first_click', 'last_click')", name=op.f('ck_program_settings_attribution_valid')),
    sa.CheckConstraint('cookie_days >= 0', name=op.f('ck_program_settings_cookie_days_positive')),
    sa.CheckConstraint('hold_days >= 0', name=op.f('ck_program_settings_hold_days_positive')),
    sa.CheckConstraint('min_payout_minor >= 0', name=op.f('ck_program_settings_min_payout_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_settings'))
    )
    op.create_table('refunds',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('invoice_id', sa.String(length=255), nullable=True),
    sa.Column('refunded_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_charge_id'), ['charge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_payment_intent_id'), ['payment_intent_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('customer_external_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('event_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_customer_external_id'), ['customer_external_id'], unique=False)

    op.create_table('webhook_events',
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('api_version', sa.String(length=32), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('processed', 'ignored')", name=op.f('ck_webhook_events_outcome_valid')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_webhook_events'))
    )
    op.create_table('affiliate_tiers',
    sa.Column('affiliate_id', sa.String(length=64), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_affiliate_tiers_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('affiliate_id', 'as_of', name=op.f('pk_affiliate_tiers'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('affiliate_id', sa.String(length=64), nullable=True),
    sa.Column('label', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("scope IN ('admin', 'affiliate')", name=op.f('ck_api_keys_scope_valid')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_api_keys_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_affiliate_id'), ['affiliate_id'], unique=False)

    op.create_table('fraud_flags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('affiliate_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('self_referral', 'click_flood', 'disposable_email', 'no_click', 'early_refund', 'early_churn')", name=op.f('ck_fraud_flags_kind_valid')),
    sa.CheckConstraint("status IN ('open', 'approved', 'rejected')", name=op.f('ck_fraud_flags_status_valid')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_fraud_flags_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_flags'))
    )
    with op.batch_alter_table('fraud_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fraud_flags_affiliate_id'), ['affiliate_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_key', sa.String(length=255), nullable=False),
    sa.Column('tranche_key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('affiliate_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('sale_id', sa.String(length=255), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('unvested_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('vested_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lapsed_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reversed_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=True),
    sa.Column('plan_version', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('accrual', 'vesting', 'lapse', 'reversal', 'adjustment')", name=op.f('ck_ledger_entries_kind_valid')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_ledger_entries_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('entry_key', name=op.f('uq_ledger_entries_entry_key'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_affiliate_id'), ['affiliate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_sale_id'), ['sale_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_tranche_key'), ['tranche_key'], unique=False)

    op.create_table('links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('affiliate_id', sa.String(length=64), nullable=False),
    sa.Column('destination', sa.String(), nullable=False),
    sa.Column('utm_source', sa.String(), nullable=True),
    sa.Column('utm_medium', sa.String(), nullable=True),
    sa.Column('utm_campaign', sa.String(), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_links_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_links')),
    sa.UniqueConstraint('code', name=op.f('uq_links_code'))
    )
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_links_affiliate_id'), ['affiliate_id'], unique=False)

    op.create_table('payouts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('affiliate_id', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'paid', 'cancelled')", name=op.f('ck_payouts_status_valid')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_payouts_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_affiliate_id'), ['affiliate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_run_id'), ['run_id'], unique=False)

    op.create_table('clicks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('link_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('affiliate_id', sa.String(length=64), nullable=True),
    sa.Column('clicked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip_anon', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(), nullable=True),
    sa.Column('referer', sa.String(), nullable=True),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_clicks_affiliate_id_affiliates')),
    sa.ForeignKeyConstraint(['link_id'], ['links.id'], name=op.f('fk_clicks_link_id_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clicks'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clicks_affiliate_id'), ['affiliate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clicks_clicked_at'), ['clicked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_clicks_link_id'), ['link_id'], unique=False)

    op.create_table('fraud_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('flag_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reviewer', sa.String(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('approve', 'reject')", name=op.f('ck_fraud_reviews_decision_valid')),
    sa.ForeignKeyConstraint(['flag_id'], ['fraud_flags.id'], name=op.f('fk_fraud_reviews_flag_id_fraud_flags')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_reviews'))
    )
    with op.batch_alter_table('fraud_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fraud_reviews_flag_id'), ['flag_id'], unique=False)

    op.create_table('payout_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payout_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_payout_items_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payout_items_payout_id_payouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_items')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_payout_items_entry_id'))
    )
    with op.batch_alter_table('payout_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_items_payout_id'), ['payout_id'], unique=False)

    op.create_table('customers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(), nullable=True),
    sa.Column('account_id', sa.String(), nullable=True),
    sa.Column('affiliate_id', sa.String(length=64), nullable=True),
    sa.Column('click_id', sa.String(length=36), nullable=True),
    sa.Column('referred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('churned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_customers_affiliate_id_affiliates')),
    sa.ForeignKeyConstraint(['click_id'], ['clicks.id'], name=op.f('fk_customers_click_id_clicks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('external_id', name=op.f('uq_customers_external_id'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_affiliate_id'), ['affiliate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_email'), ['email'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('click_id', sa.String(length=36), nullable=True),
    sa.Column('affiliate_id', sa.String(length=64), nullable=False),
    sa.Column('customer_external_id', sa.String(), nullable=True),
    sa.Column('email', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_leads_affiliate_id_affiliates')),
    sa.ForeignKeyConstraint(['click_id'], ['clicks.id'], name=op.f('fk_leads_click_id_clicks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_affiliate_id'), ['affiliate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_click_id'), ['click_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_customer_external_id'), ['customer_external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_email'), ['email'], unique=False)

    op.create_table('sales',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('amount_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('product_id', sa.String(), nullable=True),
    sa.Column('price_id', sa.String(), nullable=True),
    sa.Column('billing_reason', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sales_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales'))
    )
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_charge_id'), ['charge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_payment_intent_id'), ['payment_intent_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_payment_intent_id'))
        batch_op.drop_index(batch_op.f('ix_sales_customer_id'))
        batch_op.drop_index(batch_op.f('ix_sales_charge_id'))

    op.drop_table('sales')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_email'))
        batch_op.drop_index(batch_op.f('ix_leads_customer_external_id'))
        batch_op.drop_index(batch_op.f('ix_leads_click_id'))
        batch_op.drop_index(batch_op.f('ix_leads_affiliate_id'))

    op.drop_table('leads')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_email'))
        batch_op.drop_index(batch_op.f('ix_customers_affiliate_id'))
        batch_op.drop_index(batch_op.f('ix_customers_account_id'))

    op.drop_table('customers')
    with op.batch_alter_table('payout_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_items_payout_id'))

    op.drop_table('payout_items')
    with op.batch_alter_table('fraud_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fraud_reviews_flag_id'))

    op.drop_table('fraud_reviews')
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clicks_link_id'))
        batch_op.drop_index(batch_op.f('ix_clicks_clicked_at'))
        batch_op.drop_index(batch_op.f('ix_clicks_affiliate_id'))

    op.drop_table('clicks')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payouts_run_id'))
        batch_op.drop_index(batch_op.f('ix_payouts_affiliate_id'))

    op.drop_table('payouts')
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_links_affiliate_id'))

    op.drop_table('links')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_tranche_key'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_sale_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_affiliate_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_account_id'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('fraud_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fraud_flags_affiliate_id'))

    op.drop_table('fraud_flags')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_affiliate_id'))

    op.drop_table('api_keys')
    op.drop_table('affiliate_tiers')
    op.drop_table('webhook_events')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_customer_external_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_payment_intent_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_charge_id'))

    op.drop_table('refunds')
    op.drop_table('program_settings')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disputes_payment_intent_id'))
        batch_op.drop_index(batch_op.f('ix_disputes_charge_id'))

    op.drop_table('disputes')
    op.drop_table('commission_plans')
    with op.batch_alter_table('affiliates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_affiliates_account_id'))

    op.drop_table('affiliates')
    op.drop_table('account_scores')
