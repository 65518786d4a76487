"""Segment-spec product usage (Segment, RudderStack, PostHog) -> usage events, users, accounts.

`adapter` reads files and numbers records, `jsonlines` is its fast JSON Lines reader,
`spec` maps Segment and RudderStack messages, `posthog` PostHog events, and `messages` holds
what both share (times, traits, the rows of users and accounts).
"""

from successlink.ingest.segment.adapter import SegmentAdapter

__all__ = ["SegmentAdapter"]
