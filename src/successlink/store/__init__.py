"""The app store: the program's operational tables (affiliates, links, clicks, sales, the
commission ledger, payouts, fraud reviews) in SQLAlchemy, migrated by Alembic.

It is separate from the warehouse: the warehouse is analytical and rebuilt from files, the app
store is the system of record the service writes to. SQLite (WAL) in the workspace by
default, PostgreSQL in production.
"""
