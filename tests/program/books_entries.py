"""Every stored ledger entry as the engine's Entry values (for assertions)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from successlink.program.books import to_entry
from successlink.program.ledger import Entry
from successlink.store.ledger import LedgerEntry


def stored_entries(session: Session) -> list[Entry]:
    return [to_entry(r) for r in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
