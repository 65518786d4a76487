"""payout cancel: a pending payout can be cancelled and its entries paid by a later run

A payout file can fail at the provider (a closed account, a rejected batch); the operator
cancels the payout (`successlink payouts cancel ID --reason ...`), the affiliate sees why,
and the next run pays the same entries. Until now `payout_items.entry_id` was UNIQUE, so an
entry could never appear in a second payout even after the first was cancelled. The
guarantee becomes: an entry is in at most one payout that is not cancelled, enforced by the
database (a trigger on payout_items), and a cancelled payout stays cancelled (a trigger on
payouts), so two live payouts can never hold the same entry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TWICE = "this ledger entry is already in a payout that is not cancelled: it is never paid twice"
REVIVED = "a cancelled payout stays cancelled: run payouts again to pay its entries"
APPEND_ONLY = ("payout_items is append-only: the database refuses to change or delete a row; "
               "record a correcting entry instead")
LIVE_ITEM = """EXISTS (SELECT 1 FROM payout_items i JOIN payouts p ON p.id = i.payout_id
                        WHERE i.entry_id = NEW.entry_id AND p.status <> 'cancelled')"""


def upgrade() -> None:
    op.add_column('payouts', sa.Column('cancel_reason', sa.String(), nullable=True))
    op.add_column('payouts', sa.Column('cancelled_at', sa.DateTime(timezone=True),
                                       nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE payout_items DROP CONSTRAINT uq_payout_items_entry_id")
        op.create_index('ix_payout_items_entry_id', 'payout_items', ['entry_id'])
        op.execute(f"""
            CREATE FUNCTION successlink_payout_item_once() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF {LIVE_ITEM} THEN
                    RAISE EXCEPTION '{TWICE}' USING ERRCODE = 'unique_violation';
                END IF;
                RETURN NEW;
            END $$""")
        op.execute("CREATE TRIGGER payout_items_once BEFORE INSERT ON payout_items "
                   "FOR EACH ROW EXECUTE FUNCTION successlink_payout_item_once()")
        op.execute(f"""
            CREATE FUNCTION successlink_payout_stays_cancelled() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.status = 'cancelled' AND NEW.status <> 'cancelled' THEN
                    RAISE EXCEPTION '{REVIVED}' USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN NEW;
            END $$""")
        op.execute("CREATE TRIGGER payouts_stay_cancelled BEFORE UPDATE ON payouts "
                   "FOR EACH ROW EXECUTE FUNCTION successlink_payout_stays_cancelled()")
        return
    # SQLite cannot drop a table constraint: the table is rebuilt without it. Nothing
    # references payout_items, and its append-only triggers go with the old table, so they
    # are created again on the new one.
    op.execute("""CREATE TABLE payout_items_new (
        id INTEGER NOT NULL, payout_id INTEGER NOT NULL, entry_id INTEGER NOT NULL,
        amount_minor INTEGER NOT NULL, currency VARCHAR(3) NOT NULL,
        CONSTRAINT pk_payout_items PRIMARY KEY (id),
        CONSTRAINT fk_payout_items_entry_id_ledger_entries FOREIGN KEY(entry_id)
            REFERENCES ledger_entries (id),
        CONSTRAINT fk_payout_items_payout_id_payouts FOREIGN KEY(payout_id)
            REFERENCES payouts (id))""")
    op.execute("INSERT INTO payout_items_new (id, payout_id, entry_id, amount_minor, currency) "
               "SELECT id, payout_id, entry_id, amount_minor, currency FROM payout_items")
    op.execute("DROP TABLE payout_items")
    op.execute("ALTER TABLE payout_items_new RENAME TO payout_items")
    op.create_index('ix_payout_items_payout_id', 'payout_items', ['payout_id'])
    op.create_index('ix_payout_items_entry_id', 'payout_items', ['entry_id'])
    _sqlite_append_only()
    op.execute(f"CREATE TRIGGER payout_items_once BEFORE INSERT ON payout_items "
               f"WHEN {LIVE_ITEM} BEGIN SELECT RAISE(ABORT, '{TWICE}'); END")
    op.execute(f"CREATE TRIGGER payouts_stay_cancelled BEFORE UPDATE OF status ON payouts "
               f"WHEN OLD.status = 'cancelled' AND NEW.status <> 'cancelled' "
               f"BEGIN SELECT RAISE(ABORT, '{REVIVED}'); END")


def _sqlite_append_only() -> None:
    for action in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER payout_items_no_{action.lower()} BEFORE {action} ON "
                   f"payout_items BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def downgrade() -> None:
    """Back to one payout item per entry (fails if a cancelled payout's entries were paid
    again: the older schema cannot hold that history)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER payouts_stay_cancelled ON payouts")
        op.execute("DROP FUNCTION successlink_payout_stays_cancelled()")
        op.execute("DROP TRIGGER payout_items_once ON payout_items")
        op.execute("DROP FUNCTION successlink_payout_item_once()")
        op.drop_index('ix_payout_items_entry_id', 'payout_items')
        op.execute("ALTER TABLE payout_items ADD CONSTRAINT uq_payout_items_entry_id "
                   "UNIQUE (entry_id)")
    else:
        op.execute("DROP TRIGGER payouts_stay_cancelled")
        op.execute("DROP TRIGGER payout_items_once")
        op.execute("""CREATE TABLE payout_items_old (
            id INTEGER NOT NULL, payout_id INTEGER NOT NULL, entry_id INTEGER NOT NULL,
            amount_minor INTEGER NOT NULL, currency VARCHAR(3) NOT NULL,
            CONSTRAINT pk_payout_items PRIMARY KEY (id),
            CONSTRAINT fk_payout_items_entry_id_ledger_entries FOREIGN KEY(entry_id)
                REFERENCES ledger_entries (id),
            CONSTRAINT fk_payout_items_payout_id_payouts FOREIGN KEY(payout_id)
                REFERENCES payouts (id),
            CONSTRAINT uq_payout_items_entry_id UNIQUE (entry_id))""")
        op.execute("INSERT INTO payout_items_old (id, payout_id, entry_id, amount_minor, "
                   "currency) SELECT id, payout_id, entry_id, amount_minor, currency "
                   "FROM payout_items")
        op.execute("DROP TABLE payout_items")
        op.execute("ALTER TABLE payout_items_old RENAME TO payout_items")
        op.create_index('ix_payout_items_payout_id', 'payout_items', ['payout_id'])
        _sqlite_append_only()
    # SQLite has had DROP COLUMN since 3.35 (2021).
    op.execute('ALTER TABLE payouts DROP COLUMN cancelled_at')
    op.execute('ALTER TABLE payouts DROP COLUMN cancel_reason')
