"""Segment spec messages, as Segment and RudderStack send them, mapped to canonical rows.

`track`, `page` and `screen` are usage events; `identify` describes a product user and
`group` an account (its groupId is the customer's own account id). `alias` merges two user
ids, which the warehouse does not model: it is counted and skipped. RudderStack follows the
same spec but puts identify traits only in `context.traits`, so both places are read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from successlink.ingest.segment.messages import (
    NO_LINKS,
    SOURCE,
    BatchTime,
    Mapper,
    MappingOptions,
    Output,
    account_rows,
    as_object,
    first_instant,
    present,
    require_id,
    user_rows,
)
from successlink.warehouse.validate import FieldError

# When a message happened, best first (Segment's spec: timestamp is the corrected event time).
MESSAGE_TIMES = ("timestamp", "originalTimestamp", "receivedAt", "sentAt")
_fromisoformat = datetime.fromisoformat
_NO_MESSAGE_ID = ("is missing: every Segment message carries a messageId, which becomes the "
                  "event id (export the messages with their messageId)")


def _group_key(properties: dict[str, Any] | None, context: object) -> object:
    """The account an event names when context.groupId is absent."""
    group = properties.get("groupId") if properties else None
    if group is None and context.__class__ is dict:
        traits = context.get("traits")
        group = traits.get("groupId") if traits.__class__ is dict else None
    return group


def _page_name(message: dict[str, Any], properties: dict[str, Any] | None,
               event_type: str) -> object:
    name = message.get("name")
    if name is None and properties:
        name = properties.get("title") or properties.get("path")
    return name if name is not None else event_type


def event_values(message: dict[str, Any], event_type: str,
                 sent_at: BatchTime) -> dict[str, Any]:
    """A usage_events row for a track, page or screen call.

    This runs once per event, so the common case (a messageId, a UTC `timestamp`, the
    account in context.groupId) is kept flat; anything else takes the general paths.
    """
    message_id = message.get("messageId")
    if message_id is None:
        raise FieldError("messageId", None, _NO_MESSAGE_ID)
    at = None
    timestamp = message.get("timestamp")
    if timestamp.__class__ is str:
        try:  # noqa: SIM105 (contextlib.suppress would cost a context manager per event)
            at = _fromisoformat(timestamp)
        except ValueError:
            pass
    if at is None or at.tzinfo is not UTC:
        at = first_instant(message, MESSAGE_TIMES, sent_at)
    properties = message.get("properties")
    if properties is not None and properties.__class__ is not dict:
        as_object(properties, "properties")  # raises, naming what it is instead
    context = message.get("context")
    group = context.get("groupId") if context.__class__ is dict else None
    if group is None:
        group = _group_key(properties, context)
    if event_type == "track":
        name = message.get("event")
    else:
        name = _page_name(message, properties, event_type)
    return {"event_id": message_id, "group_key": group, "user_id": message.get("userId"),
            "anonymous_id": message.get("anonymousId"), "event_type": event_type,
            "event": name, "occurred_at": at, "properties": properties, "source": SOURCE}


def track(message: dict[str, Any], sent_at: BatchTime, options: MappingOptions) -> Output:
    """A track call: one usage event named by `event`."""
    return "usage_events", event_values(message, "track", sent_at), NO_LINKS


def page(message: dict[str, Any], sent_at: BatchTime, options: MappingOptions) -> Output:
    """A page call: a usage event named by the page `name` (else its title or path)."""
    return "usage_events", event_values(message, "page", sent_at), NO_LINKS


def screen(message: dict[str, Any], sent_at: BatchTime, options: MappingOptions) -> Output:
    """A screen call (mobile apps): a usage event named by the screen `name`."""
    return "usage_events", event_values(message, "screen", sent_at), NO_LINKS


def identify(message: dict[str, Any], sent_at: BatchTime, options: MappingOptions) -> Output:
    """A product user from its traits; top-level traits win over context.traits."""
    user_id = present(message.get("userId"))
    if user_id is None:
        if present(message.get("anonymousId")) is not None:
            return None  # traits of an anonymous visitor name no product user
        raise FieldError("userId", message.get("userId"),
                         "is missing: an identify call names the user by userId")
    context = as_object(message.get("context"), "context")
    traits = dict(as_object(context.get("traits"), "context.traits"))
    traits.update(as_object(message.get("traits"), "traits"))
    at = first_instant(message, MESSAGE_TIMES, sent_at)
    return user_rows(user_id, traits, at, options.account_keys)


def group(message: dict[str, Any], sent_at: BatchTime, options: MappingOptions) -> Output:
    """An account named by groupId, and the links group -> account and user -> account."""
    group_id = require_id(message.get("groupId"), "groupId",
                          "a group call names the account it describes by groupId")
    traits = as_object(message.get("traits"), "traits")
    at = first_instant(message, MESSAGE_TIMES, sent_at)
    return account_rows(group_id, traits, at, present(message.get("userId")), "traits")


def alias(message: dict[str, Any], sent_at: BatchTime, options: MappingOptions) -> Output:
    """An alias call merges two user ids; nothing in the warehouse stores that."""
    return None


# The usage events, read by the adapter's fast path.
EVENT_TYPES = ("track", "page", "screen")
SEGMENT_TYPES: dict[str, Mapper] = {
    "track": track, "page": page, "screen": screen, "identify": identify, "group": group,
    "alias": alias,
}
