"""Segment adapter properties: any bytes load or are refused whole, every message is accounted
for, and the fast JSON Lines reader reads exactly what `iter_json_records` reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from successlink.errors import InputFileError
from successlink.ingest.readers import BadRecord, iter_json_records, open_binary
from successlink.ingest.records import CollectingSink, SourceFile
from successlink.ingest.segment import SegmentAdapter
from successlink.ingest.segment.jsonlines import iter_records
from tests.ingest.test_segment import NOW, jsonl

MAIN_TABLES = ("usage_events", "product_users", "accounts")
_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_counts(sink: CollectingSink, adapter: SegmentAdapter) -> None:
    """Every message is stored, rejected (one reject) or ignored; links add their own."""
    counts = adapter.counts
    assert counts["messages"] == counts["stored"] + counts["rejected"] + counts["ignored"]
    assert len(sink.rejects) == counts["rejected"] + counts["links_rejected"]
    assert sum(len(sink.rows[t]) for t in MAIN_TABLES) == counts["stored"]
    assert len(sink.rows["account_identities"]) == counts["links"] - counts["links_rejected"]


def load(path: Path) -> tuple[CollectingSink, SegmentAdapter]:
    sink, adapter = CollectingSink(now=NOW), SegmentAdapter()
    adapter.read(SourceFile(path, NOW), sink)
    return sink, adapter


# --- any bytes -----------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from([
    b'{"type": "track", "messageId": "m", "event": "E", "timestamp": "2024-03-01T12:00:00Z"}',
    b'{"batch": [', b"]}", b'{"type": "group", "groupId": "g"}', b'{"event": "$set"}',
    b'{"distinct_id": "d", "uuid": "u", "event": "e"}', b"\n", b"\r", b"\r\n", b"  ", b"[",
    b"]", b"{", b"}", b",", b'"x"', b"null", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3\xa9", b"\xff",
    b'{"_captured_request": {}, "body": ', b'"timestamp": 1e400', b"\xe2\x80\xa8", b"\x0b",
])
_BYTES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(_FRAGMENTS, st.binary(max_size=6)), max_size=16).map(b"".join),
)


@_SETTINGS
@given(data=_BYTES)
def test_any_bytes_are_refused_whole_or_every_message_is_accounted_for(
        tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.jsonl"
    path.write_bytes(data)
    try:
        sink, adapter = load(path)
    except InputFileError:
        return
    check_counts(sink, adapter)


# --- generated messages ---------------------------------------------------------------------

_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8), st.sampled_from(["", " ", "acct_42", "user_123", "x" * 600]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                         max_size=2),
)
_TIMES = st.one_of(_VALUES, st.sampled_from([
    "2024-03-01T12:00:00.000+00:00", "2024-03-01T12:00:00+00:00", "2024-03-01T12:00:00Z",
    "2099-01-01T00:00:00Z", "1980-01-01T00:00:00Z", "2024-03-01 12:00", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "yesterday", 1709294400, -1, 10**30]))
_TRAITS = st.one_of(_VALUES, st.fixed_dictionaries({}, optional={
    "email": st.one_of(_VALUES, st.just("Pat@Example.com")), "name": _VALUES,
    "groupId": _VALUES, "company": st.one_of(_VALUES, st.fixed_dictionaries({"id": _VALUES})),
    "account_id": _VALUES, "website": _VALUES, "employees": _VALUES, "createdAt": _TIMES}))
_SEGMENT = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(
        ["track", "page", "screen", "identify", "group", "alias", "bogus"]), _VALUES)},
    optional={"messageId": _VALUES, "timestamp": _TIMES, "originalTimestamp": _TIMES,
              "sentAt": _TIMES, "userId": _VALUES, "anonymousId": _VALUES, "event": _VALUES,
              "name": _VALUES, "groupId": _VALUES, "traits": _TRAITS,
              "properties": st.one_of(_VALUES, _TRAITS),
              "context": st.one_of(_VALUES, st.fixed_dictionaries(
                  {}, optional={"groupId": _VALUES, "traits": _TRAITS}))})
_POSTHOG = st.fixed_dictionaries(
    {"distinct_id": _VALUES,
     "event": st.one_of(st.sampled_from(
         ["report exported", "$pageview", "$screen", "$identify", "$set", "$groupidentify",
          "$create_alias"]), _VALUES)},
    optional={"uuid": _VALUES, "timestamp": _TIMES, "$set": _TRAITS, "$set_once": _TRAITS,
              "properties": st.one_of(_VALUES, st.fixed_dictionaries({}, optional={
                  "$groups": st.one_of(_VALUES, st.fixed_dictionaries({"company": _VALUES})),
                  "$group_type": st.sampled_from(["company", "project"]),
                  "$group_key": _VALUES, "$group_set": _TRAITS, "$set": _TRAITS}))})
_MESSAGES = st.lists(st.one_of(_SEGMENT, _POSTHOG, _VALUES), max_size=8)


@_SETTINGS
@given(first=st.one_of(_SEGMENT, _POSTHOG), rest=_MESSAGES)
def test_every_json_lines_message_is_stored_rejected_or_ignored(
        tmp_path: Path, first: dict[str, Any], rest: list[Any]) -> None:
    # The first line is an object, as in any export (a file opening with another value is
    # not JSON Lines; the readers refuse it whole, as the any-bytes test covers).
    messages = [first, *rest]
    path = tmp_path / "m.jsonl"
    path.write_text(jsonl(*messages), encoding="utf-8")
    sink, adapter = load(path)
    check_counts(sink, adapter)
    # A line that is a JSON array is read as a batch of its elements.
    expected = sum(len(m) if isinstance(m, list) else 1 for m in messages)
    assert adapter.counts["messages"] == expected
    assert all(1 <= r.line <= len(messages) for r in sink.rejects)


@_SETTINGS
@given(batches=st.lists(st.tuples(_MESSAGES, st.one_of(st.none(), _TIMES)), max_size=4))
def test_every_batch_element_is_stored_rejected_or_ignored(
        tmp_path: Path, batches: list[tuple[list[Any], Any]]) -> None:
    bodies = [{"batch": batch, "sentAt": sent} for batch, sent in batches]
    path = tmp_path / "b.jsonl"
    path.write_text(jsonl(*bodies), encoding="utf-8")
    sink, adapter = load(path)
    check_counts(sink, adapter)
    assert adapter.counts["messages"] == sum(len(batch) for batch, _ in batches)


# --- the fast reader ------------------------------------------------------------------------

def _read_with(reader: Any, path: Path) -> list[tuple[int, Any]] | str:
    try:
        with open_binary(path) as stream:
            return list(reader(stream, str(path)))
    except InputFileError:
        return "refused"


_LINES = st.lists(st.one_of(_FRAGMENTS, st.sampled_from(
    [b'{"a": 1}', b'{"a":', b"[1]", b"3", b"\t", b"\xc2\xa0", b"\x1c"]), st.binary(max_size=4)),
    max_size=14).map(b"".join)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(_LINES, st.binary(max_size=120)))
def test_fast_reader_reads_what_iter_json_records_reads(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    assert _read_with(iter_records, path) == _read_with(iter_json_records, path)


def test_fast_reader_bad_lines_match_by_line_text_and_reason(tmp_path: Path) -> None:
    data = (b'\xef\xbb\xbf{"a": 1}\r\n{"a": \r\n\r\n{"a": 3}\r{"a": 4}\r\xc2\xa0\n'
            + json.dumps({"b": "Zo\u00eb"}).encode() + b"\n{oops\n")
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    fast = _read_with(iter_records, path)
    assert fast == _read_with(iter_json_records, path)
    assert isinstance(fast, list)
    assert [(n, r) for n, r in fast if not isinstance(r, BadRecord)] == [
        (1, {"a": 1}), (4, {"a": 3}), (5, {"a": 4}), (7, {"b": "Zoë"})]
    assert [(n, r.text) for n, r in fast if isinstance(r, BadRecord)] == [
        (2, '{"a": \r\n'), (8, "{oops\n")]
