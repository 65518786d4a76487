"""Calendar arithmetic, column-wise strings, ids and writers, checked by hand and by property."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from successlink.synth import generate_world
from successlink.synth.generate import default_affiliates
from successlink.synth.lifecycle import hazard
from successlink.synth.periods import add_months, epoch_seconds
from successlink.synth.strings import (
    iso_millis,
    iso_z,
    local_minutes,
    numbered,
    stripe_id,
    stripe_ids,
    uuid4,
)
from successlink.synth.writers import LineFiles, SortedSpool, write_array_lines

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
INSTANTS = st.integers(min_value=epoch_seconds(date(1990, 1, 1)) * 1000,
                       max_value=epoch_seconds(date(2099, 12, 31)) * 1000)


def _seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_billing_anchors_clamp_to_short_months_and_come_back() -> None:
    jan31 = np.array([_seconds("2024-01-31T05:00:07")])
    ends = [datetime.fromtimestamp(int(add_months(jan31, k)[0]), UTC) for k in range(4)]
    assert [e.date().isoformat() for e in ends] == ["2024-01-31", "2024-02-29", "2024-03-31",
                                                    "2024-04-30"]
    assert {e.time().isoformat() for e in ends} == {"05:00:07"}


@given(st.integers(min_value=epoch_seconds(date(1990, 1, 1)),
                   max_value=epoch_seconds(date(2090, 1, 1))), st.integers(0, 130))
def test_add_months_matches_the_calendar(seconds: int, months: int) -> None:
    moment = datetime.fromtimestamp(seconds, UTC)
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    expected = moment.replace(year=year, month=month, day=day)
    assert int(add_months(np.array([seconds]), months)[0]) == int(expected.timestamp())


@given(INSTANTS)
def test_iso_strings_match_the_standard_library(ms: int) -> None:
    moment = datetime.fromtimestamp(ms / 1000, UTC).replace(microsecond=(ms % 1000) * 1000)
    assert iso_millis(np.array([ms])).to_pylist() == [
        moment.isoformat(timespec="milliseconds")]
    assert iso_z(np.array([ms // 1000])).to_pylist() == [
        moment.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert local_minutes(np.array([ms // 1000])).to_pylist() == [
        moment.strftime("%Y-%m-%d %H:%M")]


@given(st.lists(st.integers(0, 2**62), min_size=1, max_size=20, unique=True),
       st.integers(0, 2**31))
def test_stripe_ids_are_distinct_for_distinct_numbers(numbers: list[int], seed: int) -> None:
    ids = stripe_ids("cus", np.array(numbers, dtype=np.int64), seed).to_pylist()
    assert len(set(ids)) == len(numbers)
    assert ids == [stripe_id("cus", n, seed) for n in numbers]
    assert all(re.fullmatch(r"cus_[0-9A-Za-z]{11}", i) for i in ids)


def test_uuids_and_numbered_ids() -> None:
    ids = uuid4(np.random.default_rng(1), 1000).to_pylist()
    assert all(UUID4.match(i) for i in ids) and len(set(ids)) == 1000
    assert numbered("acct_", np.array([0, 42, 9_999_999]), 7).to_pylist() == [
        "acct_0000000", "acct_0000042", "acct_9999999"]


def test_sorted_spool_orders_by_key_across_spills(tmp_path: Path) -> None:
    spool = SortedSpool(tmp_path / "spool", budget_bytes=10)
    for key, line in [(b"3", b"c"), (b"1", b"a1"), (b"2", b"b"), (b"1", b"a2"), (b"0", b"z")]:
        spool.add(key, line)
    assert list(spool.lines()) == [b"z", b"a1", b"a2", b"b", b"c"]
    assert not (tmp_path / "spool").exists()


def test_line_files_split_at_the_line_limit(tmp_path: Path) -> None:
    files = LineFiles(tmp_path, "events", 3)
    files.write(pa.array(["a", "b"]))
    files.write(pa.array(["c", "d", "e", "f", "g"]).slice(0, 4))
    assert files.close() == {"events-00000.jsonl": 3, "events-00001.jsonl": 3}
    assert (tmp_path / "events-00001.jsonl").read_text(encoding="utf-8") == "d\ne\nf\n"


def test_array_lines_are_written_from_sliced_arrays(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    with path.open("wb") as handle:
        write_array_lines(handle, pa.array(["x", "yy", "zzz"]).slice(1))
    assert path.read_bytes() == b"yy\nzzz\n"


def test_hazard_falls_with_quality_health_and_plan_size() -> None:
    base = hazard(np.array([0.0]), np.array([0.0]), np.array([1]))[0]
    assert base == pytest.approx(0.03)
    assert hazard(np.array([1.0]), np.array([0.0]), np.array([1]))[0] == pytest.approx(
        0.03 * np.exp(-0.6))
    assert hazard(np.array([0.0]), np.array([1.0]), np.array([1]))[0] < base
    assert hazard(np.array([0.0]), np.array([0.0]), np.array([3]))[0] < base
    assert hazard(np.array([-9.0]), np.array([-9.0]), np.array([0]))[0] == 0.9


def test_default_affiliate_count_is_one_percent_within_bounds() -> None:
    assert [default_affiliates(n) for n in (300, 20_000, 1_000_000, 10_000_000)] == [
        50, 200, 5_000, 5_000]


@pytest.mark.parametrize(("change", "message"), [
    ({"customers": 0}, "at least one account"),
    ({"start": date(2025, 7, 1)}, "not before end"),
    ({"formats": "csv"}, "use 'real' or 'parquet'"),
    ({"events_per_account_month": -1.0}, "negative"),
])
def test_bad_arguments_are_refused_with_a_reason(tmp_path: Path, change: dict[str, object],
                                                 message: str) -> None:
    arguments: dict[str, object] = {"customers": 10, "end": date(2025, 6, 30),
                                    "start": date(2025, 1, 1), "formats": "parquet"}
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        generate_world(tmp_path, **arguments)  # type: ignore[arg-type]


def test_default_window_is_two_years_before_end(tmp_path: Path) -> None:
    summary = generate_world(tmp_path, customers=60, end=date(2025, 6, 30),
                             events_per_account_month=0.0, formats="parquet")
    assert summary.start == date(2025, 6, 30) - timedelta(days=730)
    assert summary.affiliates == 50
    assert "60 accounts" in str(summary)
