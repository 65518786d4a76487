"""Stand-ins for granian's RSGI scope and HTTP protocol objects, with the same methods the
service calls (granian/_granian.pyi), recording what the application answered."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


class Headers:
    """RSGIHeaders: names lower-case, repeats kept in order, `get` gives the first."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)

    def get(self, key: str, default: Any = None) -> Any:
        return next((v for k, v in self.pairs if k == key), default)


@dataclass
class Scope:
    path: str
    method: str = "GET"
    query_string: str = ""
    pairs: list[tuple[str, str]] = field(default_factory=list)
    proto: str = "http"
    http_version: str = "1.1"
    server: str = "127.0.0.1:8000"
    client: str = "203.0.113.9:51000"
    scheme: str = "http"
    authority: str | None = None

    @property
    def headers(self) -> Headers:
        return Headers(self.pairs)


class Stream:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def send_bytes(self, data: bytes) -> None:
        self.chunks.append(data)

    async def send_str(self, data: str) -> None:
        self.chunks.append(data.encode())


class Protocol:
    """One request's RSGIHTTPProtocol: the body to hand over, and the answer given."""

    def __init__(self, body: bytes = b"") -> None:
        self.body = body
        self.answers: list[tuple[str, int, list[tuple[str, str]], bytes | None]] = []
        self.stream: Stream | None = None
        self.disconnected = asyncio.Event()
        self.closed: int | None = None

    async def __call__(self) -> bytes:
        return self.body

    async def client_disconnect(self) -> None:
        await self.disconnected.wait()

    def response_empty(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.answers.append(("empty", status, headers, None))

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.answers.append(("bytes", status, headers, body))

    def response_str(self, status: int, headers: list[tuple[str, str]], body: str) -> None:
        self.answers.append(("str", status, headers, body.encode()))

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Stream:
        self.answers.append(("stream", status, headers, None))
        self.stream = Stream()
        return self.stream

    def close(self, status: int | None) -> tuple[int, bool]:  # the websocket protocol's
        self.closed = status
        return status or 1000, True

    @property
    def only(self) -> tuple[str, int, dict[str, list[str]], bytes | None]:
        """The single answer, headers grouped by name."""
        assert len(self.answers) == 1, self.answers
        kind, status, headers, body = self.answers[0]
        grouped: dict[str, list[str]] = {}
        for name, value in headers:
            grouped.setdefault(name, []).append(value)
        return kind, status, grouped, body
