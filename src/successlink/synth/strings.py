"""Strings built a whole column at a time: ids, UUIDs and ISO timestamps as Arrow arrays.

A world holds hundreds of millions of usage events; formatting each id or timestamp with
Python would take hours. Fixed-width strings are laid out as a byte matrix in numpy and
handed to Arrow as one buffer, which is about a hundred times faster.

Ids are deterministic: a Stripe-style id is a keyed bijection (SplitMix64's finaliser) of a
number that is unique for its kind, written in base 62, so distinct numbers never collide.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                        dtype=np.uint8)
_BASE62_TEXT = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_ZERO = 48
_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def mix64(values: npt.NDArray[np.integer], salt: int) -> npt.NDArray[np.uint64]:
    """A bijection of 64-bit integers keyed by `salt`: distinct inputs, distinct outputs."""
    z = values.astype(np.uint64) + np.uint64((salt * _GOLDEN) & _MASK)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def mix64_one(value: int, salt: int) -> int:
    """`mix64` of one Python integer (the same bijection, without numpy)."""
    z = (value + salt * _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def stripe_id(prefix: str, number: int, salt: int) -> str:
    """One Stripe-style id, equal to `stripe_ids(prefix, [number], salt)[0]`."""
    value = mix64_one(number, salt_of(prefix, salt))
    chars = []
    for _ in range(11):
        value, digit = divmod(value, 62)
        chars.append(_BASE62_TEXT[digit])
    return f"{prefix}_{''.join(reversed(chars))}"


def salt_of(*parts: object) -> int:
    """A stable 63-bit salt from text parts (Python's hash() is randomised per process)."""
    value = 1469598103934665603
    for byte in "|".join(map(str, parts)).encode():
        value = ((value ^ byte) * 1099511628211) & _MASK
    return value >> 1


def to_arrow(matrix: U8) -> pa.StringArray:
    """Rows of an (n, width) byte matrix as an Arrow string array, without copying per row."""
    rows, width = matrix.shape
    offsets = np.arange(rows + 1, dtype=np.int64) * width
    data = np.ascontiguousarray(matrix).reshape(-1)
    return pa.LargeStringArray.from_buffers(
        rows, pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())


def literal(text: str, rows: int) -> U8:
    """A constant as an (rows, len) byte matrix, to concatenate with other columns."""
    return np.broadcast_to(np.frombuffer(text.encode(), dtype=np.uint8), (rows, len(text)))


def digits(numbers: npt.NDArray[np.integer], width: int) -> U8:
    """Zero-padded decimal digits of non-negative integers, (n, width)."""
    values = numbers.astype(np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + _ZERO).astype(np.uint8)


def base62(values: npt.NDArray[np.uint64], width: int = 11) -> U8:
    """Base-62 digits of unsigned 64-bit integers (11 digits hold any of them)."""
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values.copy()
    for column in range(width - 1, -1, -1):
        out[:, column] = _BASE62[(rest % np.uint64(62)).astype(np.intp)]
        rest //= np.uint64(62)
    return out


def join(*parts: U8) -> U8:
    """Byte matrices side by side."""
    return np.concatenate(parts, axis=1)


def numbered(prefix: str, numbers: npt.NDArray[np.integer], width: int) -> pa.StringArray:
    """'acct_0000042'-style ids: a prefix and a zero-padded number."""
    return to_arrow(join(literal(prefix, len(numbers)), digits(numbers, width)))


def stripe_ids(prefix: str, numbers: npt.NDArray[np.integer], salt: int) -> pa.StringArray:
    """Stripe-style ids ('cus_3kF9...') for numbers unique within one kind of object."""
    body = base62(mix64(numbers, salt_of(prefix, salt)))
    return to_arrow(join(literal(prefix + "_", len(numbers)), body))


def uuid4(rng: np.random.Generator, rows: int) -> pa.StringArray:
    """Random (version 4) UUID strings drawn from `rng`, e.g. Segment message ids."""
    raw = rng.integers(0, 256, size=(rows, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((rows, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    dash = literal("-", rows)
    return to_arrow(join(hexed[:, :8], dash, hexed[:, 8:12], dash, hexed[:, 12:16], dash,
                         hexed[:, 16:20], dash, hexed[:, 20:]))


def civil(days: I64) -> tuple[I64, I64, I64]:
    """(year, month, day) of days since 1970-01-01 (H. Hinnant's civil_from_days)."""
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


@functools.cache
def _time_table() -> tuple[U8, U8]:
    """'HH:MM:SS' for every second of a day and 'mmm' for every millisecond (built once)."""
    second = np.arange(86400, dtype=np.int64)
    hour, rest = np.divmod(second, 3600)
    minute, sec = np.divmod(rest, 60)
    colon = literal(":", 86400)
    return (join(digits(hour, 2), colon, digits(minute, 2), colon, digits(sec, 2)),
            digits(np.arange(1000), 3))


def _dates(days: I64, sep: str) -> U8:
    """'YYYY-MM-DD' + sep for each day, formatted once per distinct day."""
    unique, inverse = np.unique(days, return_inverse=True)
    year, month, day = civil(unique)
    n = len(unique)
    dash = literal("-", n)
    table = join(digits(year, 4), dash, digits(month, 2), dash, digits(day, 2),
                 literal(sep, n))
    return table[inverse.reshape(-1)]


def _clock(ms: I64, *, date_time_sep: str, millis: bool, zone: str) -> U8:
    seconds, milli = np.divmod(ms, 1000)
    days, second_of_day = np.divmod(seconds, 86400)
    times, thousandths = _time_table()
    n = len(ms)
    parts = [_dates(days, date_time_sep), times[second_of_day]]
    if millis:
        parts += [literal(".", n), thousandths[milli]]
    if zone:
        parts.append(literal(zone, n))
    return join(*parts)


def iso_millis(ms: I64) -> pa.StringArray:
    """Segment's timestamps: '2024-03-01T12:00:00.000+00:00' from Unix milliseconds."""
    return to_arrow(_clock(ms, date_time_sep="T", millis=True, zone="+00:00"))


def iso_z(seconds: I64) -> pa.StringArray:
    """'2024-03-01T12:00:00Z' from Unix seconds (Zendesk, canonical CSVs)."""
    return to_arrow(_clock(seconds * 1000, date_time_sep="T", millis=False, zone="Z"))


def local_minutes(seconds: I64) -> pa.StringArray:
    """HubSpot export dates, '2024-03-01 12:00', from Unix seconds."""
    return to_arrow(_clock(seconds * 1000, date_time_sep=" ", millis=False, zone="")[:, :16])


def delighted_time(seconds: I64) -> pa.StringArray:
    """Delighted export dates, '2024-03-01 12:00:00 +0000', from Unix seconds."""
    return to_arrow(_clock(seconds * 1000, date_time_sep=" ", millis=False, zone=" +0000"))


def iso_dates(seconds: I64) -> pa.StringArray:
    """'2024-03-01' from Unix seconds."""
    return to_arrow(_clock(seconds * 1000, date_time_sep="T", millis=False, zone="")[:, :10])


def concat(*parts: pa.Array | str) -> pa.StringArray:
    """Element-wise concatenation of string arrays and constants."""
    return pc.binary_join_element_wise(*parts, "")


def as_text(values: npt.NDArray[np.integer]) -> pa.StringArray:
    """Integers as decimal text."""
    return pa.array(values.astype(np.int64)).cast(pa.string())


def pick(choices: tuple[str, ...] | list[str], index: npt.NDArray[np.integer]) -> pa.Array:
    """choices[index] for every index, as an Arrow string array."""
    return pa.array(list(choices), pa.string()).take(pa.array(index.astype(np.int64)))
