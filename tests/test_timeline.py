from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from successlink.timeline import TimestampError, end_of_day, parse_instant


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-01T12:00:00.000+00:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("2024-03-01T12:00:00Z", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("2024-03-01T14:00:00+02:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("2024-03-01 12:00:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("1709294400", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    (1709294400, datetime(2024, 3, 1, 12, tzinfo=UTC)),
])
def test_instants_are_read_as_utc(text, expected):
    assert parse_instant(text) == expected


def test_aware_datetimes_are_converted_and_dates_start_at_midnight():
    est = datetime(2024, 3, 1, 7, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_instant(est) == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert parse_instant(date(2024, 3, 1)) == datetime(2024, 3, 1, tzinfo=UTC)
    assert end_of_day(date(2024, 2, 29)) == datetime(2024, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["", "yesterday", "2024-13-01", True, None, [1],
                                 "0001-01-01T00:00:00+01:00"])
def test_bad_instants_raise(bad):
    with pytest.raises(TimestampError):
        parse_instant(bad)
