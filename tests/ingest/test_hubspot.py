"""HubSpot adapter: hand-checked rows from the sample exports, bad inputs, and properties."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from successlink.errors import ConfigError, InputFileError
from successlink.ingest.hubspot import HubSpotAdapter
from successlink.ingest.records import CollectingSink, IngestOptions, SourceFile

DATA = Path(__file__).parent.parent / "data" / "hubspot"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
CONTACTS = "Record ID,First Name,Last Name,Email,Job Title,Buying Role,Company ID,Create Date\n"
COMPANIES = "Record ID,Company name,Company Domain Name,Number of Employees,Create Date\n"


def read(path: Path, options: IngestOptions | None = None
         ) -> tuple[CollectingSink, HubSpotAdapter]:
    sink, adapter = CollectingSink(now=NOW), HubSpotAdapter()
    adapter.read(SourceFile(path, NOW, options or IngestOptions()), sink)
    return sink, adapter


def read_text(tmp_path: Path, text: str, options: IngestOptions | None = None,
              encoding: str = "utf-8", name: str = "h.csv"
              ) -> tuple[CollectingSink, HubSpotAdapter]:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return read(path, options)


def by_key(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
       second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- the sample exports --------------------------------------------------------------------

def test_companies_export_with_labels() -> None:
    sink, adapter = read(DATA / "companies.csv")
    assert sink.rejects == [] and adapter.kind == "companies"
    accounts = by_key(sink.rows["accounts"], "source_key")
    assert accounts["5123456789"] == {
        "account_id": "acc_acme", "source_key_kind": "hubspot_company",
        "source_key": "5123456789", "billing_email": None, "name": "Acme Corp",
        "domain": "acme.com", "industry": "Computer Software", "country": "United States",
        "employees": 250, "segment": None, "lifecycle_stage": "customer",
        "created_at": at(2023, 1, 15, 10), "source": "hubspot", "properties": None,
    }
    globex = accounts["5123456790"]
    assert (globex["account_id"], globex["domain"], globex["employees"]) == (
        None, "globex.io", 1200)
    assert globex["lifecycle_stage"] == "opportunity"
    initech = accounts["5123456791"]
    assert (initech["domain"], initech["employees"], initech["lifecycle_stage"]) == (
        "initech.com", None, "salesqualifiedlead")
    assert initech["created_at"] == at(2024, 2, 29, 23, 59)
    assert sink.rows["account_identities"] == [{
        "kind": "hubspot_company", "key": "5123456789", "account_id": "acc_acme",
        "source": "hubspot", "observed_at": at(2024, 3, 1, 9, 5)}]


def test_contacts_export_with_labels_and_buying_roles() -> None:
    sink, adapter = read(DATA / "contacts.csv")
    assert sink.rejects == [] and adapter.kind == "contacts"
    contacts = by_key(sink.rows["contacts"], "contact_id")
    assert contacts["hubspot:101"] == {
        "contact_id": "hubspot:101", "account_id": None, "company_key": "5123456789",
        "email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe",
        "job_title": "VP Operations", "role": "decision_maker", "role_raw": "Decision Maker",
        "created_at": at(2023, 1, 16, 11), "source": "hubspot",
    }
    roles = {key: (row["role"], row["role_raw"]) for key, row in contacts.items()}
    assert roles == {
        "hubspot:101": ("decision_maker", "Decision Maker"),
        "hubspot:102": ("champion", "End User;Champion"),
        "hubspot:103": ("budget_holder", "Budget Holder"),
        "hubspot:104": ("other", "Gatekeeper"),
        "hubspot:105": ("other", None),
    }
    frank = contacts["hubspot:105"]
    assert (frank["company_key"], frank["last_name"], frank["email"]) == (
        None, None, "frank@gmail.com")


def test_exports_with_internal_property_names() -> None:
    sink, adapter = read(DATA / "contacts_internal.csv")
    assert sink.rejects == [] and adapter.kind == "contacts"
    contacts = by_key(sink.rows["contacts"], "contact_id")
    assert contacts["hubspot:201"]["role"] == "decision_maker"
    assert contacts["hubspot:201"]["created_at"] == at(2024, 1, 10, 8)
    assert (contacts["hubspot:202"]["role"], contacts["hubspot:202"]["company_key"]) == (
        "end_user", "5123456790")
    assert contacts["hubspot:202"]["created_at"] == at(2024, 1, 1)  # Unix milliseconds
    assert (contacts["hubspot:203"]["role"], contacts["hubspot:203"]["company_key"]) == (
        "influencer", None)

    sink, adapter = read(DATA / "companies_internal.csv")
    assert sink.rejects == [] and adapter.kind == "companies"
    accounts = by_key(sink.rows["accounts"], "source_key")
    hooli = accounts["6001"]
    assert (hooli["account_id"], hooli["domain"], hooli["employees"]) == (
        "acc_hooli", "hooli.xyz", 5000)
    assert hooli["created_at"] == at(2024, 1, 2, 3, 4, 5)
    umbrella = accounts["6002"]
    assert (umbrella["employees"], umbrella["domain"], umbrella["account_id"]) == (80, None, None)
    assert umbrella["created_at"] == at(2024, 2, 1)
    assert [(i["key"], i["observed_at"]) for i in sink.rows["account_identities"]] == [
        ("6001", at(2024, 2, 2))]


# --- roles ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "role"), [
    ("Economic Buyer", "budget_holder"),
    ("Executive Sponsor", "decision_maker"),
    ("EXECUTIVE_SPONSOR", "decision_maker"),
    ("Technical Buyer", "influencer"),
    ("Evaluator", "influencer"),
    ("Business User", "end_user"),
    ("Influencer;Economic Buyer", "budget_holder"),
    ("END_USER;CHAMPION;OTHER", "champion"),
    ("BLOCKER", "other"),
    ("Ambassador", "other"),
])
def test_buying_roles_map_to_the_most_senior(tmp_path: Path, raw: str, role: str) -> None:
    sink, _ = read_text(tmp_path, CONTACTS + f"1,A,B,a@acme.com,,{raw},9,2024-01-01\n")
    (row,) = sink.rows["contacts"]
    assert (row["role"], row["role_raw"]) == (role, raw)


def test_role_map_overrides_the_defaults(tmp_path: Path) -> None:
    options = IngestOptions(role_map={"gatekeeper": "influencer",
                                      "decision maker": "champion"})
    sink, _ = read(DATA / "contacts.csv", options)
    roles = {r["contact_id"]: r["role"] for r in sink.rows["contacts"]}
    assert (roles["hubspot:104"], roles["hubspot:101"]) == ("influencer", "champion")


def test_role_map_to_an_unknown_role_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        read_text(tmp_path, CONTACTS, IngestOptions(role_map={"x": "king"}))


# --- bad inputs ----------------------------------------------------------------------------

@pytest.mark.parametrize(("row", "field", "reason"), [
    ("abc,A,B,b@acme.com,,,9,2024-01-01", "Record ID", "expected digits"),
    (",A,B,b@acme.com,,,9,2024-01-01", "Record ID", "missing"),
    ("1,A,B,b@acme.com,,,9,2024-01-02", "Record ID", "line 2"),
    ("2,A,B,b-at-acme.com,,,9,2024-01-01", "Email", "not an e-mail"),
    ("2,A,B,b@acme.com,,,9,31/12/2023", "Create Date", "not an ISO-8601"),
    ("2,A,B,b@acme.com,,,9,2031-01-01", "contacts.created_at", "future"),
    ("2,A,B,b@acme.com," + "t" * 5000 + ",,9,2024-01-01", "contacts.job_title",
     "limit is 4096"),
])
def test_bad_contacts_are_rejected_by_field(tmp_path: Path, row: str, field: str,
                                            reason: str) -> None:
    text = CONTACTS + "1,A,B,a@acme.com,,,9,2024-01-01\n" + row + "\n"
    sink, adapter = read_text(tmp_path, text)
    assert [r["contact_id"] for r in sink.rows["contacts"]] == ["hubspot:1"]
    assert [(r.line, r.field) for r in sink.rejects] == [(3, field)]
    assert reason in sink.rejects[0].reason
    assert adapter.counts["rejected"] == 1


@pytest.mark.parametrize(("row", "field", "reason"), [
    ("2,Globex,globex.io,-5,2024-01-01", "accounts.employees", "negative"),
    ("2,Globex,globex.io,\"1,200\",2024-01-01", "accounts.employees", "not an integer"),
    ("2,Globex,globex.io,10,yesterday", "Create Date", "not an ISO-8601"),
    ("2,Globex,globex.io,10", "record", "4 fields but the header has 5"),
])
def test_bad_companies_are_rejected_by_field(tmp_path: Path, row: str, field: str,
                                             reason: str) -> None:
    text = COMPANIES + "1,Acme,acme.com,10,2024-01-01\n" + row + "\n"
    sink, _ = read_text(tmp_path, text)
    assert [r["source_key"] for r in sink.rows["accounts"]] == ["1"]
    assert [(r.line, r.field) for r in sink.rejects] == [(3, field)]
    assert reason in sink.rejects[0].reason


def test_explicit_account_id_longer_than_allowed_is_rejected_without_identity(
        tmp_path: Path) -> None:
    text = "Record ID,Company name,account_id\n1,Acme," + "a" * 300 + "\n"
    sink, _ = read_text(tmp_path, text)
    assert sink.rows == {}
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "accounts.account_id")]


def test_header_without_record_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_text(tmp_path, "First Name,Email\nA,a@acme.com\n")
    assert "Record ID" in str(err.value)


def test_header_of_neither_object_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_text(tmp_path, "Record ID,Deal name,Amount\n1,Big deal,100\n")
    assert "Company name" in str(err.value) and "Email" in str(err.value)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_and_utf16_files_read_like_utf8(tmp_path: Path, encoding: str) -> None:
    for name in ("companies.csv", "contacts.csv"):
        text = (DATA / name).read_text(encoding="utf-8")
        sink, _ = read_text(tmp_path, text, encoding=encoding, name=name)
        expected, _ = read(DATA / name)
        assert sink.rows == expected.rows and sink.rejects == []


# --- properties ----------------------------------------------------------------------------

def _check_counts(sink: CollectingSink, adapter: HubSpotAdapter) -> None:
    counts = adapter.counts
    assert counts["records"] == counts["stored"] + counts["rejected"]
    assert len(sink.rejects) == counts["rejected"]
    assert len(sink.rows["contacts"]) + len(sink.rows["accounts"]) == counts["stored"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=200).map(lambda b: CONTACTS.encode() + b),
    st.binary(max_size=200).map(lambda b: COMPANIES.encode() + b),
    st.binary(max_size=200).map(lambda b: b"\xfe\xff" + b),
))
def test_any_bytes_raise_input_file_error_or_load(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.csv"
    path.write_bytes(data)
    sink, adapter = CollectingSink(now=NOW), HubSpotAdapter()
    try:
        adapter.read(SourceFile(path, NOW), sink)
    except InputFileError:
        return
    _check_counts(sink, adapter)


_cells = st.one_of(st.text(max_size=8), st.sampled_from(
    ["1", "2", "123", "a@acme.com", "Decision Maker", "CHAMPION;END_USER", "2024-01-01",
     "2099-01-01", "1704067200000", "-3", "acme.com"]))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from([CONTACTS, COMPANIES]),
       rows=st.lists(st.lists(_cells, min_size=8, max_size=8), max_size=8))
def test_every_record_is_stored_or_rejected(tmp_path: Path, header: str,
                                            rows: list[list[str]]) -> None:
    width = header.count(",") + 1
    buffer = io.StringIO()
    buffer.write(header)
    csv.writer(buffer).writerows(row[:width] for row in rows)
    path = tmp_path / "gen.csv"
    path.write_text(buffer.getvalue())
    sink, adapter = read(path)
    _check_counts(sink, adapter)
    written = sum(1 for row in rows if any(cell.strip() for cell in row[:width]))
    assert adapter.counts["records"] == written
