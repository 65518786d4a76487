"""API keys: shown once, stored only as a SHA-256 hash, scoped to the admin or one affiliate.

A key is `sl_admin_` or `sl_aff_` and 32 random url-safe characters; the first 12 are kept
as a prefix so a person can tell keys apart in a list. SHA-256 (not a slow password hash) is
right here: the key is 190 bits of randomness, so there is nothing to brute-force, and every
API request must check one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from successlink.store.affiliates import ApiKey

PREFIX_CHARS = 12


@dataclass(frozen=True)
class Caller:
    """Who is calling: the admin, or one affiliate (who may only see its own data)."""

    scope: str
    affiliate_id: str | None
    key_id: int


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_key(session: Session, *, scope: str, affiliate_id: str | None, label: str | None,
              now: datetime) -> str:
    """Store a new key and return it in clear text (the only time it exists)."""
    if (scope == "affiliate") != (affiliate_id is not None):
        raise ValueError("an affiliate key names its affiliate; an admin key names none")
    key = f"sl_{'admin' if scope == 'admin' else 'aff'}_{secrets.token_urlsafe(24)}"
    session.add(ApiKey(prefix=key[:PREFIX_CHARS], key_hash=hash_key(key), scope=scope,
                       affiliate_id=affiliate_id, label=label, created_at=now,
                       revoked_at=None))
    session.flush()
    return key


def authenticate(session: Session, authorization: str | None) -> Caller | None:
    """The caller of an `Authorization: Bearer <key>` header, or None (unknown, revoked or
    malformed keys look the same to the client)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    presented = authorization[7:].strip()
    if not presented.startswith("sl_"):
        return None
    digest = hash_key(presented)
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)).one_or_none()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash,
                                                                            digest):
        return None
    return Caller(scope=row.scope, affiliate_id=row.affiliate_id, key_id=row.id)
