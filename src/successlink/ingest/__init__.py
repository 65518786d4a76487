"""Ingest: real files from billing, product analytics, helpdesk, surveys and CRM -> canonical rows."""
