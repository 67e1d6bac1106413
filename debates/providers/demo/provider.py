"""The offline demo provider: no key, no network, plausible answers at a realistic pace."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable

from debates.providers._common import Deadline, Stopwatch
from debates.providers.base import (
    Completion,
    CompletionRequest,
    FinishReason,
    ProviderBadRequestError,
    ProviderTimeoutError,
    StreamEvent,
    TextDelta,
    estimate_input_tokens,
)
from debates.providers.demo.compose import demo_reply, split_tokens

DEMO_MODELS = ("demo-sage", "demo-skeptic", "demo-pragmatist", "demo-scout")
DEFAULT_TOKENS_PER_SECOND = 40.0
# Real providers take a moment before the first token; the live view should show that too.
DEFAULT_FIRST_TOKEN_S = 0.4


class DemoProvider:
    """Deterministic demo answers for any model id starting with "demo-".

    `tokens_per_second=0` answers at once (tests); the default ~40 tok/s makes a turn take a
    few seconds, so the live view looks like a real debate. `complete` takes as long as the
    stream would. JSON answers (`response_format_json`) are never cut at `max_output_tokens`,
    so they always parse; prose is cut there and reports finish_reason "length".
    """

    name = "demo"

    def __init__(
        self,
        tokens_per_second: float = DEFAULT_TOKENS_PER_SECOND,
        *,
        first_token_s: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.tokens_per_second = tokens_per_second
        paced = tokens_per_second > 0
        self.first_token_s = (
            first_token_s if first_token_s is not None else DEFAULT_FIRST_TOKEN_S * paced
        )
        self._sleep = sleep

    async def aclose(self) -> None:
        """Nothing to release; here so every provider can be closed alike."""

    def __repr__(self) -> str:
        return f"DemoProvider(tokens_per_second={self.tokens_per_second})"

    def _answer(self, request: CompletionRequest) -> tuple[list[str], FinishReason]:
        if not request.model.startswith("demo-"):
            raise ProviderBadRequestError(
                self.name, request.model, "demo models are named demo-<anything>"
            )
        text = demo_reply(
            request.model,
            request.messages,
            request.temperature,
            json_mode=request.response_format_json,
        )
        tokens = split_tokens(text)
        if not request.response_format_json and len(tokens) > request.max_output_tokens:
            return tokens[: request.max_output_tokens], "length"
        return tokens, "stop"

    def _completion(
        self, request: CompletionRequest, tokens: list[str], finish: FinishReason, ms: int
    ) -> Completion:
        text = "".join(tokens)
        digest = hashlib.sha256(f"{request.model}\x1f{text}".encode()).hexdigest()
        return Completion(
            text=text,
            input_tokens=estimate_input_tokens(request),
            output_tokens=len(tokens),
            latency_ms=ms,
            finish_reason=finish,
            model=request.model,
            provider=self.name,
            raw_id=f"demo-{digest[:16]}",
            demo=True,
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        watch = Stopwatch()
        tokens, finish = self._answer(request)
        if self.tokens_per_second > 0:
            duration = self.first_token_s + len(tokens) / self.tokens_per_second
            if duration > request.timeout_s:
                await self._sleep(request.timeout_s)
                raise ProviderTimeoutError(
                    self.name, request.model, "the demo answer took too long"
                )
            await self._sleep(duration)
        return self._completion(request, tokens, finish, watch.elapsed_ms())

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamEvent]:
        watch = Stopwatch()
        deadline = Deadline(request.timeout_s)
        tokens, finish = self._answer(request)
        pause = 1 / self.tokens_per_second if self.tokens_per_second > 0 else 0.0
        if self.first_token_s:
            await self._sleep(self.first_token_s)
        for token in tokens:
            if pause:
                await self._sleep(pause)
                if deadline.expired():
                    raise ProviderTimeoutError(
                        self.name, request.model, "the demo stream took too long"
                    )
            yield TextDelta(token)
        yield self._completion(request, tokens, finish, watch.elapsed_ms())
