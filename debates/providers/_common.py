"""Helpers the SDK adapters share: Retry-After parsing, transport-error mapping, deadlines and
per-event-loop client caching. Internal to the providers package."""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2
import pydantic

from debates.providers.base import (
    ProviderError,
    ProviderMalformedResponseError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)


def parse_retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date).

    Header lookup is case-insensitive when `headers` is an httpx `Headers`; plain dicts should
    use lowercase keys. Unparseable or negative values count as "not said" (None).
    """
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    raw = headers.get("retry-after")
    if not raw:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
        return max(seconds, 0.0)
    return seconds if seconds >= 0 else None


def map_common_error(exc: BaseException, provider: str, model: str) -> ProviderError | None:
    """Map failures below the SDK (transport, decoding) that any adapter can meet, else None."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError | httpx2.TimeoutException):
        return ProviderTimeoutError(provider, model, "the request timed out")
    if isinstance(exc, httpx2.TransportError):
        return ProviderUnavailableError(provider, model, f"connection failed: {type(exc).__name__}")
    if isinstance(exc, json.JSONDecodeError | pydantic.ValidationError | UnicodeDecodeError):
        return ProviderMalformedResponseError(
            provider, model, f"unparseable response: {type(exc).__name__}"
        )
    return None


def known(value: int | None, fallback: int) -> int:
    """A reported token count, else our estimate (some compatible servers report no usage)."""
    return value if value is not None else fallback


class Deadline:
    """A whole-call time limit that streaming checks between chunks.

    `asyncio.timeout` cannot wrap an async generator: the deadline would fire in the consumer's
    code, between our yields. The SDK's own timeout only bounds each network read, so a stream
    that trickles forever would never end; checking the clock per chunk closes that gap.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() > self._ends


class Stopwatch:
    def __init__(self) -> None:
        self._start = time.perf_counter()

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self._start) * 1000)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context, shared by every SDK client (httpx's default: the system's
    trust store, SSL_CERT_FILE / SSL_CERT_DIR when set).

    Each SDK builds its own otherwise, loading the CA bundle again: ~30 ms of CPU per client,
    on the event loop that asked for it. A context only holds settings and certificates, so one
    serves every thread and loop.
    """
    return httpx2.create_ssl_context()


class PerLoop[T]:
    """One SDK client per running event loop.

    SDK clients hold an httpx connection pool whose sockets belong to the loop that opened them;
    a worker that runs each debate in its own `asyncio.run` would otherwise reuse dead sockets.
    Within one loop the client (and its pool) is shared by every call.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._factory()
            self._clients[loop] = client
        return client

    async def aclose(self, close: Callable[[T], Awaitable[None]]) -> None:
        """Close and forget the running loop's client, if it made one.

        Call before the loop ends (e.g. at the end of the worker's `asyncio.run`): a pool left
        open is only reclaimed by the garbage collector, with ResourceWarnings.
        """
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await close(client)
