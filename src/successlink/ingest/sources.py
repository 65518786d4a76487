"""The source formats `successlink ingest SOURCE` knows, and the options each one reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from successlink.config import Settings
from successlink.errors import ConfigError
from successlink.ingest.canonical import CanonicalAdapter
from successlink.ingest.hubspot import HubSpotAdapter
from successlink.ingest.records import Adapter, IngestOptions
from successlink.ingest.segment import SegmentAdapter
from successlink.ingest.stripe import StripeAdapter
from successlink.ingest.surveys import SurveyAdapter
from successlink.ingest.zendesk import ZendeskAdapter


@dataclass(frozen=True)
class SourceKind:
    """A name on the command line and how to build its adapter."""

    name: str
    summary: str
    build: Callable[[Settings], Adapter]


SOURCES: dict[str, SourceKind] = {
    s.name: s
    for s in (
        SourceKind("stripe", "Stripe webhook events or exported objects (JSON, JSON Lines).",
                   lambda _: StripeAdapter()),
        SourceKind("segment", "Segment-spec events: Segment, RudderStack, PostHog (JSON Lines).",
                   lambda s: SegmentAdapter(posthog_group_type=s.ingest.posthog_group_type)),
        SourceKind("zendesk", "Zendesk tickets, organizations, users (JSON export or CSV).",
                   lambda _: ZendeskAdapter()),
        SourceKind("surveys", "NPS / CSAT survey answers (Delighted-style CSV).",
                   lambda _: SurveyAdapter()),
        SourceKind("hubspot", "HubSpot (or Salesforce-style) companies and contacts CSV.",
                   lambda _: HubSpotAdapter()),
        SourceKind("canonical", "Any table in SuccessLink's own layout (CSV, JSONL, Parquet).",
                   lambda _: CanonicalAdapter()),
        SourceKind("cs_costs", "Customer-success costs CSV (canonical layout).",
                   lambda _: CanonicalAdapter("cs_costs")),
        SourceKind("affiliates", "Affiliates CSV (canonical layout).",
                   lambda _: CanonicalAdapter("affiliates")),
        SourceKind("acquisitions", "Acquisition channel and affiliate per account (canonical).",
                   lambda _: CanonicalAdapter("acquisitions")),
    )
}


def build_adapter(name: str, settings: Settings) -> Adapter:
    """The adapter for a source name, or a ConfigError listing the names."""
    kind = SOURCES.get(name.lower())
    if kind is None:
        raise ConfigError(f"unknown source {name!r}",
                          hint=f"Sources: {', '.join(SOURCES)} (see `successlink sources`).")
    return kind.build(settings)


def ingest_options(settings: Settings, *, table: str | None = None) -> IngestOptions:
    """What adapters read from the settings."""
    return IngestOptions(
        affiliate_metadata_key=settings.ingest.affiliate_metadata_key,
        account_metadata_keys=tuple(settings.ingest.account_metadata_keys),
        survey_columns=dict(settings.surveys.columns),
        survey_kind=settings.surveys.kind,
        canonical_table=table,
        role_map={k.lower(): v for k, v in settings.crm.role_map.items()},
    )
