"""The one retry layer for provider calls (the SDKs' own retries are all switched off).

Only `ProviderError`s with `retryable=True` are retried, with exponential backoff plus jitter
(tenacity). A `ProviderRateLimitedError`'s `retry_after_s` is honoured in full: we wait at
least that long, because waiting less only earns another 429 and burns an attempt. If a
provider asks for more than `max_retry_after_s` (60 s by default) we stop at once and raise: a
debate turn should fail over, not sit idle for minutes.

Streaming calls are retried as a whole by the pipeline's gateway
(debates/orchestration/gateway.py): when text had already reached listeners, it tells them to
start that turn's text over before the next attempt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.wait import wait_exponential_jitter

from debates.providers.base import ProviderError, ProviderRateLimitedError

Sleep = Callable[[float], Awaitable[None]]
OnRetry = Callable[[ProviderError, int, float], None]

DEFAULT_MAX_RETRY_AFTER_S = 60.0


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _retry_after(state: RetryCallState) -> float | None:
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return None
    exc = outcome.exception()
    return exc.retry_after_s if isinstance(exc, ProviderRateLimitedError) else None


async def call_with_retry[T](
    fn: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    base_delay_s: float,
    max_delay_s: float,
    sleep: Sleep = asyncio.sleep,
    max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S,
    jitter_s: float | None = None,
    on_retry: OnRetry | None = None,
) -> T:
    """Call `fn` up to `attempts` times; return its result or raise its last error.

    Waits grow as base, 2*base, 4*base... (capped at `max_delay_s`) plus up to `jitter_s`
    (default base/2) of random jitter, so concurrent seats hitting one provider spread out.
    `sleep` is injectable so tests never really wait; `on_retry(error, attempt, wait_s)` is called
    before each wait (logs, metrics).
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    backoff = wait_exponential_jitter(
        initial=base_delay_s,
        max=max_delay_s,
        jitter=base_delay_s / 2 if jitter_s is None else jitter_s,
    )

    def wait(state: RetryCallState) -> float:
        delay = backoff(state)
        asked = _retry_after(state)
        return max(delay, asked) if asked is not None else delay

    def stop(state: RetryCallState) -> bool:
        asked = _retry_after(state)
        too_long = asked is not None and asked > max_retry_after_s
        return too_long or state.attempt_number >= attempts

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is None or state.outcome is None or state.next_action is None:
            return
        exc = state.outcome.exception()
        if isinstance(exc, ProviderError):
            on_retry(exc, state.attempt_number, state.next_action.sleep)

    retrying = AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=retry_if_exception(_is_retryable),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return await retrying(fn)
