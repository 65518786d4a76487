"""The warehouse: canonical tables, the Ibis connection, idempotent loads and rejects."""
