"""Survey adapter: hand-checked rows from the sample exports, bad inputs, and properties."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from successlink.errors import ConfigError, InputFileError
from successlink.ingest.records import CollectingSink, IngestOptions, SourceFile
from successlink.ingest.surveys import SurveyAdapter

DATA = Path(__file__).parent.parent / "data" / "surveys"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
HEADER = "Response ID,Email,Score,Comment,Created At\n"


def read(path: Path, options: IngestOptions | None = None
         ) -> tuple[CollectingSink, SurveyAdapter]:
    sink, adapter = CollectingSink(now=NOW), SurveyAdapter()
    adapter.read(SourceFile(path, NOW, options or IngestOptions()), sink)
    return sink, adapter


def read_text(tmp_path: Path, text: str, options: IngestOptions | None = None,
              name: str = "s.csv", encoding: str = "utf-8"
              ) -> tuple[CollectingSink, SurveyAdapter]:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return read(path, options)


def by_id(sink: CollectingSink) -> dict[str, dict[str, Any]]:
    return {row["response_id"]: row for row in sink.rows["survey_responses"]}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
       second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- the sample exports --------------------------------------------------------------------

def test_delighted_nps_csv() -> None:
    sink, _ = read(DATA / "delighted_nps.csv")
    assert sink.rejects == []
    rows = by_id(sink)
    assert rows["surveys:nps:1001"] == {
        "response_id": "surveys:nps:1001", "account_id": "acc_acme",
        "respondent_email": "jane.doe@acme.com", "kind": "nps", "score": 9,
        "scale_min": 0, "scale_max": 10, "comment": 'Love the exports, "just works"',
        "responded_at": at(2024, 3, 4, 10), "source": "surveys",
    }
    bob = rows["surveys:nps:1002"]
    assert (bob["respondent_email"], bob["account_id"], bob["score"]) == (
        "bob@globex.io", None, 6)
    assert bob["comment"] == "Too slow,\nsometimes"
    assert (rows["surveys:nps:1003"]["score"], rows["surveys:nps:1003"]["comment"]) == (10, None)
    assert rows["surveys:nps:1003"]["responded_at"] == at(2024, 3, 6, 8)
    assert rows["surveys:nps:1004"]["score"] == 0
    assert rows["surveys:nps:1004"]["responded_at"] == at(2024, 3, 7, 14, 15)  # 09:15 -0500


def test_kind_column_mixes_csat_and_nps_and_skips_other_types() -> None:
    sink, adapter = read(DATA / "delighted_mixed.csv")
    assert sink.rejects == []
    rows = by_id(sink)
    assert set(rows) == {"surveys:csat:3001", "surveys:csat:3002", "surveys:nps:3003"}
    assert [rows["surveys:csat:3001"][k] for k in ("kind", "score", "scale_min", "scale_max")] == [
        "csat", 5, 1, 5]
    assert rows["surveys:csat:3001"]["account_id"] == "acc_initech"
    second = rows["surveys:csat:3002"]
    assert (second["score"], second["account_id"]) == (1, None)
    assert [rows["surveys:nps:3003"][k] for k in ("kind", "score", "scale_min", "scale_max")] == [
        "nps", 8, 0, 10]
    assert (adapter.counts["records"], adapter.counts["ignored"]) == (4, 1)


def test_delighted_api_objects_as_json_lines() -> None:
    sink, _ = read(DATA / "survey_responses.jsonl")
    assert sink.rejects == []
    rows = by_id(sink)
    erin = rows["surveys:nps:2001"]
    assert (erin["respondent_email"], erin["account_id"], erin["kind"], erin["score"]) == (
        "erin@initech.com", "acc_initech", "nps", 8)
    assert (erin["responded_at"], erin["comment"]) == (at(2024, 3, 5, 12), None)
    anon = rows["surveys:nps:2002"]
    assert (anon["respondent_email"], anon["account_id"], anon["score"]) == (
        None, "acc_globex", 3)
    assert anon["responded_at"] == at(2024, 3, 8, 9, 30)


# --- options -------------------------------------------------------------------------------

def test_configured_columns_and_kind(tmp_path: Path) -> None:
    text = ("Respondent,How likely are you to rate us?,Submitted,Why\n"
            "Ann@Acme.com,4,2024-03-01T10:00:00Z,ok\n")
    options = IngestOptions(survey_kind="csat", survey_columns={
        "email": "Respondent", "score": "How likely are you to rate us?",
        "responded_at": "Submitted", "comment": "Why"})
    sink, _ = read_text(tmp_path, text, options)
    (row,) = sink.rows["survey_responses"]
    assert (row["respondent_email"], row["kind"], row["score"], row["comment"]) == (
        "ann@acme.com", "csat", 4, "ok")
    assert (row["scale_min"], row["scale_max"]) == (1, 5)


def test_configured_column_missing_from_the_file_is_refused(tmp_path: Path) -> None:
    options = IngestOptions(survey_columns={"score": "Rating"})
    with pytest.raises(InputFileError) as err:
        read_text(tmp_path, HEADER + "1,a@b.co,9,,2024-03-01T10:00:00Z\n", options)
    assert "Rating" in str(err.value)


def test_unknown_survey_kind_option_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        read_text(tmp_path, HEADER, IngestOptions(survey_kind="ces"))


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_text(tmp_path, "Response ID,Email\n1,a@acme.com\n")
    assert "Score" in str(err.value) and "Created At" in str(err.value)


def test_ids_are_hashed_from_content_when_the_file_has_none(tmp_path: Path) -> None:
    text = ("Email,Score,Created At\n"
            "a@acme.com,9,2024-03-01T10:00:00Z\n"
            "b@acme.com,9,2024-03-01 11:00:00 +0100\n"
            "a@acme.com,8,2024-03-01T10:00:00Z\n")
    sink, _ = read_text(tmp_path, text)
    ids = [row["response_id"] for row in sink.rows["survey_responses"]]
    assert len(set(ids)) == 3 and all(i.startswith("surveys:") for i in ids)
    again, _ = read_text(tmp_path, text, name="again.csv")
    assert [row["response_id"] for row in again.rows["survey_responses"]] == ids
    # The same answer written with another time format is the same response.
    same, _ = read_text(tmp_path, "Email,Score,Created At\na@acme.com,9,2024-03-01 10:00\n",
                        name="same.csv")
    assert same.rows["survey_responses"][0]["response_id"] == ids[0]


# --- bad inputs ----------------------------------------------------------------------------

@pytest.mark.parametrize(("row", "options", "field", "reason"), [
    ("2,a@acme.com,11,,2024-03-01T10:00:00Z", None, "Score", "outside the NPS scale 0-10"),
    ("2,a@acme.com,-1,,2024-03-01T10:00:00Z", None, "Score", "outside the NPS scale 0-10"),
    ("2,a@acme.com,0,,2024-03-01T10:00:00Z", IngestOptions(survey_kind="csat"), "Score",
     "outside the CSAT scale 1-5"),
    ("2,a@acme.com,7.5,,2024-03-01T10:00:00Z", None, "Score", "not a whole number"),
    ("2,a@acme.com,,,2024-03-01T10:00:00Z", None, "Score", "missing"),
    ("2,a@acme.com,9,,03/01/2024", None, "Created At", "not an ISO-8601"),
    ("2,a@acme.com,9,,", None, "Created At", "missing"),
    ("2,a@acme.com,9,,2030-01-01T00:00:00Z", None, "survey_responses.responded_at", "future"),
    ("2,not-an-email,9,,2024-03-01T10:00:00Z", None, "Email", "not an e-mail"),
    ("1,b@acme.com,9,,2024-03-02T10:00:00Z", None, "Response ID", "line 2"),
    ("2,a@acme.com,9," + "x" * 70_000 + ",2024-03-01T10:00:00Z", None,
     "survey_responses.comment", "limit is 65536"),
])
def test_bad_answers_are_rejected_by_field(tmp_path: Path, row: str,
                                           options: IngestOptions | None, field: str,
                                           reason: str) -> None:
    text = HEADER + "1,a@acme.com,4,fine,2024-03-01T09:00:00Z\n" + row + "\n"
    sink, adapter = read_text(tmp_path, text, options)
    assert [r["response_id"].rsplit(":", 1)[-1] for r in sink.rows["survey_responses"]] == ["1"]
    assert [(r.line, r.field) for r in sink.rejects] == [(3, field)]
    assert reason in sink.rejects[0].reason
    assert adapter.counts["rejected"] == 1


def test_unknown_kind_is_rejected_and_known_other_types_skipped(tmp_path: Path) -> None:
    text = ("Response ID,Survey type,Score,Created At\n"
            "1,thumbs,1,2024-03-01T09:00:00Z\n2,happiness,5,2024-03-01T09:00:00Z\n")
    sink, adapter = read_text(tmp_path, text)
    assert sink.rows == {}
    assert [(r.line, r.field) for r in sink.rejects] == [(3, "Survey type")]
    assert adapter.counts["ignored"] == 1


def test_wrong_field_count_and_broken_json_are_rejected(tmp_path: Path) -> None:
    sink, _ = read_text(tmp_path, HEADER + "1,a@acme.com,9\n2,b@acme.com,9,,2024-03-01\n")
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "record")]
    assert len(sink.rows["survey_responses"]) == 1
    text = '{"id": "1", "score": 9, "created_at": 1709640000}\n{"id": \n7\n'
    sink, _ = read_text(tmp_path, text, name="s.jsonl")
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "record"), (3, "record")]
    assert len(sink.rows["survey_responses"]) == 1


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_and_utf16_files_read_like_utf8(tmp_path: Path, encoding: str) -> None:
    for name in ("delighted_nps.csv", "survey_responses.jsonl"):
        text = (DATA / name).read_text(encoding="utf-8")
        sink, _ = read_text(tmp_path, text, name=name, encoding=encoding)
        expected, _ = read(DATA / name)
        assert sink.rows == expected.rows and sink.rejects == []


# --- properties ----------------------------------------------------------------------------

def _check_counts(sink: CollectingSink, adapter: SurveyAdapter) -> None:
    counts = adapter.counts
    assert counts["records"] == counts["stored"] + counts["rejected"] + counts["ignored"]
    assert len(sink.rejects) == counts["rejected"]
    assert len(sink.rows["survey_responses"]) == counts["stored"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=200).map(lambda b: b"{" + b),
    st.binary(max_size=200).map(lambda b: HEADER.encode() + b),
    st.binary(max_size=200).map(lambda b: b"\xef\xbb\xbf" + b),
))
def test_any_bytes_raise_input_file_error_or_load(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.csv"
    path.write_bytes(data)
    sink, adapter = CollectingSink(now=NOW), SurveyAdapter()
    try:
        adapter.read(SourceFile(path, NOW), sink)
    except InputFileError:
        return
    _check_counts(sink, adapter)


_cells = st.one_of(st.text(max_size=10), st.sampled_from(
    ["9", "0", "10", "11", "5", "nps", "csat", "ces", "a@acme.com", "2024-03-01T10:00:00Z",
     "2099-01-01", "1709640000"]))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_cells, _cells, _cells, _cells, _cells), max_size=8))
def test_every_answer_is_stored_rejected_or_skipped(tmp_path: Path,
                                                    rows: list[tuple[str, ...]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Response ID", "Email", "Score", "Survey type", "Created At"])
    writer.writerows(rows)
    path = tmp_path / "gen.csv"
    path.write_text(buffer.getvalue())
    sink, adapter = read(path)
    _check_counts(sink, adapter)
    written = sum(1 for row in rows if any(cell.strip() for cell in row))
    assert adapter.counts["records"] == written


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.dictionaries(
    st.sampled_from(["id", "score", "created_at", "survey_type", "email", "person"]),
    st.one_of(st.integers(-3, 2_000_000_000), st.text(max_size=6), st.none(),
              st.just({"email": "x@acme.com"})), max_size=6), max_size=6))
def test_every_json_answer_is_stored_rejected_or_skipped(tmp_path: Path,
                                                         records: list[dict[str, Any]]) -> None:
    path = tmp_path / "gen.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    sink, adapter = read(path)
    _check_counts(sink, adapter)
    assert adapter.counts["records"] == len(records)


def test_nps_and_csat_answers_with_the_same_id_are_different_answers(tmp_path: Path) -> None:
    """Survey tools number each project's answers, so an NPS and a CSAT file share ids."""
    nps, _ = read_text(tmp_path, HEADER + "7,a@acme.com,9,,2024-03-01 10:00:00 +0000\n",
                       name="nps.csv")
    csat, _ = read_text(tmp_path, HEADER + "7,a@acme.com,2,,2024-03-02 10:00:00 +0000\n",
                        name="csat.csv")
    rows = {**by_id(nps), **by_id(csat)}
    assert (rows["surveys:nps:7"]["kind"], rows["surveys:nps:7"]["score"]) == ("nps", 9)
    assert (rows["surveys:csat:7"]["kind"], rows["surveys:csat:7"]["score"]) == ("csat", 2)


@pytest.mark.parametrize(("name", "kind"), [("csat.csv", "csat"), ("nps-2024.csv", "nps"),
                                           ("Delighted CSAT export.csv", "csat"),
                                           ("answers.csv", "nps")])
def test_a_file_without_a_kind_column_takes_its_kind_from_its_name(
        tmp_path: Path, name: str, kind: str) -> None:
    sink, _ = read_text(tmp_path, HEADER + "7,a@acme.com,4,,2024-03-01 10:00:00 +0000\n",
                        name=name)
    (row,) = sink.rows["survey_responses"]
    assert (row["kind"], row["scale_max"]) == (kind, 10 if kind == "nps" else 5)
