"""Renders docs/data-model.md from the table specs, so the document cannot drift from code.

Run `python -m successlink.warehouse.datamodel_doc > docs/data-model.md`; a test checks it.
"""

from __future__ import annotations

from successlink.warehouse.rejects import LOADS, REJECTS
from successlink.warehouse.tables import CANONICAL_TABLES, Column, TableSpec

INTRO = """# Data model

The canonical warehouse tables every adapter writes and every metric reads. Generated from
`src/successlink/warehouse/tables.py` and `rejects.py` by
`python -m successlink.warehouse.datamodel_doc > docs/data-model.md` (a test fails when
this file is out of date).

Conventions
- **Money** is an integer count of minor units (`*_minor`, e.g. 1200 = 12.00 USD; JPY has no
  minor unit, KWD three) with an ISO 4217 `currency` on the same row.
- **Instants** are UTC (`timestamp` = timestamp with time zone UTC; on SQLite, sortable text
  `YYYY-MM-DD HH:MM:SS.ffffff` in UTC). **Dates** (`date`) are calendar days.
- **Keys** are natural keys from the source (prefixed with the source where they are not
  globally unique, e.g. `zendesk:123`). Every load is an upsert on the key: re-loading a
  file changes nothing. Where a table has a **version** column, a row replaces the stored
  row with the same key only if it is not older, so out-of-order files never regress state.
- **account_id** is filled by identity resolution at load time (see "Identity resolution"
  in docs/architecture.md); rows that match no account keep it null and are retried by
  every later `successlink ingest`.
- `json` columns hold JSON text (portable across DuckDB, PostgreSQL and SQLite).
"""


def _checks(c: Column) -> str:
    parts = []
    if c.required:
        parts.append("required")
    if c.choices:
        parts.append("one of " + ", ".join(f"`{x}`" for x in c.choices))
    if c.minimum is not None:
        parts.append(f">= {c.minimum}")
    if c.maximum is not None:
        parts.append(f"<= {c.maximum}")
    if c.currency:
        parts.append("ISO 4217")
    if c.not_future:
        parts.append("not in the future")
    return "; ".join(parts)


def render_table(spec: TableSpec) -> str:
    lines = [f"## `{spec.name}`", "", spec.doc, "",
             f"- Key: {', '.join(f'`{k}`' for k in spec.key)}"]
    if spec.version:
        lines.append(f"- Version: `{spec.version}` (newer rows win)")
    if spec.match:
        rules = ", ".join(f"{kind} via `{col}`" for kind, col in spec.match)
        lines.append(f"- Matched to an account by: {rules}")
    if spec.merge == "coalesce":
        lines.append("- Merge: a newer row's missing fields keep the stored values")
    if spec.first_wins:
        lines.append(f"- First source wins for: {', '.join(spec.first_wins)}")
    if spec.precedence:
        lines.append(f"- Source precedence (highest first): {', '.join(spec.precedence)}; "
                     "a lower source only fills missing fields")
    if spec.earliest:
        lines.append(f"- Earliest value kept for: {', '.join(spec.earliest)}")
    if spec.creates_accounts:
        lines.append("- Unmatched rows mint a new account `<source_key_kind>:<source_key>`")
    lines += ["", "| column | type | unit | checks | meaning |", "|---|---|---|---|---|"]
    for c in spec.columns:
        lines.append(f"| `{c.name}` | {c.type} | {c.unit} | {_checks(c)} | {c.doc} |")
    return "\n".join(lines) + "\n"


def render() -> str:
    body = [INTRO]
    body += [render_table(t) for t in CANONICAL_TABLES]
    body.append("# Bookkeeping tables\n")
    body += [render_table(t) for t in (REJECTS, LOADS)]
    return "\n".join(body)


if __name__ == "__main__":
    print(render(), end="")
