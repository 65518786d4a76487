"""Property tests: whatever bytes or mutated events arrive, the Stripe adapter never crashes.

Any input either raises InputFileError (the whole file refused) or completes, and every record
is accounted for exactly once: rows written, one reject, or counted as ignored.
"""

from __future__ import annotations

import codecs
import copy
import gzip
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from successlink.errors import InputFileError
from successlink.ingest.records import CollectingSink, SourceFile
from successlink.ingest.stripe import StripeAdapter

DATA = Path(__file__).resolve().parent.parent / "data" / "stripe"
NOW = datetime(2026, 9, 1, tzinfo=UTC)
VALID: list[dict[str, Any]] = [orjson.loads(p.read_bytes())
                               for p in sorted(DATA.glob("*/*.json"))]
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class LineSink(CollectingSink):
    """A CollectingSink that also remembers which lines produced rows."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self.row_lines: Counter[int] = Counter()

    def row(self, table: str, values: Any, *, line: int) -> bool:
        self.row_lines[line] += 1
        return super().row(table, values, line=line)


def run(content: bytes, name: str = "input.jsonl") -> tuple[StripeAdapter, LineSink] | None:
    """Read `content`; None when the file as a whole was refused."""
    adapter, sink = StripeAdapter(), LineSink(NOW)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            adapter.read(SourceFile(path, NOW), sink)
        except InputFileError:
            return None
    assert adapter.records == adapter.mapped + adapter.rejected + sum(adapter.ignored.values())
    assert len(sink.rejects) == adapter.rejected
    assert sum(sink.row_lines.values()) >= adapter.mapped
    return adapter, sink


@SETTINGS
@given(st.binary(max_size=2048))
@example(b"")
@example(b"\x1f\x8b\x08\x00garbage")
@example(gzip.compress(b'{"object": "event"}\n')[:-4])
@example(codecs.BOM_UTF16_LE + b"{\x00")
@example(codecs.BOM_UTF8 + b"[")
@example(b'{"object": "list", "data": [1, {"object": "customer"}]}')
@example(b'{"object":"event","id":"e","type":"t","created":1648320000,"data":{"object":[]}}')
@example(b"[" * 2000)
def test_any_bytes_are_refused_whole_or_read_without_crashing(content: bytes) -> None:
    run(content)


json_leaf = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
             | st.floats(allow_nan=False, allow_infinity=False)
             | st.text(max_size=20) | st.sampled_from(["", "usd", "xyz", "cus_1", "paid", "month"])
             | st.just("x" * 5000))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON value (not the root)."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def mutate(record: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """Replace or delete a few values anywhere inside a valid record."""
    out = copy.deepcopy(record)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        choices = paths(out)
        if not choices:
            break
        path = data.draw(st.sampled_from(choices))
        parent = out
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_value)
    return out


@SETTINGS
@given(st.data())
def test_mutated_real_events_and_objects_never_crash_and_are_all_accounted(
        data: st.DataObject) -> None:
    originals = data.draw(st.lists(st.sampled_from(VALID), min_size=1, max_size=4))
    records = [mutate(r, data) for r in originals]
    content = b"".join(orjson.dumps(r) + b"\n" for r in records)
    result = run(content)
    assert result is not None  # well-formed JSON Lines are never refused whole
    adapter, sink = result
    # List responses count their elements; other lines count once and reject at most once.
    lists = {n for n, r in enumerate(records, 1) if r.get("object") in ("list", "search_result")
             and isinstance(r.get("data"), list)}
    assert adapter.records == sum(
        len(r["data"]) if n in lists else 1 for n, r in enumerate(records, 1))
    rejected_lines = Counter(r.line for r in sink.rejects)
    assert all(count == 1 for line, count in rejected_lines.items() if line not in lists)
    silent = [n for n in range(1, len(records) + 1) if n not in lists
              and not sink.row_lines[n] and not rejected_lines[n]]
    assert len(silent) <= sum(adapter.ignored.values())


@SETTINGS
@given(st.lists(st.sampled_from(VALID), min_size=1, max_size=6))
def test_valid_records_always_map_the_same_way_in_any_file_shape(
        records: list[dict[str, Any]]) -> None:
    as_lines = run(b"".join(orjson.dumps(r) + b"\n" for r in records))
    as_array = run(orjson.dumps(records), name="input.json")
    as_list = run(orjson.dumps({"object": "list", "data": records}), name="page.json")
    assert as_lines and as_array and as_list
    rows = [dict(result[1].rows) for result in (as_lines, as_array, as_list)]
    assert rows[0] == rows[1] == rows[2]
