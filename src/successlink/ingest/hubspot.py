"""HubSpot CRM exports (companies or contacts, CSV) -> accounts, and contacts with buying roles.

HubSpot exports one object per file, headed by property labels ("Company Domain Name") or,
from the API and most ETL tools, by internal names ("domain"); both are read, in any case and
spacing. A contact's company is kept as `company_key` (the HubSpot company id): the loader
links it to the account, so a contacts file may be loaded before its companies.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from successlink.errors import ConfigError, InputFileError
from successlink.ingest.identity import normalise_domain, normalise_email
from successlink.ingest.readers import BadRecord, header_key, iter_csv_rows, open_binary
from successlink.ingest.records import IngestOptions, RowSink, SourceFile
from successlink.timeline import EARLIEST_PLAUSIBLE, TimestampError, parse_instant
from successlink.warehouse.tables import CONTACT_ROLES
from successlink.warehouse.validate import FieldError

SOURCE = "hubspot"
# Most senior first: a contact holding several roles is counted by the most senior one.
ROLE_RANK = ("decision_maker", "budget_holder", "champion", "influencer", "end_user", "other")
# HubSpot buying roles (values and labels) and Salesforce opportunity contact roles, in
# normalised form. A blocker is not a buying role we can rank; role_raw keeps it.
ROLES = {
    "decision_maker": "decision_maker", "executive_sponsor": "decision_maker",
    "budget_holder": "budget_holder", "economic_buyer": "budget_holder",
    "champion": "champion",
    "influencer": "influencer", "technical_buyer": "influencer", "evaluator": "influencer",
    "legal_and_compliance": "influencer",
    "end_user": "end_user", "business_user": "end_user",
    "blocker": "other", "other": "other",
}
_RECORD_ID = ("record_id", "hs_object_id")
_CREATED = ("create_date", "createdate")
# Canonical column -> accepted headers in normalised form (see `header_key`); first found wins.
COMPANY_COLUMNS: dict[str, tuple[str, ...]] = {
    "record_id": _RECORD_ID, "name": ("company_name", "name"),
    "domain": ("company_domain_name", "domain"), "website": ("website_url", "website"),
    "industry": ("industry",), "employees": ("number_of_employees", "numberofemployees"),
    "country": ("country_region", "country"),
    "lifecycle_stage": ("lifecycle_stage", "lifecyclestage"), "created_at": _CREATED,
    "modified_at": ("last_modified_date", "hs_lastmodifieddate"),
}
CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "record_id": _RECORD_ID, "first_name": ("first_name", "firstname"),
    "last_name": ("last_name", "lastname"), "email": ("email",),
    "job_title": ("job_title", "jobtitle"),
    "role": ("buying_role", "hs_buying_role", "role", "contact_role"),
    "company_key": ("associated_company_id", "company_id", "associated_company_ids_primary",
                    "associatedcompanyid", "associated_company_ids"),
    "created_at": _CREATED,
}
_CONTACT_MARKERS = ("email", "first_name", "last_name", "firstname", "lastname")
_COMPANY_MARKERS = ("company_name", "name", "company_domain_name", "domain")
_WHOLE = re.compile(r"\d{1,18}(?:\.0*)?")

Cell = Callable[[str], str]


def hubspot_id(value: str, field: str) -> str:
    """A HubSpot record id (digits), or FieldError naming `field`."""
    text = value.strip()
    if not text:
        raise FieldError(field, value, "is missing (every HubSpot record has a Record ID)")
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise FieldError(field, value, "is not a HubSpot record id (expected digits)")
    return str(int(text))


def instant(value: str, field: str) -> datetime | None:
    """A HubSpot date ("2024-03-01 12:00", ISO, or Unix milliseconds) as aware UTC, or None."""
    text = value.strip()
    if not text:
        return None
    try:
        if text.isascii() and text.isdigit() and len(text) >= 12:
            return parse_instant(int(text) / 1000)  # the API's createdate is in milliseconds
        return parse_instant(text)
    except TimestampError as exc:
        raise FieldError(field, value, f"{exc} (e.g. 2024-03-01 12:00)") from None
    except OverflowError:  # parse_instant lets an offset push year 1 or 9999 out of range
        raise FieldError(field, value, "is outside the range of dates") from None


def observed_at(now: datetime, *candidates: datetime | None) -> datetime:
    """When a stated link was seen: the first plausible candidate, else `now`."""
    return next((c for c in candidates if c is not None and c >= EARLIEST_PLAUSIBLE), now)


def role_overrides(options: IngestOptions) -> dict[str, str]:
    """`role_map` by normalised source value; ConfigError for a target that is not a role."""
    bad = sorted(set(options.role_map.values()) - set(CONTACT_ROLES))
    if bad:
        raise ConfigError(f"role_map maps to {', '.join(bad)}, which are not buying roles",
                          hint=f"Use one of {', '.join(CONTACT_ROLES)}.")
    return {header_key(raw): role for raw, role in options.role_map.items()}


def buying_role(cell: str, overrides: Mapping[str, str]) -> tuple[str, str | None]:
    """(role, role_raw): the most senior of the ";"-separated roles; unknown ones are other."""
    raw = cell.strip()
    keys = [header_key(token) for token in raw.split(";") if token.strip()]
    roles = [overrides.get(key) or ROLES.get(key, "other") for key in keys]
    best = min(roles, key=ROLE_RANK.index) if roles else "other"
    return best, raw or None


def _lifecycle(value: str) -> str | None:
    # "Sales Qualified Lead" (label) and "salesqualifiedlead" (internal value) are one stage.
    return re.sub(r"[^a-z0-9]+", "", value.lower()) or None


def _employees(value: str) -> object:
    text = value.strip()
    return int(text.split(".")[0]) if _WHOLE.fullmatch(text) else text


def company_rows(cell: Cell, field: Cell, now: datetime
                 ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """An `accounts` row, and an `account_identities` row when the export names the account."""
    record_id = hubspot_id(cell("record_id"), field("record_id"))
    account_id = cell("account_id").strip() or None
    created = instant(cell("created_at"), field("created_at"))
    account = {
        "account_id": account_id, "source_key_kind": "hubspot_company", "source_key": record_id,
        "name": cell("name"),
        "domain": normalise_domain(cell("domain")) or normalise_domain(cell("website")),
        "industry": cell("industry"), "country": cell("country"),
        "employees": _employees(cell("employees")),
        "lifecycle_stage": _lifecycle(cell("lifecycle_stage")),
        "created_at": created, "source": SOURCE,
    }
    if account_id is None:
        return account, None
    modified = instant(cell("modified_at"), field("modified_at"))
    identity = {"kind": "hubspot_company", "key": record_id, "account_id": account_id,
                "source": SOURCE, "observed_at": observed_at(now, modified, created)}
    return account, identity


def contact_values(cell: Cell, field: Cell, overrides: Mapping[str, str]) -> dict[str, Any]:
    """A `contacts` row; the company link stays a key for the loader to resolve."""
    record_id = hubspot_id(cell("record_id"), field("record_id"))
    email = normalise_email(cell("email"))
    if email is None and cell("email").strip():
        raise FieldError(field("email"), cell("email"), "is not an e-mail address")
    role, raw = buying_role(cell("role"), overrides)
    company = cell("company_key").split(";")[0].strip()
    return {
        "contact_id": f"{SOURCE}:{record_id}", "account_id": cell("account_id").strip() or None,
        "company_key": company or None, "email": email,
        "first_name": cell("first_name"), "last_name": cell("last_name"),
        "job_title": cell("job_title"), "role": role, "role_raw": raw,
        "created_at": instant(cell("created_at"), field("created_at")), "source": SOURCE,
    }


def file_columns(names: list[str], options: IngestOptions, display: str
                 ) -> tuple[str, dict[str, str]]:
    """("companies" or "contacts", canonical name -> header), told apart by the header."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(header_key(name), name)
    if any(k in by_key for k in _CONTACT_MARKERS):
        kind, spec = "contacts", CONTACT_COLUMNS
    elif any(k in by_key for k in _COMPANY_MARKERS):
        kind, spec = "companies", COMPANY_COLUMNS
    else:
        raise InputFileError(
            "the header has no HubSpot company columns (Company name, Company Domain Name) "
            "and no contact columns (Email, First Name, Last Name)", where=display,
            hint=f"Export companies or contacts from HubSpot as CSV; found {', '.join(names)}.")
    if not any(k in by_key for k in _RECORD_ID):
        raise InputFileError(
            "the header has no column(s) Record ID", where=display,
            hint="Add the Record ID (hs_object_id) property to the HubSpot export: it is the "
                 "key that links contacts to companies.")
    spec = {**spec, "account_id": tuple(header_key(k) for k in options.account_metadata_keys)}
    columns = {canon: header for canon, keys in spec.items()
               if (header := next((by_key[k] for k in keys if k in by_key), None))}
    return kind, columns


class HubSpotAdapter:
    """Reads one HubSpot companies or contacts export.

    After `read`, `kind` says which it was and `counts` what it held: every record
    (`records`) ends as exactly one of `stored` or `rejected`. A Record ID seen twice in a
    file is rejected the second time.
    """

    name = "hubspot"
    summary = "HubSpot CRM companies and contacts (CSV exports, labels or internal names)"
    tables = ("accounts", "contacts", "account_identities")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.kind: str | None = None

    def read(self, source: SourceFile, sink: RowSink) -> None:
        """Read `source` into `sink`; InputFileError if it is not a HubSpot export at all."""
        self.counts, self.kind = Counter(), None
        overrides = role_overrides(source.options)
        columns: dict[str, str] = {}
        seen: dict[str, int] = {}
        with open_binary(source.path, source.on_progress) as stream:
            for line, record in iter_csv_rows(stream, source.display):
                if isinstance(record, dict) and self.kind is None:
                    self.kind, columns = file_columns(list(record), source.options,
                                                      source.display)
                self.counts["records"] += 1
                try:
                    outcome = self._store(line, record, columns, overrides, seen, source, sink)
                except FieldError as err:
                    sink.reject(line, err.field, err.value, err.reason)
                    outcome = "rejected"
                self.counts[outcome] += 1

    def _store(self, line: int, record: dict[str, str] | BadRecord, columns: Mapping[str, str],
               overrides: Mapping[str, str], seen: dict[str, int], source: SourceFile,
               sink: RowSink) -> str:
        if isinstance(record, BadRecord):
            raise FieldError("record", record.text, record.reason)

        def cell(name: str) -> str:
            return record[columns[name]] if name in columns else ""

        def field(name: str) -> str:
            return columns.get(name, name)

        identity = None
        if self.kind == "contacts":
            table, values = "contacts", contact_values(cell, field, overrides)
        else:
            table, (values, identity) = "accounts", company_rows(cell, field, source.now)
        key = hubspot_id(cell("record_id"), field("record_id"))
        if key in seen:
            raise FieldError(field("record_id"), key,
                             f"repeats the record already read on line {seen[key]}")
        if not sink.row(table, values, line=line):
            return "rejected"
        seen[key] = line
        if identity is not None:
            sink.row("account_identities", identity, line=line)
        return "stored"
