"""Identity resolution in the warehouse: fill `account_id` from the keys each row carries.

It runs as Ibis joins against `account_identities` at load time, in the configured rule
order, so any backend can run it and rows that arrive before their company are matched by a
later load (`rematch_unresolved`).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from successlink.warehouse.tables import TableSpec


def identity_key(value: ir.StringValue, kind: str) -> ir.StringValue:
    """The lookup key of a column value for an identity kind (e-mails and domains lower-cased)."""
    if kind == "email":
        return value.strip().lower()
    if kind == "domain":
        lowered = value.strip().lower()
        at = lowered.find("@")
        # A bare domain column has no '@' (find gives -1, substr from 0 keeps it whole).
        return lowered.substr(at + 1)
    return value


def ordered_matches(spec: TableSpec, rules: Sequence[str]) -> list[tuple[str, str]]:
    """The table's (kind, column) match pairs that the rules enable, in rule order."""
    rank = {kind: i for i, kind in enumerate(rules)}
    return sorted((m for m in spec.match if m[0] in rank), key=lambda m: rank[m[0]])


def resolve_accounts(spec: TableSpec, rows: ir.Table, identities: ir.Table,
                     rules: Sequence[str]) -> ir.Table:
    """`rows` with account_id filled by the first rule that matches; accounts are minted."""
    candidates: list[ir.Value] = []
    joined = rows
    for i, (kind, column) in enumerate(ordered_matches(spec, rules)):
        if kind == "account_id":
            candidates.append(rows.account_id)
            continue
        lookup = identities.filter(identities.kind == kind).select(
            **{f"_k{i}": identities.key, f"_a{i}": identities.account_id})
        joined = joined.left_join(lookup, identity_key(rows[column], kind) == lookup[f"_k{i}"])
        candidates.append(lookup[f"_a{i}"])
    if spec.creates_accounts:
        candidates.append(rows.source_key_kind.concat(ibis.literal(":"), rows.source_key))
    if not candidates:
        return rows
    resolved = ibis.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
    # Select from the join chain itself: Ibis resolves `rows.x` and `lookup.y` through it.
    return joined.select(**{c: (resolved if c == "account_id" else rows[c])
                            for c in rows.columns})


def derived_identities(spec: TableSpec, rows: ir.Table, observed_at: object) -> list[ir.Table]:
    """Identity links that resolved rows of a table establish (account -> its own keys)."""
    stamp = ibis.literal(observed_at, type="timestamp('UTC')")
    out: list[ir.Table] = []

    def link(kind: str | ir.Value, key: ir.Value) -> None:
        kind_value = ibis.literal(kind) if isinstance(kind, str) else kind
        part = rows.filter(rows.account_id.notnull() & key.notnull()).select(
            kind=kind_value, key=key, account_id=rows.account_id, source=rows.source,
            observed_at=stamp)
        out.append(part)

    if spec.name == "accounts":
        link("account_id", rows.account_id)
        link(rows.source_key_kind, rows.source_key)
        link("domain", rows.domain.lower())
        link("email", rows.billing_email.lower())
    elif spec.name == "contacts":
        link("email", rows.email.lower())
    elif spec.name == "invoices":
        link("stripe_invoice", rows.invoice_id)
    elif spec.name == "payments":
        link("stripe_charge", rows.payment_id)
    elif spec.name == "product_users":
        link("segment_user", rows.user_id)
        link("email", rows.email.lower())
    return out
