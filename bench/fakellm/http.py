"""A minimal HTTP/1.1 server layer on asyncio streams: just what LLM SDKs send and expect.

Requests: a request line, headers, a body by Content-Length or chunked encoding; keep-alive.
Responses: fixed-length bodies, or chunked bodies written piece by piece (server-sent events).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

MAX_BODY = 16 * 1024 * 1024


class BadHTTPRequest(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection, or None when the client closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadHTTPRequest("connection closed inside the request head") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise BadHTTPRequest("request head too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError as exc:
        raise BadHTTPRequest(f"bad request line {lines[0]!r}") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    path, _, query = target.partition("?")
    return Request(method.upper(), path, query, headers, await _read_body(reader, headers))


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        raise BadHTTPRequest("request body too large")
    return await reader.readexactly(length) if length else b""


@dataclass
class Response:
    """Response head; the body is written by `send_body` or `ChunkedWriter`."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)

    def head(self) -> bytes:
        reason = HTTPStatus(self.status).phrase if self.status in HTTPStatus else "Unknown"
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        base = {"date": formatdate(usegmt=True), "server": "fakellm"}
        lines += [f"{k}: {v}" for k, v in {**base, **self.headers}.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def send_body(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    declared_length: int | None = None,
) -> None:
    """A fixed-length response. `declared_length` lets the fault injector lie about it."""
    head = Response(
        status,
        {
            "content-type": content_type,
            "content-length": str(len(body) if declared_length is None else declared_length),
            **(headers or {}),
        },
    ).head()
    writer.write(head + body)
    await writer.drain()


async def send_json(
    writer: asyncio.StreamWriter,
    status: int,
    payload: object,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    await send_body(writer, status, json.dumps(payload).encode(), headers=headers)


class ChunkedWriter:
    """A streamed response body in HTTP/1.1 chunked encoding (one chunk per write)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def start(self, status: int, headers: dict[str, str]) -> None:
        head = Response(status, {**headers, "transfer-encoding": "chunked"}).head()
        self._writer.write(head)
        await self._writer.drain()

    async def write(self, data: bytes) -> None:
        if data:
            self._writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await self._writer.drain()

    async def end(self) -> None:
        self._writer.write(b"0\r\n\r\n")
        await self._writer.drain()


def sse(data: str, event: str | None = None) -> bytes:
    """One server-sent event."""
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {data}\n\n".encode()
