"""Every model call of a debate passes here: circuit breaker, timeout, retries, streaming.

One place decides what a failed call means, so stages only see a Completion or a
CallError (a ProviderError, or the breaker's CircuitOpenError). The breaker's state lives in
the database (ops), shared by every process.
"""

import asyncio
import time
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from asgiref.sync import sync_to_async
from django.utils import timezone

from debates.orchestration.loop import on_shared_loop
from debates.orchestration.state import ModelRef
from debates.orchestration.writes import Writes
from debates.providers.base import (
    Completion,
    CompletionRequest,
    Provider,
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderContentFilteredError,
    ProviderError,
    ProviderMalformedResponseError,
    TextDelta,
)
from debates.providers.registry import build_provider
from debates.providers.retry import call_with_retry
from debates.providers.streaming import StreamTimeouts, watched_stream
from ops.breaker import (
    CircuitOpenError,
    Permit,
    abreaker_acquire,
    breaker_record,
    breaker_record_successes,
)
from ops.health import CallSample, provider_stats_record
from providerkeys.credentials import TeamCredential, redact
from providerkeys.services import key_record_outcome

logger = structlog.get_logger(__name__)

ProviderFactory = Callable[[str], Provider]
# Builds the provider of a team's own key (the registry caches it by name, key and URL).
CredentialProviderFactory = Callable[[TeamCredential], Provider]
Sleep = Callable[[float], Awaitable[None]]
# Failures that say nothing about the provider's health: the request itself was refused.
_CALLER_FAULTS = (ProviderBadRequestError, ProviderContentFilteredError)
# What a failed call raises: the provider's error, or the breaker's refusal to make the call.
# Both carry `code`, `message` and `retryable`.
CallError = ProviderError | CircuitOpenError
CALL_ERRORS = (ProviderError, CircuitOpenError)
# Successful calls wait at most this long to be recorded (one write for several stages).
SUCCESSES_FLUSH_SECONDS = 5.0

# How many runs on each event loop use each provider (by id; each run holds its providers).
# A provider's SDK client is one per loop (`providers._common.PerLoop`), shared by every
# debate on that loop, so a run may close it only when it is the last one using it: closing
# it under another run fails that run's next call ("the client has been closed") and leaks
# its open stream.
_in_use: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Counter[int]] = (
    weakref.WeakKeyDictionary()
)


def _users(loop: asyncio.AbstractEventLoop) -> Counter[int]:
    users = _in_use.get(loop)
    if users is None:
        users = _in_use[loop] = Counter()
    return users


def provider_for_credential(credential: TeamCredential) -> Provider:
    """The provider of a team's own key: its key (and, for an OpenAI-compatible endpoint, its
    base URL) passed into the one provider factory."""
    return build_provider(
        credential.provider,
        {credential.provider: credential.api_key},
        compat_base_url=credential.base_url,
        compat_api_key=credential.api_key,
    )


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    base_delay_s: float
    max_delay_s: float


class Gateway:
    def __init__(
        self,
        *,
        providers: ProviderFactory,
        retry: RetryPolicy,
        sleep: Sleep = asyncio.sleep,
        stream_timeouts: StreamTimeouts | None = None,
        credential_providers: CredentialProviderFactory = provider_for_credential,
    ) -> None:
        self._providers = providers
        self._credential_providers = credential_providers
        self._retry = retry
        self._stream_timeouts = stream_timeouts or StreamTimeouts()
        self._sleep = sleep
        # Providers of this run by (name, breaker scope): a team's own key is another provider.
        self._used: dict[tuple[str, str], Provider] = {}
        # Successful calls (permit, latency, finished at, time to first token) and retries
        # wait here and are recorded for the breakers and the health figures in one write per
        # stage.
        self._successes: list[tuple[Permit, int, datetime, int | None]] = []
        self._retries: dict[tuple[str, str], int] = {}

    def _provider(self, model: ModelRef) -> Provider:
        credential = model.credential
        key = (model.provider, credential.scope if credential is not None else "")
        provider = self._used.get(key)
        if provider is None:
            provider = self._used[key] = (
                self._credential_providers(credential)
                if credential is not None
                else self._providers(model.provider)
            )
            _users(asyncio.get_running_loop())[id(provider)] += 1
        return provider

    async def record_successes(self) -> None:
        """Write the successful calls made since the last time, in one transaction."""
        if self._successes or self._retries:
            calls, self._successes = self._successes, []
            retries, self._retries = self._retries, {}
            await sync_to_async(breaker_record_successes)(calls=calls, retries=retries)

    def record_successes_later(self, writes: Writes) -> None:
        """The same, handed to the run's writes, once the oldest success waiting is
        SUCCESSES_FLUSH_SECONDS old (a success never changes a breaker's state, so nothing
        waits for it; the run records what is left when it ends)."""
        oldest = self._successes[0][2] if self._successes else None
        if oldest is not None and (timezone.now() - oldest).total_seconds() < (
            SUCCESSES_FLUSH_SECONDS
        ):
            return
        if self._successes or self._retries:
            calls, self._successes = self._successes, []
            retries, self._retries = self._retries, {}
            writes.submit(breaker_record_successes, calls=calls, retries=retries)

    async def aclose(self) -> None:
        """Close the connections this run's event loop opened (SDK clients are per loop), of
        the providers no other run on this loop still uses, unless the loop is the worker's
        shared one: its clients live as long as the worker, which closes them when it stops."""
        users = _users(asyncio.get_running_loop())
        shared = on_shared_loop()
        for provider in self._used.values():
            users[id(provider)] -= 1
            if users[id(provider)] > 0:
                continue
            del users[id(provider)]
            if shared:
                continue
            close = getattr(provider, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:  # noqa: BLE001  (closing must not fail a finished debate)
                    logger.warning("provider_close_failed", provider=provider.name)
        self._used.clear()

    async def _guarded(
        self,
        model: ModelRef,
        attempt: Callable[[Provider, Callable[[], None]], Awaitable[Completion]],
        number: int,
    ) -> Completion:
        """One attempt through the breaker, with its outcome recorded and logged (`llm.call`).

        `attempt(provider, first_token)` makes the call; a streaming one calls `first_token()`
        when text first arrives, which gives the time to first token."""
        credential = model.credential
        scope = credential.scope if credential is not None else ""
        try:
            permit: Permit = await abreaker_acquire(
                provider=model.provider, model=model.model_id, scope=scope
            )
        except CircuitOpenError as refused:
            # The call was never made; the line says so, and when to come back.
            logger.info(
                "llm.call",
                outcome=refused.code,
                attempt=number,
                circuit_state="open",
                retry_after_s=refused.retry_after,
                latency_ms=0,
                ttft_ms=None,
                input_tokens=0,
                output_tokens=0,
                cost_usd="0",
            )
            raise
        state = "half_open" if permit.probe else "closed"
        started = time.monotonic()
        ttft_ms: int | None = None

        def first_token() -> None:
            nonlocal ttft_ms
            if ttft_ms is None:
                ttft_ms = int((time.monotonic() - started) * 1000)

        with structlog.contextvars.bound_contextvars(circuit_state=state):
            try:
                completion = await attempt(self._provider(model), first_token)
            except ProviderError as exc:
                latency_ms = int((time.monotonic() - started) * 1000)
                if credential is not None:
                    # A provider may echo the key it refused: it goes no further than here.
                    exc.message = redact(exc.message, credential.api_key)
                    exc.args = (exc.message,)
                if credential is not None and isinstance(exc, ProviderAuthError):
                    # The provider refused the team's key: its settings page says so, and why.
                    await sync_to_async(key_record_outcome)(
                        key_id=credential.key_id,
                        ok=False,
                        code=exc.code,
                        message=exc.message,
                        secret=credential.api_key,
                    )
                if isinstance(exc, _CALLER_FAULTS):
                    # Not the provider's fault: counted in the figures (the platform's keys'
                    # only), not by the breaker.
                    sample = CallSample(
                        provider=model.provider,
                        model=model.model_id,
                        ok=False,
                        latency_ms=latency_ms,
                        error_code=exc.code,
                        at=timezone.now(),
                    )
                    if credential is None:
                        await sync_to_async(provider_stats_record)(samples=[sample])
                else:
                    await sync_to_async(breaker_record)(
                        permit=permit,
                        ok=False,
                        latency_ms=latency_ms,
                        error_code=exc.code,
                        ttft_ms=ttft_ms,
                    )
                logger.info(
                    "llm.call",
                    outcome=exc.code,
                    attempt=number,
                    retryable=exc.retryable,
                    latency_ms=latency_ms,
                    ttft_ms=ttft_ms,
                    input_tokens=0,
                    output_tokens=0,
                    cost_usd="0",
                )
                raise
            if permit.probe:
                # A probe's success closes its breaker: that cannot wait.
                await sync_to_async(breaker_record)(
                    permit=permit, ok=True, latency_ms=completion.latency_ms, ttft_ms=ttft_ms
                )
            else:
                self._successes.append((permit, completion.latency_ms, timezone.now(), ttft_ms))
            logger.info(
                "llm.call",
                outcome="ok",
                attempt=number,
                latency_ms=completion.latency_ms,
                ttft_ms=ttft_ms,
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                cost_usd=str(model.cost(completion.input_tokens, completion.output_tokens)),
            )
            return completion

    async def _with_retry(
        self,
        model: ModelRef,
        attempt: Callable[[Provider, Callable[[], None]], Awaitable[Completion]],
    ) -> Completion:
        number = 0

        # A coroutine function, not a lambda: tenacity awaits only what it sees is async.
        async def guarded() -> Completion:
            nonlocal number
            number += 1
            return await self._guarded(model, attempt, number)

        def on_retry(error: ProviderError, attempt_number: int, delay_s: float) -> None:
            # In the event loop: log now, count with the stage's batch of successes (the
            # platform's health figures: a team key's retries are not theirs).
            if model.credential is None:
                key = (model.provider, model.model_id)
                self._retries[key] = self._retries.get(key, 0) + 1
            logger.warning(
                "llm.retry",
                attempt=attempt_number,
                delay_s=round(delay_s, 3),
                reason=error.code,
            )

        with structlog.contextvars.bound_contextvars(
            provider=model.provider,
            model=model.model_id,
            key_source="team" if model.credential is not None else "platform",
        ):
            return await call_with_retry(
                guarded,
                attempts=self._retry.attempts,
                base_delay_s=self._retry.base_delay_s,
                max_delay_s=self._retry.max_delay_s,
                sleep=self._sleep,
                on_retry=on_retry,
            )

    async def complete(self, model: ModelRef, request: CompletionRequest) -> Completion:
        return await self._with_retry(model, lambda provider, _first: provider.complete(request))

    async def stream(
        self,
        model: ModelRef,
        request: CompletionRequest,
        *,
        on_delta: Callable[[str], Awaitable[None]],
        on_restart: Callable[[], Awaitable[None]],
    ) -> Completion:
        """Stream a call. A retry after text already flowed first tells listeners to start the
        turn's text over (on_restart), so nobody sees half an answer glued to a new one. A
        stream silent for longer than the first-token or idle limit (StreamTimeouts) fails
        that attempt with provider_timeout. A model the catalog marks as not streaming is
        asked for the whole answer (with the same retries), which listeners get in one piece."""
        if not model.supports_streaming:
            completion = await self.complete(model, request)
            if completion.text:
                await on_delta(completion.text)
            return completion
        flowed = False

        async def consume(provider: Provider, first_token: Callable[[], None]) -> Completion:
            nonlocal flowed
            if flowed:
                await on_restart()
                flowed = False
            events = watched_stream(
                provider.stream(request),
                timeouts=self._stream_timeouts,
                provider=model.provider,
                model=model.model_id,
            )
            async for event in events:
                if isinstance(event, TextDelta):
                    first_token()
                    flowed = True
                    await on_delta(event.text)
                else:
                    return event
            raise ProviderMalformedResponseError(
                provider=model.provider, model=model.model_id, message="stream ended early"
            )

        return await self._with_retry(model, consume)
