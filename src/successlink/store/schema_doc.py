"""docs/app-store.md, generated from the mapped tables so it cannot drift:
python -m successlink.store.schema_doc > docs/app-store.md"""

from __future__ import annotations

import inspect

from sqlalchemy import Column, Table, UniqueConstraint

from successlink.store.tables import Base

_HEAD = """# The app store

The program's system of record (docs/architecture.md, "App store"): SQLite in WAL mode at
`<workspace>/app.db` by default, or PostgreSQL (`SUCCESSLINK_APP_STORE`). Create or migrate it
with `successlink db upgrade`. Timestamps are UTC; money is integer minor units beside a
`currency`. This page is generated from the mapped tables
(`python -m successlink.store.schema_doc > docs/app-store.md`); a test keeps it current.
"""
APPEND_ONLY = ("\n\n**Append-only.** Database triggers (migrations 0002, 0005) refuse every "
               "UPDATE and DELETE on this table (and TRUNCATE on PostgreSQL), whoever sends "
               "it; a correction is a new row.")


def _type(column: Column[object]) -> str:
    name = type(column.type).__name__
    return {"UTCDateTime": "timestamp (UTC)", "BigInteger": "integer", "String": "text",
            "Text": "text", "JSON": "json", "Boolean": "boolean", "Date": "date",
            "Float": "float"}.get(name, name.lower())


def _notes(table: Table, column: Column[object]) -> str:
    notes = []
    if column.primary_key:
        notes.append("primary key")
    unique = [c for c in table.constraints if isinstance(c, UniqueConstraint)
              and [k.name for k in c.columns] == [column.name]]
    if unique:
        notes.append("unique")
    notes += [f"-> {fk.column.table.name}.{fk.column.name}" for fk in column.foreign_keys]
    if column.index:
        notes.append("indexed")
    return ", ".join(notes)


def render() -> str:
    """The whole page."""
    classes = {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}
    parts = [_HEAD]
    for name in sorted(Base.metadata.tables):
        table = Base.metadata.tables[name]
        doc = inspect.cleandoc(classes[name].__doc__ or "")
        if table.info.get("append_only"):
            doc += APPEND_ONLY
        parts.append(f"\n## `{name}`\n\n{doc}\n\n| column | type | null | notes |\n"
                     "|---|---|---|---|\n")
        for column in table.columns:
            parts.append(f"| `{column.name}` | {_type(column)} | "
                         f"{'yes' if column.nullable else 'no'} | {_notes(table, column)} |\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render(), end="")
