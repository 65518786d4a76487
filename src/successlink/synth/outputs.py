"""Where a world goes: the vendors' real file formats, or canonical Parquet tables.

Both outputs receive the same chunks; `RealFiles` writes what Stripe, Segment, Zendesk,
Delighted and HubSpot export (plus three canonical CSVs no vendor owns: CS costs,
affiliates, acquisitions); `ParquetFiles` writes every canonical table, account resolved.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

import pyarrow as pa

from successlink.synth import canonical_accounts as ca
from successlink.synth import canonical_billing as cb
from successlink.synth import costs, crm, segment, stripe_events, surveys, zendesk
from successlink.synth.chunk import SEGMENT, Chunk, stream, usage_batches
from successlink.synth.world import Window
from successlink.synth.writers import CanonicalCsv, LineFiles, ParquetTables, SortedSpool

SEGMENT_LINES_PER_FILE = 1_000_000
Columns = dict[str, Any]


class Output(Protocol):
    """What the generator writes a world into."""

    def write(self, chunk: Chunk) -> None:
        """Write one chunk of accounts."""

    def close(self, pooled_costs: Columns, affiliates: Columns) -> dict[str, int]:
        """Finish; returns records per file (paths relative to the world folder)."""


def _shared(sink: CanonicalCsv | ParquetTables, chunk: Chunk, affiliate_ids: list[str]) -> None:
    """Tables no vendor owns: how accounts were acquired, and direct CS costs."""
    sink.write("acquisitions", ca.acquisitions(chunk.accounts, affiliate_ids))
    sink.write("cs_costs", costs.direct_columns(chunk.accounts, chunk.tickets))


class RealFiles:
    """The vendors' export formats.

    Stripe events, Zendesk tickets and survey answers are in time order across the whole
    world (merged from sorted runs on disk). Segment files, like an S3 export, are not: each
    chunk of accounts writes its identify, sign-up and group calls, then its track and page
    calls in time-sorted slices.
    """

    def __init__(self, root: Path, window: Window, seed: int, affiliate_ids: list[str]) -> None:
        self.root, self.window, self.seed, self.affiliate_ids = root, window, seed, affiliate_ids
        scratch = root / ".synth-tmp"
        self.stripe = SortedSpool(scratch / "stripe")
        self.tickets = SortedSpool(scratch / "tickets")
        self.users = SortedSpool(scratch / "users")
        self.answers = {kind: SortedSpool(scratch / kind) for kind in surveys.KINDS}
        self.segment = LineFiles(root / "segment", "events", SEGMENT_LINES_PER_FILE)
        self.canonical = CanonicalCsv(root / "canonical")
        self.organizations = _JsonList(root / "zendesk" / "organizations.json",
                                       "organizations")
        self.companies = _Csv(root / "hubspot" / "companies.csv", crm.COMPANY_HEADER)
        self.contacts = _Csv(root / "hubspot" / "contacts.csv", crm.CONTACT_HEADER)

    def write(self, chunk: Chunk) -> None:
        """Write one chunk of accounts."""
        accounts = chunk.accounts
        stripe_events.write_events(accounts, chunk.life, chunk.billing, self.window, self.seed,
                                   self.affiliate_ids, self.stripe.add)
        self._segment(chunk)
        for key, line in zendesk.ticket_lines(accounts, chunk.tickets):
            self.tickets.add(key, line)
        for key, line in zendesk.user_lines(accounts, chunk.tickets):
            self.users.add(key, line)
        self.organizations.extend(zendesk.organization_lines(accounts, chunk.organizations))
        for kind, answers in zip(surveys.KINDS, (chunk.nps, chunk.csat), strict=True):
            for key, cells in surveys.csv_rows(accounts, answers):
                self.answers[kind].add(key, _csv_line(cells))
        self.companies.rows(crm.company_rows(accounts, chunk.company_created, chunk.stage))
        self.contacts.rows(crm.contact_rows(accounts, chunk.contacts))
        _shared(self.canonical, chunk, self.affiliate_ids)

    def _segment(self, chunk: Chunk) -> None:
        rng = stream(self.seed, SEGMENT, chunk.number)
        signup, context = segment.signup_messages(chunk.accounts, self.affiliate_ids, rng)
        self.segment.write(segment.identify_lines(chunk.accounts, chunk.users, rng))
        self.segment.write(segment.event_lines(signup, context))
        self.segment.write(segment.group_lines(chunk.accounts, rng))
        for batch in usage_batches(chunk, self.seed):
            self.segment.write(segment.event_lines(segment.usage_messages(chunk.accounts,
                                                                          batch)))
            pa.default_memory_pool().release_unused()  # keep the peak to one batch

    def close(self, pooled_costs: Columns, affiliates: Columns) -> dict[str, int]:
        """Finish every file; records per file."""
        self.canonical.write("cs_costs", pooled_costs)
        self.canonical.write("affiliates", affiliates)
        counts = {"stripe/events.jsonl": _write_lines(self.root / "stripe" / "events.jsonl",
                                                      self.stripe.lines())}
        counts.update({f"segment/{name}": n for name, n in self.segment.close().items()})
        counts["zendesk/tickets.json"] = self._tickets()
        counts["zendesk/organizations.json"] = self.organizations.close()
        for kind, spool in self.answers.items():
            counts[f"surveys/{kind}.csv"] = _write_csv_lines(
                self.root / "surveys" / f"{kind}.csv", surveys.HEADER, spool.lines())
        counts["hubspot/companies.csv"] = self.companies.close()
        counts["hubspot/contacts.csv"] = self.contacts.close()
        counts.update(self.canonical.close())
        shutil.rmtree(self.root / ".synth-tmp", ignore_errors=True)
        return counts

    def _tickets(self) -> int:
        """The incremental export page: tickets by update time, then side-loaded users."""
        path = self.root / "zendesk" / "tickets.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with path.open("wb") as handle:
            handle.write(b'{"tickets":[\n')
            count = _join(handle, self.tickets.lines())
            handle.write(b'\n],"users":[\n')
            _join(handle, self.users.lines())
            end_time = self.window.horizon - 1
            handle.write(b'\n],"after_cursor":null,"before_cursor":null,"count":%d,'
                         b'"end_of_stream":true,"end_time":%d,"next_page":null}\n'
                         % (count, end_time))
        return count


class ParquetFiles:
    """Every canonical table as Parquet, accounts already resolved."""

    def __init__(self, root: Path, window: Window, seed: int, affiliate_ids: list[str]) -> None:
        self.seed, self.window, self.affiliate_ids = seed, window, affiliate_ids
        self.tables = ParquetTables(root / "canonical")

    def write(self, chunk: Chunk) -> None:
        """Write one chunk of accounts."""
        a, life, billing, seed = chunk.accounts, chunk.life, chunk.billing, self.seed
        write = self.tables.write
        write("accounts", ca.accounts_table(a, chunk.stage, chunk.company_created))
        write("account_identities", ca.identities(a, chunk.organizations, chunk.users))
        write("contacts", crm.contact_columns(a, chunk.contacts))
        write("subscriptions", cb.subscriptions(a, life, billing, self.window, seed))
        write("subscription_changes", cb.changes(a, life, seed))
        write("invoices", cb.invoices(a, billing, seed))
        write("payments", cb.payments(a, billing, seed))
        write("refunds", cb.returns(a, billing, billing.refunds, seed, dispute=False))
        write("disputes", cb.returns(a, billing, billing.disputes, seed, dispute=True))
        write("product_users", ca.product_users(a, chunk.users))
        write("support_tickets", zendesk.ticket_columns(a, chunk.tickets))
        for answers in (chunk.nps, chunk.csat):
            write("survey_responses", surveys.columns(a, answers))
        rng = stream(seed, SEGMENT, chunk.number)
        signup, _ = segment.signup_messages(a, self.affiliate_ids, rng)
        write("usage_events", ca.usage_events(signup))
        for batch in usage_batches(chunk, seed):
            write("usage_events", ca.usage_events(segment.usage_messages(a, batch)))
            pa.default_memory_pool().release_unused()
        _shared(self.tables, chunk, self.affiliate_ids)

    def close(self, pooled_costs: Columns, affiliates: Columns) -> dict[str, int]:
        """Finish every file; records per file."""
        self.tables.write("cs_costs", pooled_costs)
        self.tables.write("affiliates", affiliates)
        return self.tables.close()


class _Csv:
    """A CSV file written row by row across chunks."""

    def __init__(self, path: Path, header: tuple[str, ...]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(header)
        self.count = 0

    def rows(self, rows: Iterable[list[Any]]) -> None:
        """Append rows."""
        for row in rows:
            self.writer.writerow(row)
            self.count += 1

    def close(self) -> int:
        """Finish every file; records per file."""
        self.handle.close()
        return self.count


class _JsonList:
    """`{"<key>": [ ... ], "count": n, "next_page": null}` written object by object."""

    def __init__(self, path: Path, key: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle: IO[bytes] = path.open("wb")
        self.handle.write(b'{"%s":[\n' % key.encode())
        self.count = 0

    def extend(self, objects: list[bytes]) -> None:
        """Append serialised objects."""
        for obj in objects:
            self.handle.write((b",\n" if self.count else b"") + obj)
            self.count += 1

    def close(self) -> int:
        """Finish every file; records per file."""
        self.handle.write(b'\n],"count":%d,"next_page":null,"previous_page":null}\n'
                          % self.count)
        self.handle.close()
        return self.count


def _csv_line(cells: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue().encode()


def _join(handle: IO[bytes], lines: Iterator[bytes]) -> int:
    count = 0
    for line in lines:
        handle.write((b",\n" if count else b"") + line)
        count += 1
    return count


def _write_lines(path: Path, lines: Iterator[bytes]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("wb") as handle:
        for line in lines:
            handle.write(line + b"\n")
            count += 1
    return count


def _write_csv_lines(path: Path, header: tuple[str, ...], lines: Iterator[bytes]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("wb") as handle:
        handle.write(",".join(header).encode() + b"\n")
        for line in lines:
            handle.write(line + b"\n")
            count += 1
    return count
