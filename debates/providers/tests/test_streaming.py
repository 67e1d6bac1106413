"""watched_stream: the first-token and idle limits of a stream, without the network."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from debates.providers.base import Completion, ProviderTimeoutError, StreamEvent, TextDelta
from debates.providers.streaming import StreamTimeouts, watched_stream

DONE = Completion(
    text="ab",
    input_tokens=1,
    output_tokens=2,
    latency_ms=1,
    finish_reason="stop",
    model="m",
    provider="p",
    raw_id=None,
)


class Script:
    """A stream that yields `before` deltas, then (if `stall`) waits forever, else ends."""

    def __init__(self, before: int, *, stall: bool) -> None:
        self.before = before
        self.stall = stall
        self.closed = False

    async def events(self) -> AsyncIterator[StreamEvent]:
        try:
            for index in range(self.before):
                yield TextDelta(f"t{index}")
            if self.stall:
                await asyncio.Event().wait()  # never set: a provider that went silent
            yield DONE
        finally:
            self.closed = True


async def collect(script: Script, timeouts: StreamTimeouts) -> list[StreamEvent]:
    stream = watched_stream(script.events(), timeouts=timeouts, provider="p", model="m")
    return [event async for event in stream]


async def test_a_healthy_stream_passes_through() -> None:
    script = Script(3, stall=False)
    got = await collect(script, StreamTimeouts(first_event_s=1.0, idle_s=1.0))
    assert got == [TextDelta("t0"), TextDelta("t1"), TextDelta("t2"), DONE]
    assert script.closed


async def test_no_first_token_in_time_is_a_retryable_timeout() -> None:
    script = Script(0, stall=True)
    with pytest.raises(ProviderTimeoutError) as failed:
        await collect(script, StreamTimeouts(first_event_s=0.05, idle_s=10.0))
    assert failed.value.retryable
    assert "no first token" in failed.value.message
    assert script.closed, "the provider's stream is closed (its connection goes back)"


async def test_a_stream_gone_quiet_half_way_is_a_timeout() -> None:
    script = Script(2, stall=True)
    received: list[StreamEvent] = []

    async def consume() -> None:
        async for event in watched_stream(
            script.events(),
            timeouts=StreamTimeouts(first_event_s=10.0, idle_s=0.05),
            provider="p",
            model="m",
        ):
            received.append(event)

    with pytest.raises(ProviderTimeoutError) as failed:
        await consume()
    assert received == [TextDelta("t0"), TextDelta("t1")]
    assert "went quiet" in failed.value.message
    assert script.closed


async def test_the_consumers_own_time_is_not_counted() -> None:
    """The limit covers the wait for the provider, not what the consumer does between events
    (writing deltas to the database)."""
    script = Script(2, stall=False)
    got = []
    async for event in watched_stream(
        script.events(), timeouts=StreamTimeouts(idle_s=0.05), provider="p", model="m"
    ):
        got.append(event)
        with contextlib.suppress(TimeoutError):  # the consumer busy for twice the limit
            await asyncio.wait_for(asyncio.Event().wait(), timeout=0.1)
    assert len(got) == 3


async def test_no_limits_means_none() -> None:
    assert len(await collect(Script(1, stall=False), StreamTimeouts())) == 2
