"""Ingest: real files from billing, usage, helpdesk, surveys and CRM -> canonical rows."""
