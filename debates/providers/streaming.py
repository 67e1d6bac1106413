"""Time limits of a stream between its events: a dead stream is found in seconds.

A call's own timeout (`CompletionRequest.timeout_s`, LLM_TIMEOUT_SECONDS) bounds the whole
call, and the SDKs' read timeout is as long: a model that accepts the request and then sends
nothing held its seat for the full timeout on every attempt (about three minutes with 60 s and
three attempts). Two shorter limits catch that without cutting long answers short:

- time to first event: from the request until the stream yields anything (LLM_FIRST_TOKEN_
  TIMEOUT_SECONDS);
- idle between events: from one event to the next (LLM_STREAM_IDLE_TIMEOUT_SECONDS).

Either one passing raises a retryable `ProviderTimeoutError`, and the stream is closed (the
connection goes back, the provider's `finally` runs).
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from debates.providers.base import ProviderTimeoutError, StreamEvent


@dataclass(frozen=True, slots=True)
class StreamTimeouts:
    """None (or 0) turns a limit off."""

    first_event_s: float | None = None
    idle_s: float | None = None


async def watched_stream(
    events: AsyncIterator[StreamEvent], *, timeouts: StreamTimeouts, provider: str, model: str
) -> AsyncIterator[StreamEvent]:
    """`events`, failing with ProviderTimeoutError when one arrives too late."""
    iterator = aiter(events)
    first = True
    try:
        while True:
            limit = timeouts.first_event_s if first else timeouts.idle_s
            try:
                # The limit wraps only the wait for the next event, never our own `yield`: the
                # consumer's time between events is not the provider's.
                async with asyncio.timeout(limit or None):
                    event = await anext(iterator)
            except StopAsyncIteration:
                return
            except TimeoutError as exc:
                what = "no first token" if first else "the stream went quiet"
                raise ProviderTimeoutError(provider, model, f"{what} for {limit:g} s") from exc
            first = False
            yield event
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
