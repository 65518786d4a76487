"""Zendesk adapter: hand-checked rows from the sample exports, bad inputs, and properties."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from successlink.errors import InputFileError
from successlink.ingest.records import CollectingSink, SourceFile
from successlink.ingest.zendesk import ZendeskAdapter

DATA = Path(__file__).parent.parent / "data" / "zendesk"
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def read(path: Path) -> tuple[CollectingSink, ZendeskAdapter]:
    sink, adapter = CollectingSink(now=NOW), ZendeskAdapter()
    adapter.read(SourceFile(path, NOW), sink)
    return sink, adapter


def read_text(tmp_path: Path, name: str, text: str, encoding: str = "utf-8"
              ) -> tuple[CollectingSink, ZendeskAdapter]:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return read(path)


def by_id(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
       second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def ticket(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": 1, "status": "open", "subject": "Help",
                            "created_at": "2024-03-01T00:00:00Z",
                            "updated_at": "2024-03-01T01:00:00Z"}
    return {**base, **fields}


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


# --- the sample exports --------------------------------------------------------------------

def test_tickets_api_page_uses_side_loaded_users_and_metric_sets() -> None:
    sink, adapter = read(DATA / "tickets_page.json")
    assert sink.rejects == []
    rows = by_id(sink.rows["support_tickets"], "ticket_id")
    assert set(rows) == {"zendesk:35436", "zendesk:35437", "zendesk:35438"}
    first = rows["zendesk:35436"]
    assert first == {
        "ticket_id": "zendesk:35436", "account_id": None, "organization_key": "360001",
        "requester_email": "jane.doe@acme.com", "subject": "Report export stuck at 99%",
        "priority": "high", "status": "solved", "channel": "email",
        "created_at": at(2024, 3, 1, 9, 12, 44), "solved_at": at(2024, 3, 2, 9, 58, 10),
        "csat_score": 1, "csat_raw": "good", "csat_comment": "Quick fix, thanks!",
        "updated_at": at(2024, 3, 2, 10), "source": "zendesk",
    }
    web = rows["zendesk:35437"]
    assert web["requester_email"] == "bob@globex.io"  # from the side-loaded users
    assert (web["organization_key"], web["priority"], web["channel"]) == (None, None, "web")
    assert (web["csat_score"], web["csat_raw"], web["solved_at"]) == (None, "unoffered", None)
    bad = rows["zendesk:35438"]
    assert bad["requester_email"] == "carol@initech.com"
    assert (bad["csat_score"], bad["csat_raw"], bad["csat_comment"]) == (0, "bad", "Took a week")
    assert (bad["status"], bad["priority"]) == ("closed", "urgent")
    assert bad["solved_at"] == at(2024, 3, 5, 16)
    assert adapter.counts["users"] == 2


def test_incremental_export_skips_deleted_tickets() -> None:
    sink, adapter = read(DATA / "incremental_tickets.json")
    assert sink.rejects == []
    rows = by_id(sink.rows["support_tickets"], "ticket_id")
    assert set(rows) == {"zendesk:40001", "zendesk:40003"}
    chat = rows["zendesk:40001"]
    assert chat["requester_email"] is None  # requester 9100 is not side-loaded
    assert (chat["status"], chat["channel"], chat["priority"]) == ("pending", "chat", "normal")
    assert (chat["csat_score"], chat["csat_raw"]) == (None, "offered")
    hold = rows["zendesk:40003"]
    assert (hold["status"], hold["priority"], hold["requester_email"]) == (
        "hold", "low", "dave@acme.com")
    assert (hold["csat_score"], hold["csat_raw"], hold["csat_comment"]) == (1, "good", None)
    assert hold["updated_at"] == at(2024, 3, 7, 18)
    assert (adapter.counts["records"], adapter.counts["ignored"]) == (3, 1)


def test_json_lines_export_reads_solved_at() -> None:
    sink, _ = read(DATA / "tickets.jsonl")
    rows = by_id(sink.rows["support_tickets"], "ticket_id")
    assert rows["zendesk:50001"]["solved_at"] == at(2024, 2, 21, 16, 30)
    assert rows["zendesk:50001"]["organization_key"] == "360002"
    assert rows["zendesk:50001"]["requester_email"] == "erin@initech.com"
    assert (rows["zendesk:50002"]["status"], rows["zendesk:50002"]["solved_at"]) == ("new", None)


def test_csv_export_maps_labels_and_dates() -> None:
    sink, _ = read(DATA / "tickets.csv")
    assert sink.rejects == []
    rows = by_id(sink.rows["support_tickets"], "ticket_id")
    first = rows["zendesk:101"]
    assert first["subject"] == 'Cannot export report, "CSV" button greyed out'
    assert first["requester_email"] == "jane.doe@acme.com"
    assert (first["status"], first["priority"], first["channel"]) == ("solved", "high", "email")
    assert first["created_at"] == at(2024, 2, 10, 8, 15)
    assert first["solved_at"] == at(2024, 2, 12, 17, 30)
    assert first["updated_at"] == at(2024, 2, 12, 17, 40)
    assert (first["csat_score"], first["csat_raw"]) == (1, "good")
    assert first["organization_key"] is None  # the CSV names the organization, not its id
    web = rows["zendesk:102"]
    assert (web["channel"], web["priority"], web["solved_at"]) == ("web", "normal", None)
    assert (web["csat_score"], web["csat_raw"]) == (None, "offered")
    hold = rows["zendesk:103"]
    assert (hold["status"], hold["channel"], hold["csat_score"]) == ("hold", "chat", 0)
    assert hold["created_at"] == at(2024, 3, 2, 8)  # 09:00 +0100
    api = rows["zendesk:104"]
    assert (api["status"], api["priority"], api["channel"], api["csat_raw"]) == (
        "closed", "urgent", "api", "unoffered")


def test_organizations_become_accounts_with_explicit_external_id() -> None:
    sink, _ = read(DATA / "organizations.json")
    accounts = by_id(sink.rows["accounts"], "source_key")
    acme = accounts["360001"]
    assert (acme["account_id"], acme["source_key_kind"], acme["name"], acme["domain"]) == (
        "acc_acme", "zendesk_org", "Acme Corp", "acme.com")
    assert acme["created_at"] == at(2023, 1, 15, 10)
    assert json.loads(acme["properties"]) == {"tags": ["enterprise"],
                                              "organization_fields": {"plan": "enterprise"}}
    initech = accounts["360002"]
    assert (initech["account_id"], initech["domain"], initech["properties"]) == (
        None, "initech.com", None)
    assert sink.rows["account_identities"] == [{
        "kind": "zendesk_org", "key": "360001", "account_id": "acc_acme", "source": "zendesk",
        "observed_at": at(2024, 1, 20, 8)}]


def test_organizations_json_lines() -> None:
    sink, _ = read(DATA / "organizations.jsonl")
    accounts = by_id(sink.rows["accounts"], "source_key")
    assert (accounts["360003"]["account_id"], accounts["360003"]["domain"]) == ("acc_globex", None)
    assert (accounts["360004"]["account_id"], accounts["360004"]["domain"]) == (None, "hooli.xyz")
    assert [(i["key"], i["account_id"]) for i in sink.rows["account_identities"]] == [
        ("360003", "acc_globex")]


def test_metric_set_embedded_in_a_ticket_gives_solved_at(tmp_path: Path) -> None:
    record = ticket(status="solved", metric_set={"solved_at": "2024-03-02T00:00:00Z"})
    sink, _ = read_text(tmp_path, "t.jsonl", jsonl(record))
    assert sink.rows["support_tickets"][0]["solved_at"] == at(2024, 3, 2)


def test_single_ticket_response_is_read(tmp_path: Path) -> None:
    sink, _ = read_text(tmp_path, "t.json", json.dumps({"ticket": ticket(id=77)}))
    assert [r["ticket_id"] for r in sink.rows["support_tickets"]] == ["zendesk:77"]


# --- bad inputs ----------------------------------------------------------------------------

def test_broken_json_line_is_rejected_and_the_rest_loads(tmp_path: Path) -> None:
    text = jsonl(ticket(id=1)) + '{"id": 2, "status": \n' + jsonl(ticket(id=3))
    sink, _ = read_text(tmp_path, "t.jsonl", text)
    assert [r["ticket_id"] for r in sink.rows["support_tickets"]] == ["zendesk:1", "zendesk:3"]
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "record")]
    assert "not valid JSON" in sink.rejects[0].reason


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({"id": "abc"}, "id", "not a Zendesk id"),
    ({"id": True}, "id", "not a Zendesk id"),
    ({"organization_id": "acme"}, "organization_id", "not a Zendesk id"),
    ({"subject": {"text": "x"}}, "support_tickets.subject", "expected text"),
    ({"status": None}, "support_tickets.status", "required"),
    ({"status": "escalated"}, "support_tickets.status", "must be one of"),
    ({"priority": "p1"}, "support_tickets.priority", "must be one of"),
    ({"created_at": "yesterday"}, "created_at", "not an ISO-8601"),
    ({"created_at": "2031-01-01T00:00:00Z"}, "support_tickets.created_at", "future"),
    ({"created_at": "1970-01-02T00:00:00Z"}, "support_tickets.created_at", "before 1990"),
    ({"created_at": "0001-01-01T00:00:00+01:00"}, "created_at", "outside the range"),
    ({"satisfaction_rating": {"score": "great"}}, "satisfaction_rating.score", "good, bad"),
    ({"subject": "x" * 5000}, "support_tickets.subject", "limit is 4096"),
    ({"satisfaction_rating": {"score": "good", "comment": "y" * 70_000}},
     "support_tickets.csat_comment", "limit is 65536"),
])
def test_bad_ticket_fields_are_rejected_by_name(tmp_path: Path, fields: dict[str, Any],
                                                field: str, reason: str) -> None:
    sink, adapter = read_text(tmp_path, "t.jsonl", jsonl(ticket(id=5), ticket(**fields)))
    assert [r["ticket_id"] for r in sink.rows["support_tickets"]] == ["zendesk:5"]
    assert len(sink.rejects) == 1
    assert (sink.rejects[0].line, sink.rejects[0].field) == (2, field)
    assert reason in sink.rejects[0].reason
    assert adapter.counts["rejected"] == 1


def test_records_that_are_not_tickets_are_rejected(tmp_path: Path) -> None:
    sink, _ = read_text(tmp_path, "t.json", json.dumps([ticket(id=1), 42, {"colour": "red"}]))
    assert len(sink.rows["support_tickets"]) == 1
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "record"), (3, "record")]


def test_page_records_are_numbered_by_position(tmp_path: Path) -> None:
    page = {"tickets": [ticket(id=1), ticket(id=2, status="bogus")], "next_page": None}
    sink, _ = read_text(tmp_path, "t.json", json.dumps(page, indent=2))
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "support_tickets.status")]


def test_repeated_ticket_keeps_every_version(tmp_path: Path) -> None:
    text = jsonl(ticket(id=9, status="open", updated_at="2024-03-01T01:00:00Z"),
                 ticket(id=9, status="solved", updated_at="2024-03-02T01:00:00Z"))
    sink, _ = read_text(tmp_path, "t.jsonl", text)
    versions = [(r["status"], r["updated_at"]) for r in sink.rows["support_tickets"]]
    assert versions == [("open", at(2024, 3, 1, 1)), ("solved", at(2024, 3, 2, 1))]


def test_repeated_organization_is_rejected(tmp_path: Path) -> None:
    org = {"id": 7, "name": "Acme", "domain_names": ["acme.com"], "external_id": None}
    sink, _ = read_text(tmp_path, "o.json", json.dumps({"organizations": [org, org]}))
    assert len(sink.rows["accounts"]) == 1
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "id")]
    assert "line 1" in sink.rejects[0].reason


def test_csv_without_required_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_text(tmp_path, "t.csv", "Ticket,Subject,Status\n1,Help,Open\n")
    assert "Id, Created at" in str(err.value)


def test_csv_headers_match_in_any_case_and_rating_variant(tmp_path: Path) -> None:
    text = ("ID,STATUS,created at,Satisfaction rating,requester email\n"
            "7,pending,2024-03-01T10:00:00Z,bad,X@Acme.com\n")
    sink, _ = read_text(tmp_path, "t.csv", text)
    row = sink.rows["support_tickets"][0]
    assert (row["ticket_id"], row["status"], row["csat_score"]) == ("zendesk:7", "pending", 0)
    assert (row["requester_email"], row["updated_at"]) == ("x@acme.com", at(2024, 3, 1, 10))


def test_csv_record_with_wrong_field_count_is_rejected(tmp_path: Path) -> None:
    text = ("Id,Status,Created at\n1,open,2024-03-01 10:00:00 +0000\n"
            "2,open\n3,open,2024-03-01 11:00:00 +0000\n")
    sink, _ = read_text(tmp_path, "t.csv", text)
    assert len(sink.rows["support_tickets"]) == 2
    assert [(r.line, r.field) for r in sink.rejects] == [(3, "record")]
    assert "2 fields but the header has 3" in sink.rejects[0].reason


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_and_utf16_files_read_like_utf8(tmp_path: Path, encoding: str) -> None:
    for name in ("tickets.csv", "tickets.jsonl", "tickets_page.json"):
        text = (DATA / name).read_text(encoding="utf-8")
        sink, _ = read_text(tmp_path, name, text, encoding)
        expected, _ = read(DATA / name)
        assert sink.rows == expected.rows and sink.rejects == []


def test_gzip_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "tickets.jsonl.gz"
    path.write_bytes(gzip.compress((DATA / "tickets.jsonl").read_bytes()))
    sink, _ = read(path)
    assert len(sink.rows["support_tickets"]) == 2


def test_empty_file_loads_nothing(tmp_path: Path) -> None:
    sink, adapter = read_text(tmp_path, "t.json", "")
    assert sink.rows == {} and sink.rejects == [] and adapter.counts["records"] == 0


# --- properties ----------------------------------------------------------------------------

def _check_counts(sink: CollectingSink, adapter: ZendeskAdapter) -> None:
    counts = adapter.counts
    assert counts["records"] == counts["stored"] + counts["rejected"] + counts["ignored"]
    assert len(sink.rejects) == counts["rejected"]
    stored = len(sink.rows["support_tickets"]) + len(sink.rows["accounts"])
    assert stored == counts["stored"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=200).map(lambda b: b"{" + b),
    st.binary(max_size=200).map(lambda b: b"Id,Status,Created at\n" + b),
    st.binary(max_size=200).map(lambda b: b"\xff\xfe" + b),
))
def test_any_bytes_raise_input_file_error_or_load(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.json"
    path.write_bytes(data)
    sink, adapter = CollectingSink(now=NOW), ZendeskAdapter()
    try:
        adapter.read(SourceFile(path, NOW), sink)
    except InputFileError:
        return
    _check_counts(sink, adapter)


_values = st.one_of(st.none(), st.integers(-5, 10**20), st.text(max_size=12), st.booleans(),
                    st.sampled_from(["open", "solved", "deleted", "good", "2024-03-01T00:00:00Z",
                                     "2099-01-01T00:00:00Z", "1"]))
_tickets = st.fixed_dictionaries(
    {"id": st.one_of(st.integers(1, 10**6), _values),
     "status": st.one_of(st.sampled_from(["new", "open", "solved", "deleted"]), _values),
     "created_at": st.one_of(st.just("2024-03-01T00:00:00Z"), _values)},
    optional={"priority": _values, "organization_id": _values, "subject": _values,
              "via": st.one_of(_values, st.just({"channel": "email"})),
              "satisfaction_rating": st.one_of(_values, st.fixed_dictionaries(
                  {"score": st.sampled_from(["good", "bad", "offered", "meh"])}))})


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(_tickets, max_size=8))
def test_every_ticket_is_stored_rejected_or_skipped(tmp_path: Path,
                                                    records: list[dict[str, Any]]) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(jsonl(*records))
    sink, adapter = read(path)
    _check_counts(sink, adapter)
    assert adapter.counts["records"] == len(records)
    deleted = sum(1 for r in records
                  if isinstance(r["status"], str) and r["status"].strip().lower() == "deleted")
    assert adapter.counts["ignored"] == deleted
