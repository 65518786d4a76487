"""Every mapped table, imported in one place so `Base.metadata` is complete (migrations and
the schema test compare against it)."""

from __future__ import annotations

from successlink.store.affiliates import Affiliate, ApiKey
from successlink.store.base import Base
from successlink.store.customers import AccountScore, AffiliateTier, Customer
from successlink.store.fraud import FraudFlag, FraudReview
from successlink.store.inbox import InboxCursor, InboxFailure, WebhookInbox
from successlink.store.ledger import LedgerEntry
from successlink.store.payouts import Payout, PayoutItem
from successlink.store.plans import CommissionPlan
from successlink.store.program import Program
from successlink.store.sales import Dispute, Refund, Sale, Subscription
from successlink.store.tracking import Click, Lead, Link
from successlink.store.webhooks import WebhookEvent

__all__ = [
    "AccountScore", "Affiliate", "AffiliateTier", "ApiKey", "Base", "Click", "CommissionPlan",
    "Customer", "Dispute", "FraudFlag", "FraudReview", "InboxCursor", "InboxFailure", "Lead",
    "LedgerEntry", "Link", "Payout", "PayoutItem", "Program", "Refund", "Sale", "Subscription",
    "WebhookEvent", "WebhookInbox",
]
