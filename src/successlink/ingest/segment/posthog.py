"""PostHog events (`event`, `distinct_id`, `properties`, `uuid`, `timestamp`) as rows.

Ordinary events, `$pageview` and `$screen` included, are usage events whose account is the
event's group of the configured type (`properties.$groups.company` by default). Person
properties arrive as `$set` / `$identify` events and become product users; group properties
arrive as `$groupidentify` and become accounts. The `distinct_id` of a `$groupidentify` is a
random id the SDK makes up, not a user, so it links nothing.
"""

from __future__ import annotations

from typing import Any

from successlink.ingest.segment.messages import (
    NO_LINKS,
    SOURCE,
    BatchTime,
    MappingOptions,
    Output,
    account_rows,
    as_object,
    first_instant,
    require_id,
    user_rows,
)
from successlink.warehouse.validate import FieldError

# `created_at` is the ingestion time in PostHog's batch exports; `sent_at` the SDK's send time.
EVENT_TIMES = ("timestamp", "created_at", "sent_at")
_EVENT_TYPES = {"$pageview": "page", "$screen": "screen"}
_PERSON_EVENTS = frozenset({"$identify", "$set"})
# Identity merges between distinct ids: like Segment's alias, nothing to store.
IGNORED_EVENTS = frozenset({"$create_alias", "$merge_dangerously"})
_NO_UUID = ("is missing: every PostHog event carries a uuid, which becomes the event id "
            "(export the events with their uuid)")


def posthog_rows(message: dict[str, Any], sent_at: BatchTime,
                 options: MappingOptions) -> Output:
    """The rows of one PostHog event, or None for events that state nothing we store."""
    event = message.get("event")
    if event.__class__ is not str or not event:
        raise FieldError("event", event, "is missing: a PostHog event has a name (event)")
    if event in _PERSON_EVENTS:
        return _person(message, sent_at, options)
    if event == "$groupidentify":
        return _group(message, sent_at, options)
    if event in IGNORED_EVENTS:
        return None
    return "usage_events", _event(message, event, sent_at, options), NO_LINKS


def _event(message: dict[str, Any], event: str, sent_at: BatchTime,
           options: MappingOptions) -> dict[str, Any]:
    uuid = message.get("uuid")
    if uuid is None:
        raise FieldError("uuid", None, _NO_UUID)
    user = require_id(message.get("distinct_id"), "distinct_id",
                      "every PostHog event names who did it by distinct_id")
    properties = message.get("properties")
    if properties is not None and properties.__class__ is not dict:
        as_object(properties, "properties")  # raises, naming what it is instead
    groups = properties.get("$groups") if properties else None
    group = groups.get(options.posthog_group_type) if groups.__class__ is dict else None
    return {"event_id": uuid, "group_key": group, "user_id": user,
            "event_type": _EVENT_TYPES.get(event, "track"), "event": event,
            "occurred_at": first_instant(message, EVENT_TIMES, sent_at),
            "properties": properties, "source": SOURCE}


def _person(message: dict[str, Any], sent_at: BatchTime, options: MappingOptions) -> Output:
    """A product user from `$set_once` then `$set` (the SDK sends them top level; the
    JavaScript SDK inside properties), later ones winning."""
    user = require_id(message.get("distinct_id"), "distinct_id",
                      "a $set or $identify event names the person by distinct_id")
    properties = as_object(message.get("properties"), "properties")
    traits: dict[str, Any] = {}
    for key in ("$set_once", "$set"):
        traits.update(as_object(properties.get(key), f"properties.{key}"))
        traits.update(as_object(message.get(key), key))
    at = first_instant(message, EVENT_TIMES, sent_at)
    return user_rows(user, traits, at, options.account_keys)


def _group(message: dict[str, Any], sent_at: BatchTime, options: MappingOptions) -> Output:
    """An account from a `$groupidentify` of the configured group type; others are skipped."""
    properties = as_object(message.get("properties"), "properties")
    if properties.get("$group_type") != options.posthog_group_type:
        return None
    key = require_id(properties.get("$group_key"), "properties.$group_key",
                     "a $groupidentify event names the group by $group_key")
    traits = as_object(properties.get("$group_set"), "properties.$group_set")
    at = first_instant(message, EVENT_TIMES, sent_at)
    return account_rows(key, traits, at, None, "properties.$group_set")
