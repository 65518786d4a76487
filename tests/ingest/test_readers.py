"""Readers: every file shape sources export, with line numbers, encodings and gzip."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from successlink.errors import InputFileError
from successlink.ingest.readers import BadRecord, iter_csv_rows, iter_json_records, open_binary


def records(path: Path) -> list:
    with open_binary(path) as stream:
        return list(iter_json_records(stream, str(path)))


def write(tmp_path: Path, data: bytes, name: str = "f") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_json_lines_keep_line_numbers_and_bad_lines_become_bad_records(tmp_path):
    path = write(tmp_path, b'{"a": 1}\n\n{"a": 2\n{"a": 3}\n')
    got = records(path)
    assert [(n, r) for n, r in got if not isinstance(r, BadRecord)] == [(1, {"a": 1}),
                                                                        (4, {"a": 3})]
    assert got[1][0] == 3 and isinstance(got[1][1], BadRecord)


def test_array_document_and_pretty_printed_object(tmp_path):
    assert records(write(tmp_path, b'[{"a": 1}, {"a": 2}]', "a")) == [(1, {"a": 1}),
                                                                       (2, {"a": 2})]
    assert records(write(tmp_path, b'{\n  "a": [1,\n 2]\n}\n', "b")) == [(1, {"a": [1, 2]})]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_and_utf16_files_decode(tmp_path, encoding):
    path = write(tmp_path, '{"name": "Zoë"}\n{"name": "Åsa"}\n'.encode(encoding))
    assert [r["name"] for _, r in records(path)] == ["Zoë", "Åsa"]


def test_gzip_is_read_transparently(tmp_path):
    path = write(tmp_path, gzip.compress(b'{"a": 1}\n{"a": 2}\n'), "f.jsonl.gz")
    assert [r for _, r in records(path)] == [{"a": 1}, {"a": 2}]


@pytest.mark.parametrize("data", [b"hello world", b"[1, 2", b'{"a": 1', b"\xff\xfe\x00garbage"])
def test_unreadable_documents_name_the_file(tmp_path, data):
    path = write(tmp_path, data, "broken.json")
    with pytest.raises(InputFileError, match=r"broken\.json"):
        records(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputFileError, match="cannot open"):
        open_binary(tmp_path / "nope.json")


def test_csv_rows_are_numbered_by_their_first_line(tmp_path):
    text = 'id,comment\n1,"two\nlines"\n2,ok\n3,too,many\n'
    path = write(tmp_path, text.encode("utf-8-sig"), "f.csv")
    with open_binary(path) as stream:
        rows = list(iter_csv_rows(stream, str(path), required=("id",)))
    assert rows[0] == (2, {"id": "1", "comment": "two\nlines"})
    assert rows[1] == (4, {"id": "2", "comment": "ok"})
    assert rows[2][0] == 5 and isinstance(rows[2][1], BadRecord)


def test_csv_without_required_columns_is_refused(tmp_path):
    path = write(tmp_path, b"a,b\n1,2\n", "f.csv")
    with open_binary(path) as stream, pytest.raises(InputFileError, match="id"):
        list(iter_csv_rows(stream, str(path), required=("id",)))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.sampled_from([b"", b"{}", b"[]", codecs.BOM_UTF8 + b"{"]))
def test_any_bytes_either_parse_or_raise_input_file_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("h") / "x"
    path.write_bytes(data)
    try:
        records(path)
        with open_binary(path) as stream:
            list(iter_csv_rows(stream, str(path)))
    except InputFileError:
        pass


def test_header_spellings_compare_equal():
    from successlink.ingest.readers import header_key

    assert header_key(" Properties: Account ID ") == "properties_account_id"
    assert header_key("Associated Company IDs (Primary)") == "associated_company_ids_primary"


@pytest.mark.parametrize(("data", "expected"), [
    (b'  \n{"a": 1}', True), (b"[1]", True), (codecs.BOM_UTF8 + b"{", True),
    ('{"a": 1}'.encode("utf-16"), True), (b"id,name\n", False), (b"", False)])
def test_json_is_told_from_csv_by_its_first_character(tmp_path, data, expected):
    from successlink.ingest.readers import looks_like_json

    path = write(tmp_path, data)
    with open_binary(path) as stream:
        assert looks_like_json(stream) is expected
