"""The `segment` source: one file of Segment-spec messages into canonical rows.

A file holds messages one per line (a warehouse or S3 export), batch bodies
(`{"batch": [...]}` as Segment and RudderStack post to /v1/batch and PostHog to /batch/),
one per line or as a whole document, a JSON array of messages, or a captured request
(`{"_captured_request": ..., "body": ...}`). Every message is numbered by the line its record
starts on; a rejected batch element also says which element it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from successlink.ingest.readers import BadRecord, open_binary
from successlink.ingest.records import RowSink, SourceFile
from successlink.ingest.segment.jsonlines import iter_records
from successlink.ingest.segment.messages import NO_LINKS, BatchTime, MappingOptions, Output
from successlink.ingest.segment.posthog import posthog_rows
from successlink.ingest.segment.spec import EVENT_TYPES, SEGMENT_TYPES, event_values
from successlink.warehouse.validate import FieldError

_STORED, _REJECTED, _IGNORED = 0, 1, 2
_EXPECTED = ("a Segment or RudderStack message has a type (track, page, screen, identify, "
             "group or alias); a PostHog event has event and distinct_id")
_NOT_A_MESSAGE = ("is not a JSON object (expected a Segment, RudderStack or PostHog message "
                  "or a batch body)")


class SegmentAdapter:
    """Reads Segment, RudderStack and PostHog messages into usage events, users and accounts.

    After `read`, `counts` says what the file held: every message (`messages`) ends as
    exactly one of `stored` (its main row was accepted), `rejected` (one reject) or
    `ignored` (alias calls, anonymous identifies, PostHog groups of another type; detailed as
    `ignored:<kind>`). Identity links a stored message states are counted as `links`, and
    any the sink refused as `links_rejected` (each with its own reject).

    `posthog_group_type` is the PostHog group type whose keys are account ids
    (`properties.$groups.<type>` on events, `$group_type` of `$groupidentify`).
    """

    name = "segment"
    summary = ("Segment-spec product usage from Segment, RudderStack and PostHog (JSON Lines, "
               "batch bodies, JSON arrays)")
    tables = ("usage_events", "product_users", "accounts", "account_identities")

    def __init__(self, *, posthog_group_type: str = "company") -> None:
        self.posthog_group_type = posthog_group_type
        self.counts: Counter[str] = Counter()
        self._options = MappingOptions(posthog_group_type=posthog_group_type)
        self._tally = [0, 0, 0]

    def read(self, source: SourceFile, sink: RowSink) -> None:
        """Read `source` into `sink`; InputFileError if the file is not JSON at all."""
        self.counts = Counter()
        self._tally = [0, 0, 0]
        self._options = MappingOptions(tuple(source.options.account_metadata_keys),
                                       self.posthog_group_type)
        try:
            with open_binary(source.path, source.on_progress) as stream:
                self._read_records(iter_records(stream, source.display), sink)
        finally:
            stored, rejected, ignored = self._tally
            self.counts.update(messages=stored + rejected + ignored, stored=stored,
                               rejected=rejected, ignored=ignored)

    def _read_records(self, records: Iterator[tuple[int, Any]], sink: RowSink) -> None:
        """Every record; one track, page or screen call per line goes straight to its row.

        That case is nearly every line of a real export, so it is inlined here: a method
        call per event would cost a tenth of the adapter's time.
        """
        row, general, events, to_values = sink.row, self._record, EVENT_TYPES, event_values
        stored = rejected = 0
        try:
            for line, record in records:
                kind = record.get("type") if record.__class__ is dict else None
                if kind in events:
                    try:
                        values = to_values(record, kind, None)
                    except FieldError:
                        # Says why, as for any other message. Old PostHog SDKs sent a type
                        # too, but never a messageId, so their events always end up here.
                        general(record, line, sink)
                        continue
                    if row("usage_events", values, line=line):
                        stored += 1
                    else:
                        rejected += 1
                else:
                    general(record, line, sink)
        finally:
            self._tally[_STORED] += stored
            self._tally[_REJECTED] += rejected

    def _map(self, message: dict[str, Any], sent_at: BatchTime) -> Output:
        if "distinct_id" in message or ("uuid" in message and "type" not in message):
            return posthog_rows(message, sent_at, self._options)
        kind = message.get("type")
        mapper = SEGMENT_TYPES.get(kind) if kind.__class__ is str else None
        if mapper is None:
            reason = f"is missing: {_EXPECTED}" if kind is None else (
                f"is not a Segment message type: {_EXPECTED}")
            raise FieldError("type", kind, reason)
        return mapper(message, sent_at, self._options)

    def _message(self, message: dict[str, Any], line: int, sent_at: BatchTime, element: int,
                 of: int, sink: RowSink) -> None:
        """Map one message and write its rows; `element` > 0 is its place in a batch."""
        kind = message.get("type")
        try:
            # The bulk of any file: straight to its row (old PostHog SDKs also sent a type).
            if kind in EVENT_TYPES and "distinct_id" not in message:
                output: Output = ("usage_events", event_values(message, kind, sent_at), NO_LINKS)
            else:
                output = self._map(message, sent_at)
        except FieldError as err:
            self._reject(line, err.field, err.value, err.reason, element, of, sink)
            return
        if output is None:
            self._tally[_IGNORED] += 1
            self.counts[f"ignored:{message.get('type') or message.get('event')}"] += 1
            return
        table, values, links = output
        if not sink.row(table, values, line=line):
            self._tally[_REJECTED] += 1
            return
        self._tally[_STORED] += 1
        for link in links:
            self.counts["links"] += 1
            if not sink.row("account_identities", link, line=line):
                self.counts["links_rejected"] += 1

    def _reject(self, line: int, field: str, value: object, reason: str, element: int,
                of: int, sink: RowSink) -> None:
        if element:
            reason = f"{reason} (batch element {element} of {of})"
        sink.reject(line, field, value, reason)
        self._tally[_REJECTED] += 1

    def _record(self, record: object, line: int, sink: RowSink) -> None:
        """A record that is not a plain message: a batch, a captured request, or junk."""
        if isinstance(record, dict) and "_captured_request" in record and "body" in record:
            record = record["body"]  # read the request's body as the record (once: no nesting)
        if isinstance(record, BadRecord):
            self._reject(line, "record", record.text, record.reason, 0, 0, sink)
        elif isinstance(record, list):
            self._batch(record, None, line, sink)
        elif not isinstance(record, dict):
            self._reject(line, "record", record, _NOT_A_MESSAGE, 0, 0, sink)
        elif "batch" in record:
            self._batch_body(record, line, sink)
        else:
            self._message(record, line, None, 0, 0, sink)

    def _batch_body(self, body: dict[str, Any], line: int, sink: RowSink) -> None:
        messages = body["batch"]
        if not isinstance(messages, list):
            self._reject(line, "batch", messages, "is not a list of messages", 0, 0, sink)
            return
        sent_at: BatchTime = None
        for key in ("sentAt", "sent_at"):  # Segment and RudderStack; PostHog
            if body.get(key) is not None:
                sent_at = (key, body[key])
                break
        self._batch(messages, sent_at, line, sink)

    def _batch(self, messages: list[Any], sent_at: BatchTime, line: int,
               sink: RowSink) -> None:
        of = len(messages)
        for element, message in enumerate(messages, start=1):
            if isinstance(message, dict):
                self._message(message, line, sent_at, element, of, sink)
            else:
                self._reject(line, "record", message, _NOT_A_MESSAGE, element, of, sink)
