"""The canonical warehouse tables: columns, types, keys, units and checks.

One declaration serves validation at ingest, DDL on every backend, the Parquet layout of the
synthetic world and docs/data-model.md, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "int64", "float64", "bool", "timestamp", "date", "json"]

CONTACT_ROLES = (
    "decision_maker", "champion", "influencer", "budget_holder", "end_user", "other",
)
SUBSCRIPTION_STATUSES = (
    "trialing", "active", "past_due", "unpaid", "canceled", "incomplete",
    "incomplete_expired", "paused",
)
CHANGE_TYPES = (
    "new", "upgrade", "downgrade", "cross_sell", "seat_change", "reactivation", "cancel",
)
INTERVALS = ("day", "week", "month", "year")
CHANNELS = ("organic_search", "paid", "partner", "affiliate", "direct", "referral", "other")
IDENTITY_KINDS = (
    "account_id", "stripe_customer", "stripe_invoice", "stripe_charge", "segment_group",
    "segment_user", "zendesk_org", "hubspot_company", "email", "domain",
)


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its type and the checks a value must pass to be stored."""

    name: str
    type: ColumnType
    doc: str
    required: bool = False
    unit: str = ""
    minimum: int | float | None = None
    maximum: int | float | None = None
    choices: tuple[str, ...] | None = None
    currency: bool = False  # an ISO 4217 code, upper-cased on load
    not_future: bool = False  # an instant that has happened: later than "now" is bad input
    max_length: int = 4096  # longer strings are rejected, not truncated


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A canonical table: its grain, natural key and, where sources update rows, a version."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # A row only replaces a stored row with the same key if its version is not older, so
    # out-of-order files (old Stripe events after new ones) never regress state.
    version: str | None = None
    # (identity kind, column) pairs tried in the configured rule order to fill account_id.
    match: tuple[tuple[str, str], ...] = ()
    # Rows of this table may create an account when no identity matches.
    creates_accounts: bool = False
    # "replace": a newer row replaces the stored one; "coalesce": its null fields keep the
    # stored values (for tables several records describe partially).
    merge: Literal["replace", "coalesce"] = "replace"
    # With merge="coalesce": columns whose stored value wins (where a row first came from),
    # and instants that keep the earliest value seen, so re-loading any one source is a no-op.
    first_wins: tuple[str, ...] = ()
    earliest: tuple[str, ...] = ()
    # With merge="coalesce": sources in order of trust, highest first. A row from a source
    # ranked at least as high as the stored row's replaces its fields; a lower one only
    # fills gaps. Unlisted sources rank lowest.
    precedence: tuple[str, ...] = ()
    column_index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})
        missing = [k for k in self.key if k not in self.column_index]
        if missing:
            raise ValueError(f"{self.name}: key columns {missing} are not columns")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return self.column_index[name]


def _c(name: str, type_: ColumnType, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


_ACCOUNT = _c("account_id", "string", "Resolved SuccessLink account; null until matched.")
_SOURCE = _c("source", "string", "Adapter that produced the row (stripe, segment, ...).",
             required=True, max_length=64)
_CURRENCY = _c("currency", "string", "ISO 4217 currency of every *_minor column.",
               required=True, currency=True, max_length=3)


def _money(name: str, doc: str, *, required: bool = True, signed: bool = False) -> Column:
    return _c(name, "int64", doc, required=required, unit="minor units",
              minimum=None if signed else 0)


ACCOUNTS = TableSpec(
    "accounts", "One row per customer company (the account).",
    (
        _c("account_id", "string",
           "Canonical account id: the explicit id a source gives, else resolved from the "
           "keys below, else minted as '<source_key_kind>:<source_key>'.", max_length=256),
        _c("source_key_kind", "string", "Kind of the source's own key for this company.",
           choices=IDENTITY_KINDS),
        _c("source_key", "string", "The source's own key (Stripe cus_..., HubSpot id...)."),
        _c("billing_email", "string", "Billing or main e-mail, lower case.", max_length=320),
        _c("name", "string", "Company name."),
        _c("domain", "string", "Primary web domain, lower case, no www.", max_length=253),
        _c("industry", "string", "Industry label from the CRM."),
        _c("country", "string", "ISO 3166 alpha-2 country.", max_length=64),
        _c("employees", "int64", "Company size.", minimum=0),
        _c("segment", "string", "Customer segment (smb, mid_market, enterprise...)."),
        _c("lifecycle_stage", "string", "CRM lifecycle stage."),
        _c("created_at", "timestamp", "When the account first appeared in any source.",
           not_future=True),
        _SOURCE,
        _c("properties", "json", "Other source attributes.", max_length=65536),
    ),
    key=("account_id",),
    match=(("account_id", "account_id"), ("email", "billing_email"), ("domain", "domain")),
    creates_accounts=True,
    merge="coalesce",
    first_wins=("source_key_kind", "source_key"),
    earliest=("created_at",),
    # The user's own curated file, then the CRM (the system of record for companies),
    # the helpdesk, billing, and product analytics traits last.
    precedence=("canonical", "hubspot", "zendesk", "stripe", "segment"),
)

CONTACTS = TableSpec(
    "contacts", "People at an account, with their CRM buying role.",
    (
        _c("contact_id", "string", "Source contact id (source-prefixed).", required=True),
        _ACCOUNT,
        _c("company_key", "string", "The source's own company id, for matching."),
        _c("email", "string", "E-mail, lower case.", max_length=320),
        _c("first_name", "string", "Given name."),
        _c("last_name", "string", "Family name."),
        _c("job_title", "string", "Job title."),
        _c("role", "string", "Buying role.", required=True, choices=CONTACT_ROLES),
        _c("role_raw", "string", "The source's role value before mapping."),
        _c("created_at", "timestamp", "Created in the source.", not_future=True),
        _SOURCE,
    ),
    key=("contact_id",),
    match=(("account_id", "account_id"), ("hubspot_company", "company_key"),
           ("email", "email"), ("domain", "email")),
)

SUBSCRIPTIONS = TableSpec(
    "subscriptions", "One row per subscription, in its latest known state.",
    (
        _c("subscription_id", "string", "Billing system subscription id.", required=True),
        _ACCOUNT,
        _c("customer_key", "string", "Billing customer id (Stripe cus_...)."),
        _c("plan_id", "string", "Price or plan id of the main item."),
        _c("plan_name", "string", "Human plan name (product name or nickname)."),
        _c("product_id", "string", "Product id of the main item."),
        _money("unit_amount_minor", "Price per unit per interval (null for tiered prices).",
               required=False),
        _CURRENCY,
        _c("quantity", "int64", "Seats or units.", required=True, minimum=0),
        _c("interval", "string", "Billing interval.", required=True, choices=INTERVALS),
        _c("interval_count", "int64", "Intervals per billing period.", required=True, minimum=1),
        _money("mrr_minor", "Monthly recurring revenue of all items, normalised to 30.4375 days."),
        _c("status", "string", "Subscription status.", required=True,
           choices=SUBSCRIPTION_STATUSES),
        _c("started_at", "timestamp", "Start of the subscription.", required=True,
           not_future=True),
        _c("trial_start", "timestamp", "Trial start."),
        _c("trial_end", "timestamp", "Trial end (may be in the future)."),
        _c("current_period_start", "timestamp", "Current billing period start."),
        _c("current_period_end", "timestamp", "Current billing period end."),
        _c("canceled_at", "timestamp", "When cancellation was requested.", not_future=True),
        _c("cancel_at", "timestamp", "Scheduled end for a cancel-at-period-end request."),
        _c("ended_at", "timestamp", "When the subscription ended.", not_future=True),
        _c("cancellation_reason", "string", "Why it was cancelled (feedback or reason)."),
        _c("updated_at", "timestamp", "When this state was observed (version).",
           required=True),
        _SOURCE,
    ),
    key=("subscription_id",),
    version="updated_at",
    match=(("account_id", "account_id"), ("stripe_customer", "customer_key")),
)

SUBSCRIPTION_CHANGES = TableSpec(
    "subscription_changes", "Expansion and contraction events, one per change.",
    (
        _c("change_id", "string", "Deterministic id of the change.", required=True),
        _c("subscription_id", "string", "Subscription changed.", required=True),
        _ACCOUNT,
        _c("customer_key", "string", "Billing customer id."),
        _c("changed_at", "timestamp", "When the change took effect.", required=True,
           not_future=True),
        _c("change_type", "string", "Kind of change.", required=True, choices=CHANGE_TYPES),
        _c("from_plan_id", "string", "Plan before."),
        _c("to_plan_id", "string", "Plan after."),
        _c("from_quantity", "int64", "Seats before.", minimum=0),
        _c("to_quantity", "int64", "Seats after.", minimum=0),
        _money("mrr_delta_minor", "MRR after minus MRR before.", signed=True),
        _CURRENCY,
        _SOURCE,
    ),
    key=("change_id",),
    match=(("account_id", "account_id"), ("stripe_customer", "customer_key")),
)

INVOICES = TableSpec(
    "invoices", "Invoices in their latest known state.",
    (
        _c("invoice_id", "string", "Billing invoice id.", required=True),
        _ACCOUNT,
        _c("customer_key", "string", "Billing customer id."),
        _c("subscription_id", "string", "Subscription billed, if any."),
        _c("number", "string", "Invoice number."),
        _c("status", "string", "draft, open, paid, uncollectible or void.", required=True,
           choices=("draft", "open", "paid", "uncollectible", "void")),
        _c("billing_reason", "string", "Why it was raised (subscription_create, ...)."),
        _CURRENCY,
        _money("subtotal_minor", "Before discounts and tax.", signed=True),
        _money("total_minor", "Amount billed.", signed=True),
        _money("amount_paid_minor", "Paid so far."),
        _money("amount_due_minor", "Still due."),
        _c("created_at", "timestamp", "Issued.", required=True, not_future=True),
        _c("period_start", "timestamp", "Service period start."),
        _c("period_end", "timestamp", "Service period end."),
        _c("paid_at", "timestamp", "When it was paid.", not_future=True),
        _c("updated_at", "timestamp", "When this state was observed (version).",
           required=True),
        _SOURCE,
    ),
    key=("invoice_id",),
    version="updated_at",
    match=(("account_id", "account_id"), ("stripe_customer", "customer_key")),
)

PAYMENTS = TableSpec(
    "payments", "Payment attempts (Stripe charges or invoice payments).",
    (
        _c("payment_id", "string", "Charge or payment id.", required=True),
        _ACCOUNT,
        _c("customer_key", "string", "Billing customer id."),
        _c("invoice_id", "string", "Invoice paid, if any."),
        _money("amount_minor", "Amount attempted."),
        _money("amount_refunded_minor", "Refunded so far.", required=False),
        _CURRENCY,
        _c("status", "string", "succeeded, pending or failed.", required=True,
           choices=("succeeded", "pending", "failed")),
        _c("failure_reason", "string", "Failure code or message."),
        _c("created_at", "timestamp", "When it was attempted.", required=True,
           not_future=True),
        _c("updated_at", "timestamp", "When this state was observed (version).",
           required=True),
        _SOURCE,
    ),
    key=("payment_id",),
    version="updated_at",
    merge="coalesce",
    match=(("account_id", "account_id"), ("stripe_customer", "customer_key"),
           ("stripe_invoice", "invoice_id")),
)

REFUNDS = TableSpec(
    "refunds", "Money returned to a customer.",
    (
        _c("refund_id", "string", "Refund id.", required=True),
        _c("payment_id", "string", "Payment refunded."),
        _ACCOUNT,
        _c("customer_key", "string", "Billing customer id."),
        _money("amount_minor", "Amount refunded."),
        _CURRENCY,
        _c("status", "string", "Refund status.", required=True),
        _c("reason", "string", "Why (requested_by_customer, fraudulent, duplicate...)."),
        _c("created_at", "timestamp", "When it was refunded.", required=True, not_future=True),
        _c("updated_at", "timestamp", "When this state was observed (version).",
           required=True),
        _SOURCE,
    ),
    key=("refund_id",),
    version="updated_at",
    match=(("account_id", "account_id"), ("stripe_customer", "customer_key"),
           ("stripe_charge", "payment_id")),
)

DISPUTES = TableSpec(
    "disputes", "Chargebacks raised by the customer's bank.",
    (
        _c("dispute_id", "string", "Dispute id.", required=True),
        _c("payment_id", "string", "Payment disputed."),
        _ACCOUNT,
        _c("customer_key", "string", "Billing customer id."),
        _money("amount_minor", "Amount disputed."),
        _CURRENCY,
        _c("status", "string", "Dispute status (needs_response, won, lost...).",
           required=True),
        _c("reason", "string", "Dispute reason (fraudulent, product_not_received...)."),
        _c("created_at", "timestamp", "When it was opened.", required=True, not_future=True),
        _c("updated_at", "timestamp", "When this state was observed (version).",
           required=True),
        _SOURCE,
    ),
    key=("dispute_id",),
    version="updated_at",
    match=(("account_id", "account_id"), ("stripe_customer", "customer_key"),
           ("stripe_charge", "payment_id")),
)

PRODUCT_USERS = TableSpec(
    "product_users", "People who log into the customer's product (Segment identify).",
    (
        _c("user_id", "string", "The product's user id (Segment userId, PostHog distinct_id).",
           required=True),
        _ACCOUNT,
        _c("email", "string", "E-mail, lower case.", max_length=320),
        _c("name", "string", "Display name."),
        _c("traits", "json", "Identify traits.", max_length=65536),
        _c("identified_at", "timestamp", "Latest identify call (version).", required=True,
           not_future=True),
        _SOURCE,
    ),
    key=("user_id",),
    version="identified_at",
    match=(("account_id", "account_id"), ("segment_user", "user_id"), ("email", "email"),
           ("domain", "email")),
)

USAGE_EVENTS = TableSpec(
    "usage_events", "Product usage events (Segment spec track/page/screen).",
    (
        _c("event_id", "string", "messageId / uuid of the event.", required=True),
        _ACCOUNT,
        _c("group_key", "string", "Segment groupId (or PostHog company group)."),
        _c("user_id", "string", "User who acted."),
        _c("anonymous_id", "string", "Anonymous id when no user id."),
        _c("event_type", "string", "track, page or screen.", required=True,
           choices=("track", "page", "screen")),
        _c("event", "string", "Event name (page name for pages).", required=True,
           max_length=512),
        _c("occurred_at", "timestamp", "When it happened (event timestamp).", required=True,
           not_future=True),
        _c("properties", "json", "Event properties.", max_length=65536),
        _SOURCE,
    ),
    key=("event_id",),
    match=(("account_id", "account_id"), ("segment_group", "group_key"),
           ("segment_user", "user_id")),
)

SUPPORT_TICKETS = TableSpec(
    "support_tickets", "Support tickets with their CSAT rating when given.",
    (
        _c("ticket_id", "string", "Source ticket id (source-prefixed).", required=True),
        _ACCOUNT,
        _c("organization_key", "string", "Helpdesk organization id."),
        _c("requester_email", "string", "Requester e-mail, lower case.", max_length=320),
        _c("subject", "string", "Subject line."),
        _c("priority", "string", "low, normal, high or urgent.",
           choices=("low", "normal", "high", "urgent")),
        _c("status", "string", "new, open, pending, hold, solved or closed.", required=True,
           choices=("new", "open", "pending", "hold", "solved", "closed")),
        _c("channel", "string", "Where it came in (email, web, chat...)."),
        _c("created_at", "timestamp", "Opened.", required=True, not_future=True),
        _c("solved_at", "timestamp", "Solved, if solved.", not_future=True),
        _c("csat_score", "int64", "1 good, 0 bad; null when not rated.", minimum=0,
           maximum=1),
        _c("csat_raw", "string", "Helpdesk rating value (good, bad, offered, unoffered)."),
        _c("csat_comment", "string", "Rating comment.", max_length=65536),
        _c("updated_at", "timestamp", "Last update in the helpdesk (version).",
           required=True),
        _SOURCE,
    ),
    key=("ticket_id",),
    version="updated_at",
    match=(("account_id", "account_id"), ("zendesk_org", "organization_key"),
           ("email", "requester_email"), ("domain", "requester_email")),
)

SURVEY_RESPONSES = TableSpec(
    "survey_responses", "NPS and CSAT survey answers.",
    (
        _c("response_id", "string", "Source response id or a hash of its content.",
           required=True),
        _ACCOUNT,
        _c("respondent_email", "string", "Who answered, lower case.", max_length=320),
        _c("kind", "string", "nps or csat.", required=True, choices=("nps", "csat")),
        _c("score", "int64", "The answer on its scale.", required=True, minimum=0,
           maximum=10),
        _c("scale_min", "int64", "Lowest possible score (0 for NPS, 1 for CSAT).",
           required=True),
        _c("scale_max", "int64", "Highest possible score (10 for NPS, 5 for CSAT).",
           required=True),
        _c("comment", "string", "Free-text comment.", max_length=65536),
        _c("responded_at", "timestamp", "When it was answered.", required=True,
           not_future=True),
        _SOURCE,
    ),
    key=("response_id",),
    match=(("account_id", "account_id"), ("email", "respondent_email"),
           ("domain", "respondent_email")),
)

CS_COSTS = TableSpec(
    "cs_costs", "Customer-success costs, direct to an account or pooled.",
    (
        _c("cost_id", "string", "Source id or a hash of the row.", required=True),
        _c("incurred_on", "date", "Day the cost belongs to.", required=True),
        _money("amount_minor", "Cost."),
        _CURRENCY,
        _c("cost_type", "string", "csm_salary, tooling, onboarding, support, other...",
           required=True),
        _ACCOUNT,
        _c("csm", "string", "CSM the cost belongs to, for pooled allocation."),
        _c("note", "string", "Free text."),
        _SOURCE,
    ),
    key=("cost_id",),
)

AFFILIATES = TableSpec(
    "affiliates", "People or companies paid to refer customers.",
    (
        _c("affiliate_id", "string", "Affiliate id (the referral code's owner).",
           required=True),
        _c("name", "string", "Display name."),
        _c("email", "string", "Contact e-mail, lower case.", max_length=320),
        _c("status", "string", "invited, pending, active, suspended or banned.",
           choices=("invited", "pending", "active", "suspended", "banned")),
        _c("tier", "string", "Program tier or group."),
        _c("joined_at", "timestamp", "Joined the program.", not_future=True),
        _c("account_id", "string", "Set when the affiliate is also a customer (advocate)."),
        _SOURCE,
    ),
    key=("affiliate_id",),
)

ACQUISITIONS = TableSpec(
    "acquisitions", "How each account was acquired: channel, affiliate, campaign.",
    (
        _c("acquisition_id", "string", "Source id (source-prefixed).", required=True),
        _ACCOUNT,
        _c("customer_key", "string", "Billing customer id, for matching."),
        _c("email", "string", "Customer e-mail, for matching.", max_length=320),
        _c("channel", "string", "Acquisition channel.", required=True, choices=CHANNELS),
        _c("affiliate_id", "string", "Referring affiliate, if any."),
        _c("campaign", "string", "Campaign or UTM campaign."),
        _c("acquired_at", "timestamp", "When the account was acquired.", required=True,
           not_future=True),
        _SOURCE,
    ),
    key=("acquisition_id",),
    match=(("account_id", "account_id"), ("stripe_customer", "customer_key"),
           ("email", "email"), ("domain", "email")),
)

ACCOUNT_IDENTITIES = TableSpec(
    "account_identities", "Every external key known to name an account.",
    (
        _c("kind", "string", "What the key is.", required=True, choices=IDENTITY_KINDS),
        _c("key", "string", "The key (lower-cased for e-mails and domains).", required=True,
           max_length=512),
        _c("account_id", "string", "Account it names.", required=True),
        _SOURCE,
        _c("observed_at", "timestamp", "When the link was seen (version).", required=True),
    ),
    key=("kind", "key"),
    version="observed_at",
)

CANONICAL_TABLES: tuple[TableSpec, ...] = (
    ACCOUNTS, CONTACTS, SUBSCRIPTIONS, SUBSCRIPTION_CHANGES, INVOICES, PAYMENTS, REFUNDS,
    DISPUTES, PRODUCT_USERS, USAGE_EVENTS, SUPPORT_TICKETS, SURVEY_RESPONSES, CS_COSTS, AFFILIATES,
    ACQUISITIONS, ACCOUNT_IDENTITIES,
)
TABLES: dict[str, TableSpec] = {t.name: t for t in CANONICAL_TABLES}


def table(name: str) -> TableSpec:
    """The spec of a canonical table by name."""
    return TABLES[name]
