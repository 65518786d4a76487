"""The Stripe adapter: webhook events, list responses and exported objects -> canonical rows.

A file holds one JSON document, a JSON array or JSON Lines; each record is an event
(`object: "event"`), a list response (`{"object": "list", "data": [...]}`, each element read
on its own) or a bare object. An event's `data.object` is mapped like a bare object, observed
at the event's `created`; a bare object's version is the latest past timestamp it carries, so
reading the same export twice gives the same rows.

Every element is counted once: mapped (rows written), rejected (exactly one reject, naming the
dotted source path such as `data.object.amount_paid`) or ignored (object and event types
SuccessLink has no table for, counted by kind in `ignored`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO, Any

from successlink.errors import InputFileError
from successlink.ingest.readers import BadRecord, iter_json_records, open_binary
from successlink.ingest.records import RowSink, SourceFile
from successlink.ingest.stripe.context import Context, Row
from successlink.ingest.stripe.customers import map_checkout_session, map_customer
from successlink.ingest.stripe.fields import Node, Skip, SourceFieldError, describe
from successlink.ingest.stripe.invoices import map_invoice, map_invoice_payment
from successlink.ingest.stripe.payments import map_charge, map_dispute, map_refund
from successlink.ingest.stripe.subscriptions import map_subscription
from successlink.warehouse.validate import FUTURE_TOLERANCE

Mapper = Callable[[Node, Context], list[Row]]
MAPPERS: dict[str, Mapper] = {
    "customer": map_customer, "subscription": map_subscription, "invoice": map_invoice,
    "charge": map_charge, "refund": map_refund, "dispute": map_dispute,
    "checkout.session": map_checkout_session, "invoice_payment": map_invoice_payment,
}
LIST_OBJECTS = frozenset({"list", "search_result"})
# Events about objects we map that still carry no state worth storing.
IGNORED_EVENT_TYPES = frozenset({"invoice.upcoming"})  # a preview: no id, never billed
WHOLE_RECORD = "(record)"
_SHAPES = "expected a Stripe event, list or object (customer, subscription, invoice, ...)"


class StripeAdapter:
    """Reads Stripe JSON exports and webhook events into the billing tables.

    After `read`, `records`, `mapped`, `rejected` and `ignored` (a Counter keyed by event or
    object type) describe that file: records == mapped + rejected + sum(ignored.values()).
    """

    name = "stripe"
    summary = "Stripe webhook events, API list responses and exported objects (JSON / JSONL)"
    tables = ("accounts", "account_identities", "acquisitions", "subscriptions",
              "subscription_changes", "invoices", "payments", "refunds", "disputes")

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.records = 0
        self.mapped = 0
        self.rejected = 0
        self.ignored: Counter[str] = Counter()

    def read(self, source: SourceFile, sink: RowSink) -> None:
        """Map every record of `source` into `sink`; InputFileError if it cannot be read."""
        self._reset()  # the counts describe the latest file
        base = Context(options=source.options, not_after=source.now + FUTURE_TOLERANCE)
        with open_binary(source.path, source.on_progress) as stream:
            for line, record in _records(stream, source.display):
                self._record(line, record, base, sink)

    def _record(self, line: int, record: Any, base: Context, sink: RowSink) -> None:
        if isinstance(record, BadRecord):
            self.records += 1
            self._reject(sink, line, SourceFieldError(WHOLE_RECORD, record.text, record.reason))
            return
        if isinstance(record, dict) and _is_list(record.get("object")):
            elements = record.get("data")
            if not isinstance(elements, list):
                self.records += 1
                reason = f"is {describe(elements)}, expected the array of a Stripe list"
                self._reject(sink, line, SourceFieldError("data", elements, reason))
                return
            for index, element in enumerate(elements):
                self._element(line, element, f"data[{index}].", base, sink)
            return
        self._element(line, record, "", base, sink)

    def _element(self, line: int, value: Any, prefix: str, base: Context,
                 sink: RowSink) -> None:
        self.records += 1
        try:
            rows = _map(value, prefix, base)
        except SourceFieldError as bad:
            self._reject(sink, line, bad)
            return
        except Skip as skip:
            self.ignored[skip.kind] += 1
            return
        for table, values in rows:
            if not sink.row(table, values, line=line):
                self.rejected += 1  # the sink recorded the reject; later rows would dangle
                return
        self.mapped += 1

    def _reject(self, sink: RowSink, line: int, bad: SourceFieldError) -> None:
        self.rejected += 1
        sink.reject(line, bad.path, bad.value, bad.reason)


def _records(stream: IO[bytes], display: str) -> Iterator[tuple[int, Any]]:
    """The file's records; a damaged gzip stream refuses the whole file.

    Only reading is guarded: an OSError from the sink (the warehouse) is not the file's fault.
    """
    try:
        yield from iter_json_records(stream, display)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(f"cannot read the file: {exc}", where=display,
                             hint="If it is gzip-compressed, check it is whole (gzip -t).") from exc


def _is_list(kind: object) -> bool:
    return isinstance(kind, str) and kind in LIST_OBJECTS


def _map(value: Any, prefix: str, base: Context) -> list[Row]:
    """The rows of one record or list element (SourceFieldError / Skip when there are none)."""
    if not isinstance(value, dict):
        raise SourceFieldError(prefix.rstrip(".") or WHOLE_RECORD, value,
                       f"is {describe(value)}, {_SHAPES}")
    node = Node(value, prefix)
    kind = node.text("object")
    if kind is None:
        raise node.bad("object", f"is missing: {_SHAPES}")
    if kind == "event":
        return _map_event(node, base)
    if kind in LIST_OBJECTS:
        raise node.bad("object", "is a list inside a list: write each list as its own record")
    mapper = MAPPERS.get(kind)
    if mapper is None:
        raise Skip(kind)
    return mapper(node, base)


def _map_event(event: Node, base: Context) -> list[Row]:
    """An event's object, observed at the event's `created`, with its previous attributes."""
    event_id = event.text("id", required=True)
    event_type = event.text("type", required=True)
    created = event.instant("created", required=True, not_after=base.not_after)
    data = event.child("data", required=True)
    assert data is not None and event_type is not None
    obj = data.child("object", required=True)
    assert obj is not None
    kind = obj.text("object", required=True)
    mapper = MAPPERS.get(kind or "")
    if mapper is None or event_type in IGNORED_EVENT_TYPES:
        raise Skip(event_type)
    ctx = Context(base.options, base.not_after, created, event_id, event_type,
                  data.child("previous_attributes"))
    return mapper(obj, ctx)
