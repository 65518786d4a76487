"""What a mapper knows about the record around the Stripe object it maps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from successlink.ingest.records import IngestOptions
from successlink.ingest.stripe.fields import Node, SourceFieldError, latest

SOURCE = "stripe"
# (canonical table, column values) in the order they are written.
Row = tuple[str, dict[str, Any]]


@dataclass(slots=True)
class Context:
    """The event around an object (if any), the options, and the latest plausible instant.

    Not frozen only because one is built per event and frozen dataclasses are slow to build;
    mappers never change it.

    `observed_at` is the event's `created` (None for a bare exported object, whose version is
    then the latest timestamp found on the object itself). `not_after` is "now" plus the clock
    skew the warehouse tolerates: instants after it have not happened yet.
    """

    options: IngestOptions
    not_after: datetime
    observed_at: datetime | None = None
    event_id: str | None = None
    event_type: str | None = None
    previous: Node | None = None  # data.previous_attributes of an *.updated event

    def version(self, obj: Node, *candidates: datetime | None) -> datetime:
        """The observation time of `obj`: the event time, else its latest past timestamp."""
        if self.observed_at is not None:
            return self.observed_at
        found = latest(*candidates, not_after=self.not_after)
        if found is None:
            raise SourceFieldError(obj.path("created"), obj.data.get("created"),
                           "is missing: cannot tell when this state was observed")
        return found

    def explicit_account(self, obj: Node) -> str | None:
        """The SuccessLink account id named in the object's metadata, if any."""
        metadata = obj.child("metadata")
        if metadata is None:
            return None
        for key in self.options.account_metadata_keys:
            value = metadata.text(key)
            if value is not None and value.strip():
                return value.strip()
        return None
