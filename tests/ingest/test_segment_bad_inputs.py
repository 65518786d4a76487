"""Segment adapter: mapping rules in detail, and bad inputs that must become named rejects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from successlink.errors import InputFileError
from successlink.ingest.records import IngestOptions
from tests.ingest.test_segment import (
    NOW,
    RUDDER,
    SEGMENT,
    jsonl,
    message,
    read,
    read_text,
    track,
)


def posthog(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"event": "report exported", "distinct_id": "user_123",
                            "uuid": "u-1", "timestamp": "2024-03-01T12:00:00+00:00",
                            "properties": {"$groups": {"company": "acct_42"}}}
    return {k: v for k, v in {**base, **fields}.items() if v is not ...}


def identify(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": "identify", "userId": "user_123", "messageId": "i-1",
                            "timestamp": "2024-03-01T12:00:00Z", "traits": {}}
    return {k: v for k, v in {**base, **fields}.items() if v is not ...}


def group(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": "group", "groupId": "acct_42", "userId": "user_123",
                            "messageId": "g-1", "timestamp": "2024-03-01T12:00:00Z",
                            "traits": {"name": "Initech"}}
    return {k: v for k, v in {**base, **fields}.items() if v is not ...}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
       micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


# --- times -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "expected"), [
    ({"timestamp": "2024-03-01T12:00:00.123+00:00"}, at(2024, 3, 1, 12, 0, 0, 123000)),
    ({"timestamp": "2024-03-01T12:00:00Z"}, at(2024, 3, 1, 12)),
    ({"timestamp": "2024-03-01T13:30:00.5+01:30"}, at(2024, 3, 1, 12, 0, 0, 500000)),
    ({"timestamp": "2024-03-01T12:00:00"}, at(2024, 3, 1, 12)),  # naive is taken as UTC
    ({"timestamp": 1709294400}, at(2024, 3, 1, 12)),  # Unix seconds
    ({"timestamp": ..., "originalTimestamp": "2024-03-01T11:00:00Z"}, at(2024, 3, 1, 11)),
    ({"timestamp": None, "receivedAt": "2024-03-01T10:00:00Z",
      "sentAt": "2024-03-01T09:00:00Z"}, at(2024, 3, 1, 10)),
    ({"timestamp": ..., "sentAt": "2024-03-01T09:00:00Z"}, at(2024, 3, 1, 9)),
])
def test_event_time_is_the_first_time_field_present(tmp_path: Path, fields: dict[str, Any],
                                                    expected: datetime) -> None:
    sink, _ = read_text(tmp_path, jsonl(track(**fields)))
    assert sink.rejects == []
    assert sink.rows["usage_events"][0]["occurred_at"] == expected


def test_batch_send_time_is_the_last_resort(tmp_path: Path) -> None:
    batch = {"batch": [track(timestamp=...)], "sentAt": "2024-03-01T08:00:00Z"}
    sink, _ = read_text(tmp_path, jsonl(batch))
    assert sink.rows["usage_events"][0]["occurred_at"] == at(2024, 3, 1, 8)
    batch = {"batch": [posthog(timestamp=...)], "sent_at": "2024-03-01T07:00:00+00:00"}
    sink, _ = read_text(tmp_path, jsonl(batch))
    assert sink.rows["usage_events"][0]["occurred_at"] == at(2024, 3, 1, 7)


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({"timestamp": "yesterday"}, "timestamp", "not an ISO-8601 timestamp"),
    ({"timestamp": "yesterday", "originalTimestamp": "2024-03-01T12:00:00Z"}, "timestamp",
     "not an ISO-8601"),  # a bad time is not silently replaced by another one
    ({"timestamp": True}, "timestamp", "got bool"),
    ({"timestamp": {"at": 1}}, "timestamp", "expected an ISO-8601 timestamp"),
    ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp", "outside the range"),
    ({"timestamp": ...}, "timestamp", "no time"),
    ({"timestamp": "2099-01-01T00:00:00Z"}, "usage_events.occurred_at", "in the future"),
    ({"timestamp": "1985-06-01T00:00:00Z"}, "usage_events.occurred_at", "before 1990"),
])
def test_bad_times_are_rejected_by_name(tmp_path: Path, fields: dict[str, Any], field: str,
                                        reason: str) -> None:
    sink, adapter = read_text(tmp_path, jsonl(track(messageId="ok"), track(**fields)))
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["ok"]
    assert [(r.line, r.field) for r in sink.rejects] == [(2, field)]
    assert reason in sink.rejects[0].reason
    assert adapter.counts["rejected"] == 1


def test_a_few_minutes_of_clock_skew_is_not_the_future(tmp_path: Path) -> None:
    soon = (NOW + timedelta(minutes=5)).isoformat()
    sink, _ = read_text(tmp_path, jsonl(track(timestamp=soon)))
    assert sink.rejects == [] and len(sink.rows["usage_events"]) == 1


# --- events ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "expected"), [
    ({"context": {"groupId": "acct_1"}, "properties": {"groupId": "acct_2"}}, "acct_1"),
    ({"context": {}, "properties": {"groupId": "acct_2"}}, "acct_2"),
    ({"context": {"traits": {"groupId": "acct_3"}}, "properties": {}}, "acct_3"),
    ({"context": ..., "properties": ...}, None),
    ({"context": "junk"}, None),
])
def test_event_group_key_sources(tmp_path: Path, fields: dict[str, Any],
                                 expected: str | None) -> None:
    sink, _ = read_text(tmp_path, jsonl(track(**fields)))
    assert sink.rows["usage_events"][0]["group_key"] == expected


@pytest.mark.parametrize(("fields", "expected"), [
    ({"name": "Pricing", "properties": {"title": "T", "path": "/p"}}, "Pricing"),
    ({"properties": {"title": "Pricing - Acme", "path": "/pricing"}}, "Pricing - Acme"),
    ({"properties": {"path": "/pricing"}}, "/pricing"),
    ({"properties": {}}, "page"),
])
def test_page_name_falls_back_to_title_then_path(tmp_path: Path, fields: dict[str, Any],
                                                 expected: str) -> None:
    page = {"type": "page", "messageId": "p", "timestamp": "2024-03-01T12:00:00Z", **fields}
    sink, _ = read_text(tmp_path, jsonl(page, {**page, "type": "screen", "messageId": "s"}))
    assert [(r["event_type"], r["event"]) for r in sink.rows["usage_events"]] == [
        ("page", expected), ("screen", expected if expected != "page" else "screen")]


def test_anonymous_event_keeps_the_anonymous_id(tmp_path: Path) -> None:
    sink, _ = read_text(tmp_path, jsonl(track(userId=..., anonymousId="anon_abc")))
    event = sink.rows["usage_events"][0]
    assert (event["user_id"], event["anonymous_id"]) == (None, "anon_abc")


def test_repeated_message_id_is_passed_on_for_the_loader_to_merge(tmp_path: Path) -> None:
    # Segment delivers at least once: a retried message repeats its messageId. Both copies go
    # to the sink; the loader keeps one row per event_id.
    sink, _ = read_text(tmp_path, jsonl(track(messageId="dup"), track(messageId="dup")))
    assert sink.rejects == []
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["dup", "dup"]


@pytest.mark.parametrize(("record", "field", "reason"), [
    (track(messageId=...), "messageId", "carries a messageId"),
    (track(type=...), "type", "is missing"),
    (track(type="purchase"), "type", "not a Segment message type"),
    (track(type=["track"]), "type", "not a Segment message type"),
    (track(event=...), "usage_events.event", "required"),
    (track(event="x" * 600), "usage_events.event", "limit is 512"),
    (track(properties=[1, 2]), "properties", "is a list, not a JSON object"),
    (track(properties={"blob": "x" * 70_000}), "usage_events.properties", "limit is 65536"),
    (track(userId={"id": 1}), "usage_events.user_id", "expected text"),
    (posthog(uuid=...), "uuid", "carries a uuid"),
    (posthog(distinct_id=None), "distinct_id", "is missing"),
    (posthog(event=...), "event", "is missing"),
    (posthog(properties="x"), "properties", "is a string, not a JSON object"),
    ({"messageId": "m", "timestamp": "2024-03-01T12:00:00Z"}, "type", "is missing"),
])
def test_bad_messages_are_rejected_by_name(tmp_path: Path, record: dict[str, Any], field: str,
                                           reason: str) -> None:
    sink, adapter = read_text(tmp_path, jsonl(track(messageId="ok"), record))
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["ok"]
    assert [(r.line, r.field) for r in sink.rejects] == [(2, field)]
    assert reason in sink.rejects[0].reason
    assert (adapter.counts["messages"], adapter.counts["rejected"]) == (2, 1)


# --- identify and group --------------------------------------------------------------------------

def test_identify_top_level_traits_win_over_context_traits(tmp_path: Path) -> None:
    record = identify(context={"traits": {"email": "old@acme.io", "plan": "free"}},
                      traits={"email": "New@Acme.io", "firstName": "Pat", "lastName": "Doe"})
    sink, _ = read_text(tmp_path, jsonl(record))
    user = sink.rows["product_users"][0]
    assert (user["email"], user["name"]) == ("new@acme.io", "Pat Doe")
    assert json.loads(user["traits"]) == {"email": "New@Acme.io", "plan": "free",
                                          "firstName": "Pat", "lastName": "Doe"}


@pytest.mark.parametrize(("traits", "account"), [
    ({"groupId": "acct_1"}, "acct_1"),
    ({"company": {"id": "acct_2", "name": "Initech"}}, "acct_2"),
    ({"account_id": "acct_3"}, "acct_3"),
    ({"successlink_account_id": "acct_4"}, "acct_4"),
    ({"company": {"name": "no id"}}, None),
    ({"account_id": "  "}, None),
])
def test_identify_links_the_user_when_traits_name_the_account(
        tmp_path: Path, traits: dict[str, Any], account: str | None) -> None:
    sink, adapter = read_text(tmp_path, jsonl(identify(traits=traits)))
    got = [(r["kind"], r["key"], r["account_id"]) for r in sink.rows["account_identities"]]
    assert got == ([("segment_user", "user_123", account)] if account else [])
    assert adapter.counts["links"] == (1 if account else 0)


def test_account_trait_keys_come_from_the_ingest_options(tmp_path: Path) -> None:
    path = tmp_path / "i.jsonl"
    path.write_text(jsonl(identify(traits={"crm_id": "acct_9", "account_id": "not-this"})))
    sink, _ = read(path, options=IngestOptions(account_metadata_keys=("crm_id",)))
    assert [r["account_id"] for r in sink.rows["account_identities"]] == ["acct_9"]


def test_anonymous_identify_is_skipped_and_identify_without_any_id_rejected(
        tmp_path: Path) -> None:
    text = jsonl(identify(userId=..., anonymousId="anon_1"), identify(userId=" "))
    sink, adapter = read_text(tmp_path, text)
    assert "product_users" not in sink.rows
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "userId")]
    assert adapter.counts["ignored:identify"] == 1


@pytest.mark.parametrize(("record", "field"), [
    (identify(traits="pat@example.com"), "traits"),
    (identify(context={"traits": [1]}), "context.traits"),
    (identify(timestamp="soon"), "timestamp"),
    (identify(traits={"name": "n" * 5000}), "product_users.name"),
    (group(groupId=...), "groupId"),
    (group(groupId=""), "groupId"),
    (group(traits=[]), "traits"),
    (group(traits={"createdAt": "last year"}), "traits.createdAt"),
    (group(traits={"employees": "50-100"}), "accounts.employees"),
    (group(groupId="g" * 300), "accounts.account_id"),
])
def test_bad_identify_and_group_calls_are_rejected_by_name(
        tmp_path: Path, record: dict[str, Any], field: str) -> None:
    sink, adapter = read_text(tmp_path, jsonl(record))
    assert [(r.line, r.field) for r in sink.rejects] == [(1, field)]
    assert "account_identities" not in sink.rows  # no links for a message that was refused
    assert adapter.counts["rejected"] == 1


def test_group_traits_fill_the_account_columns(tmp_path: Path) -> None:
    traits = {"name": "Initech", "website": "https://www.Initech.com/about",
              "email": "Billing@Initech.com", "industry": "Software", "employees": "329",
              "createdAt": "2023-05-01T00:00:00Z", "plan": "enterprise",
              "address": {"country": "US"}}
    sink, _ = read_text(tmp_path, jsonl(group(traits=traits, userId=...)))
    account = sink.rows["accounts"][0]
    assert (account["domain"], account["billing_email"], account["industry"]) == (
        "initech.com", "billing@initech.com", "Software")
    assert (account["employees"], account["created_at"]) == (329, at(2023, 5, 1))
    assert json.loads(account["properties"]) == {"plan": "enterprise",
                                                 "address": {"country": "US"}}
    # no userId: only the group's own link
    assert [r["kind"] for r in sink.rows["account_identities"]] == ["segment_group"]


def test_a_link_the_sink_refuses_is_its_own_reject(tmp_path: Path) -> None:
    long_user = "u" * 600  # a product user id may be long; an identity key may not
    sink, adapter = read_text(tmp_path, jsonl(group(userId=long_user)))
    assert len(sink.rows["accounts"]) == 1
    assert [r["kind"] for r in sink.rows["account_identities"]] == ["segment_group"]
    assert [(r.line, r.field) for r in sink.rejects] == [(1, "account_identities.key")]
    counts = adapter.counts
    assert (counts["stored"], counts["links"], counts["links_rejected"]) == (1, 2, 1)


def test_posthog_person_traits_merge_set_once_then_set(tmp_path: Path) -> None:
    record = posthog(event="$identify", properties={
        "$set": {"email": "pat@acme.io", "plan": "pro"},
        "$set_once": {"plan": "trial", "first_seen": "2024-01-01"}})
    sink, _ = read_text(tmp_path, jsonl(record))
    user = sink.rows["product_users"][0]
    assert (user["user_id"], user["email"]) == ("user_123", "pat@acme.io")
    assert json.loads(user["traits"]) == {"email": "pat@acme.io", "plan": "pro",
                                          "first_seen": "2024-01-01"}


def test_posthog_groupidentify_without_key_is_rejected(tmp_path: Path) -> None:
    record = posthog(event="$groupidentify", properties={"$group_type": "company"})
    sink, _ = read_text(tmp_path, jsonl(record))
    assert [(r.line, r.field) for r in sink.rejects] == [(1, "properties.$group_key")]


# --- records that are not messages, encodings -----------------------------------------------------

def test_broken_json_lines_among_good_ones_keep_their_line_numbers(tmp_path: Path) -> None:
    text = (jsonl(track(messageId="a")) + '{"type": "track", "messageId": \n'
            + "\n" + jsonl(track(messageId="b")) + "not json at all\n"
            + jsonl(track(messageId="c")))
    sink, adapter = read_text(tmp_path, text)
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["a", "b", "c"]
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "record"), (5, "record")]
    assert all("not valid JSON" in r.reason for r in sink.rejects)
    assert sink.rejects[1].value.startswith("not json at all")
    assert (adapter.counts["messages"], adapter.counts["rejected"]) == (5, 2)


@pytest.mark.parametrize("line", ["42", '"track"', "null", "[1, 2]", "[[]]"])
def test_lines_that_are_not_objects_are_rejected(tmp_path: Path, line: str) -> None:
    sink, _ = read_text(tmp_path, jsonl(track(messageId="a")) + line + "\n")
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["a"]
    assert {(r.line, r.field) for r in sink.rejects} == {(2, "record")}
    assert all("not a JSON object" in r.reason for r in sink.rejects)


def test_batch_that_is_not_a_list_and_elements_that_are_not_objects(tmp_path: Path) -> None:
    text = jsonl({"batch": {"type": "track"}}, {"batch": [track(messageId="a"), 7]})
    sink, adapter = read_text(tmp_path, text)
    assert [(r.line, r.field) for r in sink.rejects] == [(1, "batch"), (2, "record")]
    assert sink.rejects[1].reason.endswith("(batch element 2 of 2)")
    assert adapter.counts["messages"] == 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_bom_and_utf16_files_read_like_utf8(tmp_path: Path, encoding: str) -> None:
    records = [message(SEGMENT / "01-identify.json"), message(RUDDER / "02-group.json"),
               track(messageId="zoë", event="Exporté")]
    text = jsonl(*records)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + text.encode("utf-16-be")
        path = tmp_path / "be.jsonl"
        path.write_bytes(data)
        sink, _ = read(path)
    else:
        sink, _ = read_text(tmp_path, text, encoding=encoding)
    expected, _ = read_text(tmp_path, text, name="plain.jsonl")
    assert sink.rejects == [] and sink.rows == expected.rows
    assert sink.rows["usage_events"][0]["event"] == "Exporté"


def test_windows_line_ends_keep_line_numbers(tmp_path: Path) -> None:
    text = jsonl(track(messageId="a"), {"type": "track"}, track(messageId="c"))
    sink, _ = read_text(tmp_path, text.replace("\n", "\r\n"))
    assert [r["event_id"] for r in sink.rows["usage_events"]] == ["a", "c"]
    assert [(r.line, r.field) for r in sink.rejects] == [(2, "messageId")]


@pytest.mark.parametrize("data", [b"hello", b"\xef\xbb\xbfid,type\n1,track\n", b'{"batch": [',
                                  b'{"type": "track"}\n\xff\xfe\n'])
def test_files_that_are_not_json_are_refused_whole(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    with pytest.raises(InputFileError, match=r"bad\.jsonl"):
        read(path)


def test_undecodable_text_refuses_the_file_and_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(jsonl(track(messageId="a")).encode() + b'{"event": "Export\xe9"}\n')
    with pytest.raises(InputFileError, match="line 2 is not valid utf-8"):
        read(path)
