"""The retry layer: what it retries, how long it waits (captured from an injected sleep, so
nothing really waits), when it gives up, and the before-first-event rule for streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from debates.providers.base import (
    AuthenticationFailed,
    BadRequest,
    Completion,
    ContentFiltered,
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StreamEvent,
    TextDelta,
)
from debates.providers.retry import call_with_retry, stream_with_retry


class Flaky:
    """Raises the given errors in turn, then answers "ok"."""

    def __init__(self, *errors: ProviderError | Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def unavailable() -> ProviderUnavailable:
    return ProviderUnavailable("openai", "gpt", "503")


async def test_retries_retryable_errors_with_growing_waits() -> None:
    sleeps = Sleeps()
    fn = Flaky(
        unavailable(),
        ProviderTimeout("openai", "gpt", "slow"),
        MalformedResponse("openai", "gpt", "garbled"),
    )

    result = await call_with_retry(fn, attempts=4, base_delay_s=1, max_delay_s=30, sleep=sleeps)

    assert result == "ok"
    assert fn.calls == 4
    assert len(sleeps) == 3
    # base * 2**n plus up to base/2 of jitter: always growing, never past the cap.
    assert 1 <= sleeps[0] <= 1.5
    assert 2 <= sleeps[1] <= 2.5
    assert 4 <= sleeps[2] <= 4.5


async def test_waits_are_capped_at_max_delay() -> None:
    sleeps = Sleeps()
    fn = Flaky(*[unavailable() for _ in range(5)])

    await call_with_retry(fn, attempts=6, base_delay_s=1, max_delay_s=3, sleep=sleeps)

    assert max(sleeps) == 3
    assert sleeps == sorted(sleeps)


async def test_gives_up_after_the_last_attempt_with_the_last_error() -> None:
    sleeps = Sleeps()
    last = ProviderTimeout("anthropic", "claude", "third")
    fn = Flaky(unavailable(), unavailable(), last, unavailable())

    with pytest.raises(ProviderTimeout) as caught:
        await call_with_retry(fn, attempts=3, base_delay_s=0.1, max_delay_s=1, sleep=sleeps)

    assert caught.value is last
    assert fn.calls == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationFailed("openai", "gpt", "bad key"),
        BadRequest("openai", "gpt", "unknown model"),
        ContentFiltered("openai", "gpt", "filtered"),
    ],
)
async def test_never_retries_permanent_errors(error: ProviderError) -> None:
    sleeps = Sleeps()
    fn = Flaky(error)

    with pytest.raises(type(error)):
        await call_with_retry(fn, attempts=5, base_delay_s=1, max_delay_s=10, sleep=sleeps)

    assert fn.calls == 1
    assert sleeps == []


async def test_never_retries_bugs() -> None:
    fn = Flaky(KeyError("choices"))

    with pytest.raises(KeyError):
        await call_with_retry(fn, attempts=5, base_delay_s=1, max_delay_s=10, sleep=Sleeps())

    assert fn.calls == 1


async def test_honours_retry_after_even_beyond_the_backoff_cap() -> None:
    sleeps = Sleeps()
    fn = Flaky(RateLimited("openai", "gpt", "slow down", retry_after_s=12))

    await call_with_retry(fn, attempts=3, base_delay_s=0.5, max_delay_s=8, sleep=sleeps)

    assert sleeps == [12]


async def test_short_retry_after_does_not_shorten_the_backoff() -> None:
    sleeps = Sleeps()
    fn = Flaky(unavailable(), RateLimited("openai", "gpt", "429", retry_after_s=0.1))

    await call_with_retry(fn, attempts=3, base_delay_s=1, max_delay_s=8, sleep=sleeps)

    assert sleeps[1] >= 2


async def test_stops_when_retry_after_is_longer_than_we_will_wait() -> None:
    sleeps = Sleeps()
    fn = Flaky(RateLimited("openai", "gpt", "come back in an hour", retry_after_s=3600))

    with pytest.raises(RateLimited):
        await call_with_retry(fn, attempts=5, base_delay_s=1, max_delay_s=8, sleep=sleeps)

    assert fn.calls == 1
    assert sleeps == []


async def test_on_retry_hears_each_error_attempt_and_wait() -> None:
    heard: list[tuple[str, int, float]] = []
    fn = Flaky(RateLimited("openai", "gpt", "429", retry_after_s=5))

    await call_with_retry(
        fn,
        attempts=2,
        base_delay_s=1,
        max_delay_s=8,
        sleep=Sleeps(),
        on_retry=lambda error, attempt, wait: heard.append((error.code, attempt, wait)),
    )

    assert heard == [("provider_rate_limited", 1, 5)]


async def test_attempts_must_be_positive() -> None:
    fn = Flaky()

    with pytest.raises(ValueError, match="attempts"):
        await call_with_retry(fn, attempts=0, base_delay_s=1, max_delay_s=1)

    assert fn.calls == 0


# --- streaming ------------------------------------------------------------------------------


def final(text: str) -> Completion:
    return Completion(text, 1, 1, 1, "stop", "m", "p", None)


class FlakyStreams:
    """Each call opens the next scripted stream: a list of events, then maybe an error."""

    def __init__(self, *scripts: tuple[list[StreamEvent], ProviderError | None]) -> None:
        self.scripts = list(scripts)
        self.opened = 0
        self.closed = 0

    def __call__(self) -> AsyncIterator[StreamEvent]:
        self.opened += 1
        events, error = self.scripts.pop(0)
        return self._run(events, error)

    async def _run(
        self, events: list[StreamEvent], error: ProviderError | None
    ) -> AsyncIterator[StreamEvent]:
        try:
            for event in events:
                yield event
            if error is not None:
                raise error
        finally:
            self.closed += 1


async def _drain(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def test_stream_retries_a_failure_before_the_first_event() -> None:
    opener = FlakyStreams(([], unavailable()), ([TextDelta("hi"), final("hi")], None))
    sleeps = Sleeps()

    events = await _drain(
        stream_with_retry(opener, attempts=3, base_delay_s=1, max_delay_s=5, sleep=sleeps)
    )

    assert events == [TextDelta("hi"), final("hi")]
    assert opener.opened == 2
    assert opener.closed == 2
    assert len(sleeps) == 1


async def test_stream_failure_after_text_reached_the_caller_is_not_retried() -> None:
    opener = FlakyStreams(([TextDelta("partial")], unavailable()), ([final("x")], None))
    received: list[StreamEvent] = []

    async def consume() -> None:
        async for event in stream_with_retry(
            opener, attempts=3, base_delay_s=1, max_delay_s=5, sleep=Sleeps()
        ):
            received.append(event)

    with pytest.raises(ProviderUnavailable):
        await consume()

    assert received == [TextDelta("partial")]
    assert opener.opened == 1


async def test_stream_gives_up_after_attempts() -> None:
    opener = FlakyStreams(*[([], unavailable()) for _ in range(3)])

    with pytest.raises(ProviderUnavailable):
        await _drain(
            stream_with_retry(opener, attempts=3, base_delay_s=1, max_delay_s=5, sleep=Sleeps())
        )

    assert opener.opened == 3


async def test_stream_never_retries_permanent_errors() -> None:
    opener = FlakyStreams(([], AuthenticationFailed("p", "m", "bad key")), ([final("x")], None))

    with pytest.raises(AuthenticationFailed):
        await _drain(
            stream_with_retry(opener, attempts=3, base_delay_s=1, max_delay_s=5, sleep=Sleeps())
        )

    assert opener.opened == 1
