"""NPS and CSAT survey answers (Delighted-style CSV or JSON Lines) -> survey responses.

Survey tools name their columns differently and teams rename them, so columns are found by
a normalised header ("Created At", "created_at" and "created at" are one column) and any of
them can be overridden with `IngestOptions.survey_columns` (canonical name -> header). The
same names work on the keys of JSON records, where nested objects are read with dots
(`person.email`, `person_properties.account_id`), which covers Delighted's API objects.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from successlink.errors import ConfigError, InputFileError
from successlink.ingest.identity import normalise_email
from successlink.ingest.readers import (
    BadRecord,
    field_instant,
    header_key,
    iter_csv_rows,
    iter_json_records,
    looks_like_json,
    open_binary,
)
from successlink.ingest.records import IngestOptions, RowSink, SourceFile
from successlink.warehouse.validate import FieldError

SOURCE = "surveys"
SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5)}
# Delighted survey types we know but do not store (effort, eNPS, thumbs...): skipped, counted.
OTHER_KINDS = frozenset({"ces", "ces7", "enps", "pmf", "smileys", "stars", "5_star", "thumbs"})
# Canonical column -> accepted headers, in normalised form (see `header_key`).
COLUMNS: dict[str, tuple[str, ...]] = {
    "response_id": ("response_id", "id"),
    "email": ("email", "person_email", "respondent_email", "email_address"),
    "score": ("score",),
    "comment": ("comment",),
    "responded_at": ("created_at", "response_timestamp", "responded_at", "timestamp"),
    "kind": ("kind", "survey_type"),
}
REQUIRED = ("score", "responded_at")
_TITLES = {"score": "Score", "responded_at": "Created At (or created_at, Response timestamp)"}
# Where a person property sits in an export: "Properties: x", "person_properties.x", or bare.
_PROPERTY_PREFIXES = ("", "properties_", "person_properties_", "properties_person_")
_WHOLE = re.compile(r"[+-]?\d{1,18}(?:\.0*)?")


def survey_kind(options: IngestOptions) -> str | None:
    """The configured kind, or None to read it per record; ConfigError if it is not one."""
    if options.survey_kind is None:
        return None
    kind = options.survey_kind.strip().lower()
    if kind not in SCALES:
        raise ConfigError(f"survey_kind = {options.survey_kind!r} is not nps or csat",
                          hint="Set survey_kind to nps (0-10), csat (1-5), or leave it unset.")
    return kind


def find_columns(names: Iterable[str], options: IngestOptions
                 ) -> tuple[dict[str, str], list[str]]:
    """(canonical -> header found, headers configured in survey_columns that are absent)."""
    names = list(names)
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(header_key(name), name)
    candidates = dict(COLUMNS)
    candidates["account_id"] = tuple(prefix + header_key(key) for key in
                                     options.account_metadata_keys
                                     for prefix in _PROPERTY_PREFIXES)
    columns = {canon: header for canon, keys in candidates.items()
               if (header := next((by_key[k] for k in keys if k in by_key), None))}
    absent = []
    for canon, header in options.survey_columns.items():
        if canon not in candidates:
            raise ConfigError(f"survey_columns names {canon!r}, which is not a survey field",
                              hint=f"Use one of {', '.join(candidates)}.")
        found = header if header in names else by_key.get(header_key(header))
        if found is None:
            absent.append(header)
        else:
            columns[canon] = found
    return columns, absent


def parse_score(value: object, field: str, kind: str) -> int:
    """The answer as an integer on the kind's scale, or FieldError saying what is wrong."""
    low, high = SCALES[kind]
    scale = f"the {kind.upper()} scale {low}-{high}"
    if value is None:
        raise FieldError(field, value, f"is missing (expected a whole number on {scale})")
    if isinstance(value, int | float | str) and not isinstance(value, bool) \
            and _WHOLE.fullmatch(str(value).strip()):
        number = int(str(value).strip().split(".")[0])
    else:
        raise FieldError(field, value, f"is not a whole number on {scale}")
    if not low <= number <= high:
        raise FieldError(field, value, f"is outside {scale}")
    return number


def parse_responded_at(value: object, field: str) -> datetime:
    """When the answer was given, as an aware UTC instant, or FieldError."""
    instant = field_instant(value, field)
    if instant is None:
        raise FieldError(field, value, "is missing (expected when the survey was answered)")
    return instant


def kind_from_name(path: Path) -> str | None:
    """'csat' or 'nps' when the file's name says so (csat.csv, nps-2024.csv), else None.

    A CSV without a kind column would otherwise be read as NPS, and a CSAT export's 1-5
    answers would land as NPS detractors.
    """
    words = set(re.split(r"[^a-z]+", path.stem.lower()))
    found = [kind for kind in SCALES if kind in words]
    return found[0] if len(found) == 1 else None


def record_kind(value: object, field: str, default: str | None) -> str | None:
    """nps or csat; None for a known survey type we skip; FieldError for anything else."""
    if default is not None:
        return default
    if value is None:
        return "nps"
    kind = header_key(str(value))
    if kind in SCALES:
        return kind
    if kind in OTHER_KINDS:
        return None
    raise FieldError(field, value, "is not a survey kind we read (expected nps or csat)")


def response_id(given: str | None, email: str | None, responded_at: datetime, kind: str,
                score: int) -> str:
    """The file's own id, else a hash of what the answer is, so re-loading it is idempotent.

    The kind is part of the key: an NPS survey and a CSAT survey are separate projects in
    survey tools, and their response ids overlap (Delighted numbers each project's answers).
    """
    if given is not None:
        return f"{SOURCE}:{kind}:{given}"
    content = "\x1f".join((email or "", responded_at.isoformat(), kind, str(score)))
    return f"{SOURCE}:{hashlib.sha256(content.encode()).hexdigest()[:24]}"


def _key(value: object, field: str) -> str | None:
    """An id cell as text; a JSON object or list where an id belongs is bad input."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FieldError(field, value, "is not an id (expected text or a number)")
    return str(value)


def response_values(fields: Mapping[str, Any], columns: Mapping[str, str],
                    default_kind: str | None) -> dict[str, Any] | None:
    """A `survey_responses` row from one record, or None when its survey type is skipped."""
    def get(name: str) -> Any:
        value = fields.get(columns[name]) if name in columns else None
        if isinstance(value, str):
            value = value.strip()
        return None if value == "" else value

    kind = record_kind(get("kind"), columns.get("kind", "kind"), default_kind)
    if kind is None:
        return None
    score = parse_score(get("score"), columns.get("score", "score"), kind)
    responded_at = parse_responded_at(get("responded_at"),
                                      columns.get("responded_at", "created_at"))
    email = normalise_email(get("email"))
    if email is None and get("email") is not None:
        raise FieldError(columns["email"], get("email"), "is not an e-mail address")
    given = _key(get("response_id"), columns.get("response_id", "id"))
    return {
        "response_id": response_id(given, email, responded_at, kind, score),
        "account_id": _key(get("account_id"), columns.get("account_id", "account_id")),
        "respondent_email": email, "kind": kind, "score": score,
        "scale_min": SCALES[kind][0], "scale_max": SCALES[kind][1],
        "comment": get("comment"), "responded_at": responded_at, "source": SOURCE,
    }


def flatten(record: Mapping[str, Any]) -> dict[str, Any]:
    """One level of nested objects as dotted keys: {"person": {"email": x}} -> person.email."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, Mapping):
            for inner, item in value.items():
                flat.setdefault(f"{key}.{inner}", item)
        else:
            flat.setdefault(str(key), value)
    return flat


# (line, the record or what stood in its place, its columns when it is an object)
Parsed = tuple[int, object, Mapping[str, str] | None]


class SurveyAdapter:
    """Reads one survey export into `survey_responses`.

    After `read`, `counts` holds what the file held: every record (`records`) ends as exactly
    one of `stored`, `rejected` or `ignored` (survey types other than NPS and CSAT).
    A response id seen twice in a file is rejected the second time: answers never change.
    """

    name = "surveys"
    summary = "NPS (0-10) and CSAT (1-5) answers from Delighted-style CSV or JSON Lines"
    tables = ("survey_responses",)

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def read(self, source: SourceFile, sink: RowSink) -> None:
        """Read `source` into `sink`; InputFileError if it is not a survey export at all."""
        self.counts = Counter()
        default_kind = survey_kind(source.options) or kind_from_name(source.path)
        seen: dict[str, int] = {}
        with open_binary(source.path, source.on_progress) as stream:
            records = (self._json_records(stream, source) if looks_like_json(stream)
                       else self._csv_records(stream, source))
            for line, record, columns in records:
                self.counts["records"] += 1
                try:
                    outcome = self._store(line, record, columns, default_kind, seen, sink)
                except FieldError as err:
                    sink.reject(line, err.field, err.value, err.reason)
                    outcome = "rejected"
                self.counts[outcome] += 1

    def _store(self, line: int, record: object, columns: Mapping[str, str] | None,
               default_kind: str | None, seen: dict[str, int], sink: RowSink) -> str:
        if isinstance(record, BadRecord):
            raise FieldError("record", record.text, record.reason)
        if not isinstance(record, Mapping) or columns is None:
            raise FieldError("record", record, "is not a JSON object (expected a survey answer)")
        values = response_values(record, columns, default_kind)
        if values is None:
            return "ignored"
        key = values["response_id"]
        if key in seen:
            raise FieldError(columns.get("response_id", "response_id"), key,
                             f"repeats the response already read on line {seen[key]}")
        if not sink.row("survey_responses", values, line=line):
            return "rejected"
        seen[key] = line
        return "stored"

    def _json_records(self, stream: IO[bytes], source: SourceFile) -> Iterator[Parsed]:
        for line, record in iter_json_records(stream, source.display):
            items = enumerate(record, start=1) if isinstance(record, list) else [(line, record)]
            for number, item in items:
                if isinstance(item, Mapping):
                    flat = flatten(item)
                    yield number, flat, find_columns(flat, source.options)[0]
                else:
                    yield number, item, None

    def _csv_records(self, stream: IO[bytes], source: SourceFile) -> Iterator[Parsed]:
        columns: dict[str, str] | None = None
        for line, record in iter_csv_rows(stream, source.display):
            if isinstance(record, dict) and columns is None:
                columns = _csv_columns(list(record), source)
            yield line, record, columns


def _csv_columns(names: list[str], source: SourceFile) -> dict[str, str]:
    columns, absent = find_columns(names, source.options)
    missing = absent + [_TITLES[c] for c in REQUIRED
                        if c not in columns and c not in source.options.survey_columns]
    if missing:
        raise InputFileError(
            f"the header has no column(s) {', '.join(missing)}", where=source.display,
            hint="A survey export needs a score and a response time (e.g. Score, Created At); "
                 "name other headers with survey_columns in the workspace config. "
                 f"This file has {', '.join(names)}.")
    return columns
