"""What every Segment-spec message shares: its time, its traits, and what a mapping returns.

Messages come from Segment and RudderStack (`type`, `messageId`, `userId`...) and from
PostHog (`event`, `uuid`, `distinct_id`...); both mappings build the same canonical rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from successlink.ingest.identity import normalise_domain, normalise_email
from successlink.timeline import TimestampError, parse_instant
from successlink.warehouse.validate import FieldError

SOURCE = "segment"
EXAMPLE_TIME = "e.g. 2024-03-01T12:00:00.000Z"

# A mapping's result: the main row's table and values (a usage event, product user or
# account) and the account_identities rows the message states, stored only with the main row.
# None means the message is deliberately not stored (alias calls, other PostHog group types).
Output = tuple[str, dict[str, Any], tuple[dict[str, Any], ...]] | None
NO_LINKS: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class MappingOptions:
    """What a mapping needs beyond the message itself."""

    # Trait keys that name the account explicitly (IngestOptions.account_metadata_keys).
    account_keys: tuple[str, ...] = ("account_id", "successlink_account_id")
    # The PostHog group type whose keys are account ids.
    posthog_group_type: str = "company"


# The batch's own send time, used when a message carries no time: (field name, value).
BatchTime = tuple[str, object] | None
Mapper = Callable[[dict[str, Any], BatchTime, MappingOptions], Output]

_fromisoformat = datetime.fromisoformat


def instant(value: object, field: str) -> datetime:
    """An aware UTC instant, or FieldError naming `field`.

    Segment and PostHog send UTC ISO-8601 text, which `datetime.fromisoformat` reads directly
    (several times faster than the general `parse_instant`); anything else, e.g. an offset
    other than UTC, a naive time or Unix seconds, goes through `parse_instant`.
    """
    if value.__class__ is str:
        try:
            moment = _fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is UTC:
            return moment
    try:
        return parse_instant(value)
    except TimestampError as exc:
        raise FieldError(field, value, f"{exc} ({EXAMPLE_TIME})") from None
    except OverflowError:  # an offset can push year 1 or 9999 out of range
        raise FieldError(field, value, "is outside the range of dates") from None


def first_instant(message: Mapping[str, Any], fields: tuple[str, ...],
                  fallback: BatchTime = None) -> datetime:
    """The first of `fields` the message carries, else `fallback` (the batch's send time).

    A field that is present but unreadable is an error, not a reason to try the next one:
    guessing a later field would silently move the event in time.
    """
    for field in fields:
        value = message.get(field)
        if value is not None:
            return instant(value, field)
    if fallback is not None:
        return instant(fallback[1], f"batch.{fallback[0]}")
    raise FieldError(fields[0], None, f"is missing, and so are {', '.join(fields[1:])}: "
                     "the message has no time")


def as_object(value: object, field: str) -> dict[str, Any]:
    """A JSON object field ({} when absent), or FieldError when it is something else."""
    if value is None:
        return {}
    if value.__class__ is not dict:
        raise FieldError(field, value, f"is a {_json_kind(value)}, not a JSON object")
    return value


def _json_kind(value: object) -> str:
    kinds = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return kinds.get(type(value), type(value).__name__)


def display_name(traits: Mapping[str, Any]) -> object:
    """`name`, else first and last name joined (Segment's firstName/lastName traits)."""
    name = traits.get("name")
    if name is not None:
        return name
    parts = [traits.get(k) or traits.get(alt) for k, alt in
             (("firstName", "first_name"), ("lastName", "last_name"))]
    words = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    return " ".join(words) or None


def named_account(traits: Mapping[str, Any], account_keys: tuple[str, ...]) -> object:
    """The account id a user's traits name explicitly (groupId, company.id, account_id...)."""
    found = traits.get("groupId")
    if found is None:
        company = traits.get("company")
        found = company.get("id") if isinstance(company, dict) else None
    for key in account_keys:
        if found is not None:
            break
        found = traits.get(key)
    if isinstance(found, str):
        found = found.strip() or None
    return found


def user_rows(user_id: object, traits: dict[str, Any], at: datetime,
              account_keys: tuple[str, ...]) -> Output:
    """A product_users row, and a segment_user link when the traits name the account."""
    values = {"user_id": user_id, "email": normalise_email(traits.get("email")),
              "name": display_name(traits), "traits": traits or None, "identified_at": at,
              "source": SOURCE}
    account = named_account(traits, account_keys)
    if account is None:
        return "product_users", values, NO_LINKS
    return "product_users", values, (link("segment_user", user_id, account, at),)


def link(kind: str, key: object, account_id: object, at: datetime) -> dict[str, Any]:
    """An account_identities row: the source said `key` (of `kind`) names `account_id`."""
    return {"kind": kind, "key": key, "account_id": account_id, "source": SOURCE,
            "observed_at": at}


# Group traits the accounts table has columns for; every other trait goes to `properties`.
_ACCOUNT_TRAITS = frozenset(
    {"name", "email", "website", "domain", "industry", "employees", "createdAt", "created_at"})


def account_rows(group_id: object, traits: dict[str, Any], at: datetime, user_id: object,
                 where: str) -> Output:
    """An accounts row for a group (its id is the account id) and the links it states.

    `where` is the dotted path of `traits` in the message, for error messages.
    """
    created = traits.get("createdAt", traits.get("created_at"))
    domain = normalise_domain(traits.get("website")) or normalise_domain(traits.get("domain"))
    extra = {k: v for k, v in traits.items() if k not in _ACCOUNT_TRAITS}
    values = {
        "account_id": group_id, "source_key_kind": "segment_group", "source_key": group_id,
        "billing_email": normalise_email(traits.get("email")), "name": traits.get("name"),
        "domain": domain, "industry": traits.get("industry"),
        "employees": traits.get("employees"),
        "created_at": None if created is None else instant(created, f"{where}.createdAt"),
        "properties": extra or None, "source": SOURCE,
    }
    links = [link("segment_group", group_id, group_id, at)]
    if user_id is not None:
        links.append(link("segment_user", user_id, group_id, at))
    return "accounts", values, tuple(links)


def present(value: object) -> object:
    """None for a missing or blank value, else the value."""
    if value.__class__ is str and not value.strip():
        return None
    return value


def require_id(value: object, field: str, what: str) -> object:
    """A present id (not None, not blank text), or FieldError saying what it is for."""
    if present(value) is None:
        raise FieldError(field, value, f"is missing: {what}")
    return value
