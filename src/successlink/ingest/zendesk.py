"""Zendesk Support -> support tickets (with CSAT), and organizations -> accounts.

Zendesk wraps the same ticket object in several ways, all read here: a Tickets API page
(`{"tickets": [...], "next_page": ...}`), an Incremental Export page (`{"tickets": [...],
"end_time": ...}`), a JSON array, JSON Lines (the admin "full JSON export") and the admin CSV
export. Organizations (`{"organizations": [...]}` or JSON Lines) become accounts; users
side-loaded in the same file (`include=users`) give each requester's e-mail.

Records inside a page are numbered by their position among the file's tickets (or
organizations), since a pretty-printed page has no useful line per record. JSON Lines and CSV
records are numbered by line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import IO, Any

from successlink.errors import InputFileError
from successlink.ingest.identity import normalise_domain, normalise_email
from successlink.ingest.readers import (
    BadRecord,
    field_instant,
    iter_csv_rows,
    iter_json_records,
    looks_like_json,
    open_binary,
)
from successlink.ingest.records import RowSink, SourceFile
from successlink.timeline import EARLIEST_PLAUSIBLE, TimestampError, parse_instant
from successlink.warehouse.validate import FieldError

SOURCE = "zendesk"
# Ticket ratings: "offered"/"unoffered" say a survey was (not) sent, not how it went.
CSAT_SCORES: dict[str, int | None] = {"good": 1, "bad": 0, "offered": None, "unoffered": None}
_MAX_ID = 2**63 - 1
# CSV "Via" labels -> the API's via.channel values.
_CSV_CHANNELS = {"mail": "email", "web form": "web", "web service": "api", "chat": "chat",
                 "phone call (incoming)": "voice", "phone call (outgoing)": "voice"}
_CSV_STATUS = {"on-hold": "hold", "on hold": "hold"}
# Canonical CSV column -> accepted headers (lower case); the first one found wins.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",), "status": ("status",), "created_at": ("created at",),
    "updated_at": ("updated at",), "solved_at": ("solved at",),
    "requester_email": ("requester email",), "requester": ("requester",),
    "organization_id": ("organization id",), "subject": ("subject",),
    "priority": ("priority",), "via": ("via",),
    "csat": ("satisfaction score", "satisfaction rating"),
    "csat_comment": ("satisfaction comment",),
}
CSV_REQUIRED = ("id", "status", "created_at")


def zendesk_id(value: object, field: str) -> str:
    """A Zendesk id (a positive integer) as text, or FieldError naming `field`."""
    text = str(value).strip() if isinstance(value, int | str) else ""
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) > _MAX_ID:
        raise FieldError(field, value, "is not a Zendesk id (expected a positive integer)")
    return str(int(text))


def _optional_id(value: object, field: str) -> str | None:
    return None if value is None or value == "" else zendesk_id(value, field)


def _dig(value: object, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def csat(rating: object, field: str) -> tuple[int | None, str | None, object]:
    """(csat_score, csat_raw, comment) from a ticket's satisfaction rating."""
    if rating is None or rating == "":
        return None, None, None
    score = _dig(rating, "score") if isinstance(rating, Mapping) else rating
    comment = _dig(rating, "comment")
    raw = _lower(score)
    if raw == "not offered":
        raw = "unoffered"
    if raw is None or raw == "":
        return None, None, comment
    if not isinstance(raw, str) or raw not in CSAT_SCORES:
        raise FieldError(field, score, "is not a Zendesk satisfaction score "
                         "(expected good, bad, offered or unoffered)")
    return CSAT_SCORES[raw], raw, comment


def observed_at(now: datetime, *candidates: object) -> datetime:
    """The first candidate that is a plausible instant, else `now` (when a link was seen)."""
    for value in candidates:
        try:
            moment = parse_instant(value)
        except (TimestampError, OverflowError):
            continue
        if moment >= EARLIEST_PLAUSIBLE:
            return moment
    return now


def ticket_values(ticket: Mapping[str, Any], emails: Mapping[str, str],
                  solved: Mapping[str, Any]) -> dict[str, Any]:
    """A `support_tickets` row from a ticket object of the Zendesk API."""
    ticket_id = zendesk_id(ticket.get("id"), "id")
    score, raw, comment = csat(ticket.get("satisfaction_rating"), "satisfaction_rating.score")
    requester = normalise_email(_dig(ticket, "via", "source", "from", "address"))
    requester_id = ticket.get("requester_id")
    if requester is None and isinstance(requester_id, int | str):
        requester = emails.get(str(requester_id))
    return {
        "ticket_id": f"{SOURCE}:{ticket_id}",
        "organization_key": _optional_id(ticket.get("organization_id"), "organization_id"),
        "requester_email": requester,
        "subject": ticket.get("subject") or ticket.get("raw_subject"),
        "priority": _lower(ticket.get("priority")),
        "status": _lower(ticket.get("status")),
        "channel": _dig(ticket, "via", "channel"),
        "created_at": field_instant(ticket.get("created_at"), "created_at"),
        "solved_at": field_instant(ticket.get("solved_at")
                                   or _dig(ticket, "metric_set", "solved_at")
                                   or solved.get(ticket_id), "solved_at"),
        "csat_score": score, "csat_raw": raw, "csat_comment": comment,
        "updated_at": field_instant(ticket.get("updated_at") or ticket.get("created_at"),
                              "updated_at"),
        "source": SOURCE,
    }


def organization_rows(org: Mapping[str, Any], now: datetime
                      ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """An `accounts` row, and an `account_identities` row when `external_id` names the account."""
    org_id = zendesk_id(org.get("id"), "id")
    external = org.get("external_id")
    if isinstance(external, int) and not isinstance(external, bool):
        external = str(external)
    if external is not None and not isinstance(external, str):
        raise FieldError("external_id", external, "is not text (expected the account id)")
    external = external.strip() or None if external else None
    domains = org.get("domain_names")
    domain = next((d for d in map(normalise_domain, domains) if d),
                  None) if isinstance(domains, list) else None
    extra = {k: org[k] for k in ("tags", "organization_fields") if org.get(k)}
    account = {
        "account_id": external, "source_key_kind": "zendesk_org", "source_key": org_id,
        "name": org.get("name"), "domain": domain,
        "created_at": field_instant(org.get("created_at"), "created_at"),
        "source": SOURCE, "properties": extra or None,
    }
    if external is None:
        return account, None
    identity = {"kind": "zendesk_org", "key": org_id, "account_id": external, "source": SOURCE,
                "observed_at": observed_at(now, org.get("updated_at"), org.get("created_at"))}
    return account, identity


def record_kind(record: Mapping[str, Any]) -> str | None:
    """ticket, organization or user, told apart by the fields only that object has."""
    if any(k in record for k in ("status", "subject", "requester_id", "via")):
        return "ticket"
    if any(k in record for k in ("domain_names", "shared_tickets")):
        return "organization"
    if any(k in record for k in ("email", "role")):
        return "user"
    return None


def csv_columns(names: Iterator[str] | list[str], display: str) -> dict[str, str]:
    """Canonical name -> the header naming it (any case), or InputFileError if one is missing."""
    lower: dict[str, str] = {}
    for name in names:
        lower.setdefault(name.strip().lower(), name)
    found = {canon: next((lower[h] for h in headers if h in lower), None)
             for canon, headers in CSV_COLUMNS.items()}
    missing = [CSV_COLUMNS[c][0].capitalize() for c in CSV_REQUIRED if found[c] is None]
    if missing:
        raise InputFileError(
            f"the header has no column(s) {', '.join(missing)}", where=display,
            hint="A Zendesk ticket CSV export has Id, Status and Created at columns (any case); "
                 f"this file has {', '.join(lower) or 'no header'}.")
    return {canon: header for canon, header in found.items() if header is not None}


def csv_ticket_values(row: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, Any]:
    """A `support_tickets` row from one record of the Zendesk CSV export.

    The export names the organization, not its id, so these tickets match accounts by the
    requester's e-mail unless the file also has an "Organization id" column.
    """
    def cell(name: str) -> str:
        header = columns.get(name)
        return row[header].strip() if header is not None else ""

    ticket_id = zendesk_id(cell("id"), columns["id"])
    score, raw, _ = csat(cell("csat"), columns.get("csat", "Satisfaction Score"))
    status, priority, via = cell("status").lower(), cell("priority").lower(), cell("via").lower()
    return {
        "ticket_id": f"{SOURCE}:{ticket_id}",
        "organization_key": _optional_id(cell("organization_id"),
                                         columns.get("organization_id", "Organization id")),
        "requester_email": normalise_email(cell("requester_email"))
        or normalise_email(cell("requester")),
        "subject": cell("subject"),
        "priority": None if priority in ("", "-") else priority,
        "status": _CSV_STATUS.get(status, status),
        "channel": _CSV_CHANNELS.get(via, via.replace(" ", "_")),
        "created_at": field_instant(cell("created_at"), columns["created_at"]),
        "solved_at": field_instant(cell("solved_at"), columns.get("solved_at", "Solved at")),
        "csat_score": score, "csat_raw": raw, "csat_comment": cell("csat_comment"),
        "updated_at": field_instant(cell("updated_at") or cell("created_at"),
                              columns.get("updated_at", "Updated at")),
        "source": SOURCE,
    }


class ZendeskAdapter:
    """Reads one Zendesk export file into support tickets and accounts.

    After `read`, `counts` holds what the file held: every ticket or organization record
    (`records`) ends as exactly one of `stored`, `rejected` or `ignored` (deleted tickets of
    the incremental export); side-loaded `users` only lend their e-mails to tickets.
    A ticket may appear more than once (an incremental export lists it at each update): every
    copy is kept and the loader keeps the newest `updated_at`. An organization id repeated
    in one file is rejected the second time, since accounts carry no version.
    """

    name = "zendesk"
    summary = ("Zendesk Support tickets with CSAT (Tickets API, incremental export, JSON Lines, "
               "CSV export) and organizations")
    tables = ("support_tickets", "accounts", "account_identities")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._emails: dict[str, str] = {}
        self._solved: dict[str, Any] = {}
        self._orgs: dict[str, int] = {}  # organization id -> line stored, to refuse repeats

    def read(self, source: SourceFile, sink: RowSink) -> None:
        """Read `source` into `sink`; InputFileError if it is not a Zendesk export at all."""
        self.counts, self._emails, self._solved, self._orgs = Counter(), {}, {}, {}
        with open_binary(source.path, source.on_progress) as stream:
            if looks_like_json(stream):
                self._read_json(stream, source, sink)
            else:
                self._read_csv(stream, source, sink)

    def _read_json(self, stream: IO[bytes], source: SourceFile, sink: RowSink) -> None:
        position: Counter[str] = Counter()
        for line, record in iter_json_records(stream, source.display):
            if isinstance(record, dict) and "id" not in record and (
                    any(isinstance(record.get(k), list) for k in _PAGE_LISTS)
                    or any(isinstance(record.get(k), dict) for k in _SINGLE)):
                self._read_page(record, position, source, sink)
            elif isinstance(record, list):
                for index, item in enumerate(record, start=1):
                    self._one(index, item, None, source, sink)
            else:
                self._one(line, record, None, source, sink)

    def _read_page(self, page: Mapping[str, Any], position: Counter[str], source: SourceFile,
                   sink: RowSink) -> None:
        # Side-loads first, so every ticket of the page can use them.
        for user in _objects(page.get("users")):
            self._remember_user(user)
        for metric in _objects(page.get("metric_sets")):
            ticket = metric.get("ticket_id")
            if isinstance(ticket, int | str) and metric.get("solved_at"):
                self._solved[str(ticket).strip()] = metric["solved_at"]
        for plural, kind in (("organizations", "organization"), ("tickets", "ticket")):
            items = page.get(plural)
            if isinstance(page.get(kind), dict):  # a single-object response: {"ticket": {...}}
                items = [page[kind]]
            for item in items if isinstance(items, list) else ():
                position[plural] += 1
                self._one(position[plural], item, kind, source, sink)

    def _remember_user(self, user: Mapping[str, Any]) -> None:
        self.counts["users"] += 1
        email, user_id = normalise_email(user.get("email")), user.get("id")
        if email and isinstance(user_id, int | str) and not isinstance(user_id, bool):
            self._emails[str(user_id).strip()] = email

    def _one(self, line: int, record: object, kind: str | None, source: SourceFile,
             sink: RowSink) -> None:
        if isinstance(record, dict) and (kind or record_kind(record)) == "user":
            self._remember_user(record)
            return
        self.counts["records"] += 1
        try:
            outcome = self._store(line, record, kind, source, sink)
        except FieldError as err:
            sink.reject(line, err.field, err.value, err.reason)
            outcome = "rejected"
        self.counts[outcome] += 1

    def _store(self, line: int, record: object, kind: str | None, source: SourceFile,
               sink: RowSink) -> str:
        if isinstance(record, BadRecord):
            raise FieldError("record", record.text, record.reason)
        if not isinstance(record, dict):
            raise FieldError("record", record, "is not a JSON object "
                             "(expected a Zendesk ticket, organization or user)")
        kind = kind or record_kind(record)
        if kind == "ticket":
            if _lower(record.get("status")) == "deleted":
                return "ignored"
            values = ticket_values(record, self._emails, self._solved)
            return "stored" if sink.row("support_tickets", values, line=line) else "rejected"
        if kind == "organization":
            account, identity = organization_rows(record, source.now)
            key = account["source_key"]
            if key in self._orgs:
                raise FieldError("id", key, "repeats the organization already read on "
                                 f"line {self._orgs[key]}")
            if not sink.row("accounts", account, line=line):
                return "rejected"
            self._orgs[key] = line
            if identity is not None:
                sink.row("account_identities", identity, line=line)
            return "stored"
        raise FieldError("record", record, "is not a Zendesk ticket, organization or user "
                         "(it has no status, subject, domain_names or email field)")

    def _read_csv(self, stream: IO[bytes], source: SourceFile, sink: RowSink) -> None:
        columns: dict[str, str] = {}
        for line, record in iter_csv_rows(stream, source.display):
            if isinstance(record, dict) and not columns:
                columns = csv_columns(list(record), source.display)
            self.counts["records"] += 1
            try:
                if isinstance(record, BadRecord):
                    raise FieldError("record", record.text, record.reason)
                stored = sink.row("support_tickets", csv_ticket_values(record, columns),
                                  line=line)
            except FieldError as err:
                sink.reject(line, err.field, err.value, err.reason)
                stored = False
            self.counts["stored" if stored else "rejected"] += 1


_PAGE_LISTS = ("tickets", "organizations", "users")
_SINGLE = ("ticket", "organization")


def _objects(value: object) -> Iterator[Mapping[str, Any]]:
    """The JSON objects of a side-loaded list; anything else in it carries nothing we use."""
    for item in value if isinstance(value, list) else ():
        if isinstance(item, Mapping):
            yield item
