"""Segment adapter: the SDK-captured bodies of Segment, RudderStack and PostHog, field by field.

Expected values are read off the fixture files by hand (see tests/data/segment/README.md);
bad inputs are in test_segment_bad_inputs.py, properties in test_segment_properties.py.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from successlink.ingest.records import CollectingSink, IngestOptions, SourceFile
from successlink.ingest.segment import SegmentAdapter

DATA = Path(__file__).parent.parent / "data" / "segment"
SEGMENT = DATA / "segment-analytics-python-2.4.0"
RUDDER = DATA / "rudder-sdk-python-2.1.9"
POSTHOG = DATA / "posthog-python-7.91.1"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EVENT_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def read(path: Path, adapter: SegmentAdapter | None = None,
         options: IngestOptions | None = None) -> tuple[CollectingSink, SegmentAdapter]:
    sink, adapter = CollectingSink(now=NOW), adapter or SegmentAdapter()
    adapter.read(SourceFile(path, NOW, options or IngestOptions()), sink)
    return sink, adapter


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def read_text(tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "m.jsonl",
              adapter: SegmentAdapter | None = None) -> tuple[CollectingSink, SegmentAdapter]:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return read(path, adapter)


def body(path: Path) -> dict[str, Any]:
    """The HTTP body of a captured request."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["body"]
    return loaded


def message(path: Path) -> dict[str, Any]:
    """The one message of a captured batch body."""
    batch: list[dict[str, Any]] = body(path)["batch"]
    assert len(batch) == 1
    return batch[0]


def track(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": "track", "event": "Report Exported", "userId": "user_123",
                            "messageId": "m-1", "timestamp": "2024-03-01T12:00:00.000Z",
                            "context": {"groupId": "acct_42"}, "properties": {"rows": 1}}
    return {k: v for k, v in {**base, **fields}.items() if v is not ...}


def only(sink: CollectingSink, table: str) -> dict[str, Any]:
    assert sink.rejects == []
    rows = sink.rows[table]
    assert len(rows) == 1, rows
    return rows[0]


def links(sink: CollectingSink) -> list[tuple[str, str, str, datetime]]:
    return [(r["kind"], r["key"], r["account_id"], r["observed_at"])
            for r in sink.rows["account_identities"]]


# --- Segment (segment-analytics-python 2.4.0) -----------------------------------------------

def test_segment_identify_gives_a_product_user_and_the_company_link() -> None:
    sink, adapter = read(SEGMENT / "01-identify.json")
    user = only(sink, "product_users")
    assert (user["user_id"], user["email"], user["name"]) == ("user_123", "pat@example.com",
                                                              "Pat Doe")
    assert user["identified_at"] == EVENT_TIME
    assert (user["account_id"], user["source"]) == (None, "segment")
    assert json.loads(user["traits"]) == {
        "email": "pat@example.com", "name": "Pat Doe", "plan": "pro",
        "createdAt": "2024-02-01T09:00:00Z", "company": {"id": "acct_42", "name": "Initech"}}
    # traits.company.id names the account explicitly
    assert links(sink) == [("segment_user", "user_123", "acct_42", EVENT_TIME)]
    assert (adapter.counts["messages"], adapter.counts["stored"]) == (1, 1)


def test_segment_group_gives_the_account_and_both_links() -> None:
    sink, _ = read(SEGMENT / "02-group.json")
    account = only(sink, "accounts")
    assert account == {
        "account_id": "acct_42", "source_key_kind": "segment_group", "source_key": "acct_42",
        "billing_email": None, "name": "Initech", "domain": None, "industry": "Technology",
        "country": None, "employees": 329, "segment": None, "lifecycle_stage": None,
        "created_at": None, "source": "segment", "properties": '{"plan":"enterprise"}'}
    assert links(sink) == [("segment_group", "acct_42", "acct_42", EVENT_TIME),
                           ("segment_user", "user_123", "acct_42", EVENT_TIME)]


def test_segment_track_signed_up_keeps_its_properties_and_group() -> None:
    sink, _ = read(SEGMENT / "03-track-signed-up.json")
    event = only(sink, "usage_events")
    assert event == {
        "event_id": "3af9a243-5a0c-4b80-ad07-bfcad23d2d61", "account_id": None,
        "group_key": "acct_42", "user_id": "user_123", "anonymous_id": None,
        "event_type": "track", "event": "Signed Up", "occurred_at": EVENT_TIME,
        "properties": '{"referrer_code":"aff_9","type":"invited"}', "source": "segment"}


def test_segment_track_report_exported() -> None:
    sink, _ = read(SEGMENT / "04-track-report-exported.json")
    event = only(sink, "usage_events")
    assert (event["event_id"], event["event"]) == ("284335ae-85be-4e66-ba68-c59029729022",
                                                   "Report Exported")
    assert (event["group_key"], event["user_id"], event["occurred_at"]) == (
        "acct_42", "user_123", EVENT_TIME)
    assert json.loads(event["properties"]) == {"format": "csv", "rows": 1200}


def test_segment_page_is_named_by_its_page_name() -> None:
    sink, _ = read(SEGMENT / "05-page.json")
    event = only(sink, "usage_events")
    assert (event["event_type"], event["event"]) == ("page", "Getting Started")
    assert (event["event_id"], event["group_key"]) == ("3323be3a-896e-4b24-bb47-5462ee2c44a1",
                                                       None)
    assert json.loads(event["properties"]) == {"url": "https://example.com/docs/start"}


def test_segment_alias_is_counted_and_skipped() -> None:
    sink, adapter = read(SEGMENT / "06-alias.json")
    assert sink.rows == {} and sink.rejects == []
    assert (adapter.counts["messages"], adapter.counts["ignored"]) == (1, 1)
    assert adapter.counts["ignored:alias"] == 1


# --- RudderStack (rudder-sdk-python 2.1.9) ---------------------------------------------------

def test_rudderstack_identify_reads_traits_from_context() -> None:
    sink, _ = read(RUDDER / "01-identify.json")
    user = only(sink, "product_users")
    assert (user["user_id"], user["email"], user["name"]) == ("user_123", "pat@example.com",
                                                              "Pat Doe")
    assert json.loads(user["traits"]) == {"email": "pat@example.com", "name": "Pat Doe",
                                          "plan": "pro"}
    assert user["identified_at"] == EVENT_TIME  # "+00:00" without milliseconds
    assert "account_identities" not in sink.rows  # its traits name no company


def test_rudderstack_group() -> None:
    sink, _ = read(RUDDER / "02-group.json")
    account = only(sink, "accounts")
    assert (account["account_id"], account["name"], account["employees"]) == (
        "acct_42", "Initech", None)
    assert json.loads(account["properties"]) == {"plan": "enterprise"}
    assert links(sink) == [("segment_group", "acct_42", "acct_42", EVENT_TIME),
                           ("segment_user", "user_123", "acct_42", EVENT_TIME)]


def test_rudderstack_track() -> None:
    sink, _ = read(RUDDER / "03-track-report-exported.json")
    event = only(sink, "usage_events")
    assert (event["event_id"], event["event"], event["event_type"]) == (
        "0916c7ae-fe00-4ea6-b5e3-ffd79452cf41", "Report Exported", "track")
    assert (event["group_key"], event["user_id"], event["anonymous_id"]) == (
        "acct_42", "user_123", None)
    assert event["occurred_at"] == EVENT_TIME


# --- PostHog (posthog 7.91.1) ----------------------------------------------------------------

def test_posthog_capture_takes_the_account_from_its_company_group() -> None:
    sink, _ = read(POSTHOG / "01-capture-with-groups.json")
    event = only(sink, "usage_events")
    assert (event["event_id"], event["event"], event["event_type"]) == (
        "5d65920a-3530-4926-b8f5-a5ed9a0fb99f", "report exported", "track")
    assert (event["user_id"], event["group_key"], event["anonymous_id"]) == (
        "user_123", "acct_42", None)
    assert event["occurred_at"] == EVENT_TIME
    properties = json.loads(event["properties"])
    assert (properties["format"], properties["rows"]) == ("csv", 1200)
    assert properties["$groups"] == {"company": "acct_42"}


def test_posthog_set_event_gives_a_product_user() -> None:
    sink, _ = read(POSTHOG / "02-set-person-properties.json")
    user = only(sink, "product_users")
    assert (user["user_id"], user["email"], user["name"]) == ("user_123", "pat@example.com",
                                                              None)
    assert json.loads(user["traits"]) == {"email": "pat@example.com", "plan": "pro"}
    assert user["identified_at"] == datetime(2026, 11, 23, 6, 17, 33, 994889, tzinfo=UTC)


def test_posthog_groupidentify_gives_the_account_and_no_user_link() -> None:
    sink, _ = read(POSTHOG / "03-groupidentify.json")
    account = only(sink, "accounts")
    assert (account["account_id"], account["source_key_kind"], account["source_key"]) == (
        "acct_42", "segment_group", "acct_42")
    assert (account["name"], account["employees"], account["properties"]) == (
        "Initech", 329, None)
    seen = datetime(2026, 11, 23, 6, 17, 33, 997030, tzinfo=UTC)
    # The distinct_id 1ff925ab-... is a random id of the SDK: no segment_user link.
    assert links(sink) == [("segment_group", "acct_42", "acct_42", seen)]


def test_posthog_group_type_is_configurable() -> None:
    sink, adapter = read(POSTHOG / "01-capture-with-groups.json",
                         SegmentAdapter(posthog_group_type="organization"))
    assert only(sink, "usage_events")["group_key"] is None
    sink, adapter = read(POSTHOG / "03-groupidentify.json",
                         SegmentAdapter(posthog_group_type="organization"))
    assert sink.rows == {} and sink.rejects == []
    assert adapter.counts["ignored:$groupidentify"] == 1


@pytest.mark.parametrize("path", sorted(DATA.glob("*/*.json")), ids=lambda p: p.stem)
def test_every_fixture_loads_without_rejects(path: Path) -> None:
    sink, adapter = read(path)
    assert sink.rejects == []
    assert adapter.counts["messages"] == 1


# --- batch bodies, JSON Lines, arrays ----------------------------------------------------------

def test_one_segment_batch_body_with_several_messages(tmp_path: Path) -> None:
    batch = [message(SEGMENT / name) for name in (
        "01-identify.json", "02-group.json", "03-track-signed-up.json", "05-page.json",
        "06-alias.json")]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"batch": batch, "sentAt": "2026-11-23T06:17:31Z"}, indent=2))
    sink, adapter = read(path)
    assert sink.rejects == []
    assert [r["user_id"] for r in sink.rows["product_users"]] == ["user_123"]
    assert [r["account_id"] for r in sink.rows["accounts"]] == ["acct_42"]
    assert [r["event"] for r in sink.rows["usage_events"]] == ["Signed Up", "Getting Started"]
    assert len(sink.rows["account_identities"]) == 3
    counts = adapter.counts
    assert (counts["messages"], counts["stored"], counts["ignored"]) == (5, 4, 1)


def test_posthog_batch_with_all_three_events(tmp_path: Path) -> None:
    events = [message(POSTHOG / name) for name in (
        "03-groupidentify.json", "02-set-person-properties.json", "01-capture-with-groups.json")]
    page = {**events[2], "event": "$pageview", "uuid": "u-page"}
    screen = {**events[2], "event": "$screen", "uuid": "u-screen"}
    alias = {**events[2], "event": "$create_alias", "uuid": "u-alias"}
    path = tmp_path / "posthog.json"
    path.write_text(json.dumps({"api_key": "phc_x", "batch": [*events, page, screen, alias]}))
    sink, adapter = read(path)
    assert sink.rejects == []
    assert [(r["event"], r["event_type"]) for r in sink.rows["usage_events"]] == [
        ("report exported", "track"), ("$pageview", "page"), ("$screen", "screen")]
    assert [r["account_id"] for r in sink.rows["accounts"]] == ["acct_42"]
    assert [r["user_id"] for r in sink.rows["product_users"]] == ["user_123"]
    assert adapter.counts["ignored:$create_alias"] == 1


def test_batch_bodies_one_per_line_number_rejects_by_line_and_element(tmp_path: Path) -> None:
    first = {"batch": [track(messageId="a"), track(messageId="b")], "sentAt": "2024-03-02"}
    second = {"batch": [track(messageId="c"), track(messageId=...), track(messageId="e")]}
    sink, adapter = read_text(tmp_path, jsonl(first, second))
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["a", "b", "c", "e"]
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "messageId")]
    assert "(batch element 2 of 3)" in sink.rejects[0].reason
    assert (adapter.counts["messages"], adapter.counts["rejected"]) == (5, 1)


def test_json_lines_export_numbers_messages_by_line(tmp_path: Path) -> None:
    lines = [message(SEGMENT / "04-track-report-exported.json"),
             message(RUDDER / "01-identify.json"),
             message(POSTHOG / "01-capture-with-groups.json")]
    text = jsonl(lines[0]) + "\n" + jsonl(*lines[1:])
    sink, _ = read_text(tmp_path, text)
    assert sink.rejects == []
    assert [r["event_id"] for r in sink.rows["usage_events"]] == [
        "284335ae-85be-4e66-ba68-c59029729022", "5d65920a-3530-4926-b8f5-a5ed9a0fb99f"]
    assert sink.rows["product_users"][0]["email"] == "pat@example.com"


def test_json_array_of_messages_numbers_them_by_position(tmp_path: Path) -> None:
    text = json.dumps([track(messageId="a"), track(messageId=None), track(messageId="c")])
    sink, _ = read_text(tmp_path, text, name="m.json")
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["a", "c"]
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "messageId")]


def test_a_captured_request_body_that_is_one_message(tmp_path: Path) -> None:
    wrapped = {"_captured_request": {"method": "POST", "path": "/v1/track"},
               "body": track(messageId="single")}
    sink, _ = read_text(tmp_path, json.dumps(wrapped, indent=2), name="t.json")
    assert only(sink, "usage_events")["event_id"] == "single"


def test_gzip_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl(track(messageId="a"), track(messageId="b")).encode()))
    sink, _ = read(path)
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["a", "b"]


def test_empty_file_loads_nothing(tmp_path: Path) -> None:
    sink, adapter = read_text(tmp_path, "")
    assert sink.rows == {} and sink.rejects == [] and adapter.counts["messages"] == 0


def test_a_captured_request_inside_a_body_is_not_unwrapped_again(tmp_path: Path) -> None:
    inner = {"_captured_request": {}, "body": track(messageId="deep")}
    sink, _ = read_text(tmp_path, json.dumps({"_captured_request": {}, "body": inner}))
    assert "usage_events" not in sink.rows
    assert [(r.line, r.field) for r in sink.rejects] == [(1, "type")]


def test_the_adapter_describes_itself_and_resets_its_counts(tmp_path: Path) -> None:
    adapter = SegmentAdapter()
    assert (adapter.name, adapter.tables) == (
        "segment", ("usage_events", "product_users", "accounts", "account_identities"))
    read(SEGMENT / "06-alias.json", adapter)
    read(SEGMENT / "02-group.json", adapter)
    assert dict(adapter.counts) == {"messages": 1, "stored": 1, "rejected": 0, "ignored": 0,
                                    "links": 2}
