"""The retry layer: what it retries, how long it waits (captured from an injected sleep, so
nothing really waits), when it gives up, and the before-first-event rule for streams."""

from __future__ import annotations

import pytest

from debates.providers.base import (
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderContentFilteredError,
    ProviderError,
    ProviderMalformedResponseError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from debates.providers.retry import call_with_retry


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


def unavailable() -> ProviderUnavailableError:
    return ProviderUnavailableError("openai", "gpt", "503")


async def test_retries_retryable_errors_with_growing_waits() -> None:
    sleeps = Sleeps()
    fn = Flaky(
        unavailable(),
        ProviderTimeoutError("openai", "gpt", "slow"),
        ProviderMalformedResponseError("openai", "gpt", "garbled"),
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
    last = ProviderTimeoutError("anthropic", "claude", "third")
    fn = Flaky(unavailable(), unavailable(), last, unavailable())

    with pytest.raises(ProviderTimeoutError) as caught:
        await call_with_retry(fn, attempts=3, base_delay_s=0.1, max_delay_s=1, sleep=sleeps)

    assert caught.value is last
    assert fn.calls == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "error",
    [
        ProviderAuthError("openai", "gpt", "bad key"),
        ProviderBadRequestError("openai", "gpt", "unknown model"),
        ProviderContentFilteredError("openai", "gpt", "filtered"),
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
    fn = Flaky(ProviderRateLimitedError("openai", "gpt", "slow down", retry_after_s=12))

    await call_with_retry(fn, attempts=3, base_delay_s=0.5, max_delay_s=8, sleep=sleeps)

    assert sleeps == [12]


async def test_short_retry_after_does_not_shorten_the_backoff() -> None:
    sleeps = Sleeps()
    fn = Flaky(unavailable(), ProviderRateLimitedError("openai", "gpt", "429", retry_after_s=0.1))

    await call_with_retry(fn, attempts=3, base_delay_s=1, max_delay_s=8, sleep=sleeps)

    assert sleeps[1] >= 2


async def test_stops_when_retry_after_is_longer_than_we_will_wait() -> None:
    sleeps = Sleeps()
    fn = Flaky(
        ProviderRateLimitedError("openai", "gpt", "come back in an hour", retry_after_s=3600)
    )

    with pytest.raises(ProviderRateLimitedError):
        await call_with_retry(fn, attempts=5, base_delay_s=1, max_delay_s=8, sleep=sleeps)

    assert fn.calls == 1
    assert sleeps == []


async def test_on_retry_hears_each_error_attempt_and_wait() -> None:
    heard: list[tuple[str, int, float]] = []
    fn = Flaky(ProviderRateLimitedError("openai", "gpt", "429", retry_after_s=5))

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
