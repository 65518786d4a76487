"""Stripe billing data -> accounts, subscriptions, changes, invoices, payments, refunds, disputes.

`StripeAdapter` (adapter.py) reads a file; one mapper module per Stripe resource family turns
an object into canonical rows (customers.py, subscriptions.py with changes.py and plans.py,
invoices.py, payments.py); fields.py reads values and names the source path of bad ones.
"""

from successlink.ingest.stripe.adapter import StripeAdapter

__all__ = ["StripeAdapter"]
