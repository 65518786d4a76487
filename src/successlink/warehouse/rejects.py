"""Bookkeeping tables: every rejected row with its reason, and every load with its counts.

Both are keyed so that re-running the same file leaves them as they were.
"""

from __future__ import annotations

from successlink.warehouse.tables import TableSpec, _c

REJECTS = TableSpec(
    "rejects", "Rows that could not be stored: file, line, field, value and reason.",
    (
        _c("file_sha256", "string", "Content hash of the file.", required=True),
        _c("file", "string", "Path as given on the command line.", required=True,
           max_length=4096),
        _c("source", "string", "Adapter that read the file.", required=True),
        _c("line", "int64", "1-based line (or record number for JSON arrays).",
           required=True),
        _c("field", "string", "Field path (table.column or source path).", required=True),
        _c("value", "string", "The offending value, shortened."),
        _c("reason", "string", "What is wrong and what was expected.", required=True),
        _c("rejected_at", "timestamp", "First time this reject was recorded.", required=True),
    ),
    key=("file_sha256", "line", "field"),
)

LOADS = TableSpec(
    "loads", "One row per file and table loaded: the counts `successlink ingest` printed.",
    (
        _c("load_id", "string", "Id of one file's load.", required=True),
        _c("file", "string", "Path as given.", required=True, max_length=4096),
        _c("file_sha256", "string", "Content hash of the file.", required=True),
        _c("source", "string", "Adapter.", required=True),
        _c("table_name", "string", "Canonical table written (or '-' for the file).",
           required=True),
        _c("loaded_at", "timestamp", "When the load committed.", required=True),
        _c("rows_read", "int64", "Rows offered.", required=True),
        _c("inserted", "int64", "New rows.", required=True),
        _c("updated", "int64", "Changed rows.", required=True),
        _c("unchanged", "int64", "Rows already stored as they are (or newer).",
           required=True),
        _c("superseded", "int64", "Rows replaced by a later row with the same key.",
           required=True),
        _c("rejected", "int64", "Rows not stored (see rejects).", required=True),
        _c("matched", "int64", "Rows resolved to an account.", required=True),
        _c("unmatched", "int64", "Rows kept without an account, for later matching.",
           required=True),
    ),
    key=("load_id", "table_name"),
)
