"""Anthropic's Messages API through the official `anthropic` SDK (2.x, API version 2026-10-21).

System messages go to the `system` parameter. `temperature` is not sent: API version 2026-10-21
rejects every sampling parameter (even at its default) and SDK 2.x no longer accepts one, so a
seat's temperature only affects the other providers. SDK retries are off (`max_retries=0`);
`debates.providers.retry` is the only retry layer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anthropic
from anthropic.types import Message as AnthropicMessage

from debates.providers._common import (
    Deadline,
    PerLoop,
    Stopwatch,
    known,
    map_common_error,
    parse_retry_after,
    tls_context,
)
from debates.providers.base import (
    Completion,
    CompletionRequest,
    FinishReason,
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderContentFilteredError,
    ProviderError,
    ProviderMalformedResponseError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    StreamEvent,
    TextDelta,
    estimate_input_tokens,
    estimate_tokens,
)

ANTHROPIC_BASE_URL = "https://api.anthropic.com"

_UNAVAILABLE_TYPES = frozenset({"overloaded_error", "api_error", "timeout_error"})
_AUTH_TYPES = frozenset({"authentication_error", "permission_error", "billing_error"})


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, api_key: str, base_url: str | None = None) -> None:
        # Both explicit, so the SDK never falls back to ANTHROPIC_* environment variables or
        # profile files for credentials or endpoint.
        self.base_url = base_url or ANTHROPIC_BASE_URL
        self._clients: PerLoop[anthropic.AsyncAnthropic] = PerLoop(
            lambda: anthropic.AsyncAnthropic(
                api_key=api_key,
                base_url=self.base_url,
                max_retries=0,
                http_client=anthropic.DefaultAsyncHttpxClient(verify=tls_context()),
            )
        )

    async def aclose(self) -> None:
        """Close this event loop's connections (see `_common.PerLoop.aclose`)."""
        await self._clients.aclose(lambda client: client.close())

    def __repr__(self) -> str:
        return f"AnthropicProvider(base_url={self.base_url!r})"

    def _params(self, request: CompletionRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_output_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in request.conversation],
            "timeout": request.timeout_s,
        }
        if system := request.system_text:
            params["system"] = system
        if request.structured is not None:
            # Structured outputs: the text of the answer is JSON that follows the schema.
            params["output_config"] = {
                "format": {"type": "json_schema", "schema": dict(request.structured.schema)}
            }
        return params

    async def complete(self, request: CompletionRequest) -> Completion:
        watch = Stopwatch()
        client = self._clients.get()
        try:
            # The SDK's timeout bounds each network read; this bounds the whole call.
            async with asyncio.timeout(request.timeout_s):
                message: object = await client.messages.create(**self._params(request))
        except Exception as exc:
            raise self._map_error(exc, request.model) from exc
        if not isinstance(message, AnthropicMessage):
            raise ProviderMalformedResponseError(
                self.name, request.model, "the body was not a message"
            )
        text = "".join(
            getattr(block, "text", "")
            for block in message.content or []
            if getattr(block, "type", None) == "text"
        )
        usage = message.usage
        return Completion(
            text=text,
            input_tokens=usage.input_tokens if usage else estimate_input_tokens(request),
            output_tokens=usage.output_tokens if usage else estimate_tokens(text),
            latency_ms=watch.elapsed_ms(),
            finish_reason=self._finish(message.stop_reason, request.model),
            model=message.model or request.model,
            provider=self.name,
            raw_id=message.id or None,
        )

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamEvent]:
        watch = Stopwatch()
        deadline = Deadline(request.timeout_s)
        client = self._clients.get()
        try:
            stream: object = await client.messages.create(**self._params(request), stream=True)
        except Exception as exc:
            raise self._map_error(exc, request.model) from exc
        if not isinstance(stream, anthropic.AsyncStream):
            raise ProviderMalformedResponseError(
                self.name, request.model, "the server did not stream"
            )

        parts: list[str] = []
        stop_reason: str | None = None
        stopped = False
        input_tokens: int | None = None
        output_tokens: int | None = None
        raw_id: str | None = None
        model = request.model
        iterator = stream.__aiter__()
        try:
            while True:
                # Map only the SDK's reads; the consumer's exceptions pass the `yield` untouched.
                try:
                    event = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as exc:
                    raise self._map_error(exc, request.model) from exc
                if deadline.expired():
                    raise ProviderTimeoutError(
                        self.name, request.model, "the stream ran past its time"
                    )
                kind = getattr(event, "type", None)
                if kind == "message_start":
                    raw_id = event.message.id or None
                    model = event.message.model or model
                    if event.message.usage is not None:
                        input_tokens = event.message.usage.input_tokens
                        output_tokens = event.message.usage.output_tokens
                elif kind == "content_block_delta":
                    delta = event.delta
                    if getattr(delta, "type", None) == "text_delta" and delta.text:
                        parts.append(delta.text)
                        yield TextDelta(delta.text)
                elif kind == "message_delta":
                    stop_reason = event.delta.stop_reason or stop_reason
                    if event.usage is not None:
                        # Cumulative counts: the last message_delta carries the totals.
                        output_tokens = event.usage.output_tokens
                        if event.usage.input_tokens is not None:
                            input_tokens = event.usage.input_tokens
                elif kind == "message_stop":
                    stopped = True
        finally:
            # Close the SDK's generators before the response, as the Gemini adapter does: left
            # suspended, they would be finalised later by the garbage collector, mid-anything.
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            await stream.close()

        if not stopped:
            # No message_stop: the connection ended mid-answer. Never pass that off as complete.
            raise ProviderMalformedResponseError(self.name, request.model, "the stream ended early")
        text = "".join(parts)
        yield Completion(
            text=text,
            input_tokens=input_tokens
            if input_tokens is not None
            else estimate_input_tokens(request),
            output_tokens=known(output_tokens, estimate_tokens(text)),
            latency_ms=watch.elapsed_ms(),
            finish_reason=self._finish(stop_reason, request.model),
            model=model,
            provider=self.name,
            raw_id=raw_id,
        )

    def _finish(self, stop_reason: str | None, model: str) -> FinishReason:
        if stop_reason == "refusal":
            raise ProviderContentFilteredError(self.name, model, "the model refused to answer")
        if stop_reason in ("max_tokens", "model_context_window_exceeded"):
            return "length"
        return "stop"

    def _map_error(self, exc: Exception, model: str) -> ProviderError:
        name = self.name
        if isinstance(exc, anthropic.APITimeoutError):
            return ProviderTimeoutError(name, model, "the request timed out")
        if isinstance(exc, anthropic.APIConnectionError):
            return ProviderUnavailableError(name, model, f"connection failed: {exc.message}")
        if isinstance(exc, anthropic.APIResponseValidationError):
            return ProviderMalformedResponseError(
                name, model, "the response did not match the protocol"
            )
        if isinstance(exc, anthropic.APIStatusError):
            return self._map_status(exc, model)
        if isinstance(exc, anthropic.APIError):
            return ProviderUnavailableError(
                name, model, f"the API reported an error: {exc.message}"
            )
        common = map_common_error(exc, name, model)
        if common is not None:
            return common
        if isinstance(exc, ValueError):
            return ProviderMalformedResponseError(
                name, model, f"unparseable response: {type(exc).__name__}"
            )
        raise exc

    def _map_status(self, exc: anthropic.APIStatusError, model: str) -> ProviderError:
        # An error event inside a stream arrives with the stream's 200 status, so the error
        # type from the body decides first and the HTTP status second.
        name, status, kind = self.name, exc.status_code, exc.type
        detail = exc.api_message or f"HTTP {status}"
        if kind == "rate_limit_error" or status == 429:
            return ProviderRateLimitedError(
                name, model, detail, retry_after_s=parse_retry_after(exc.response.headers)
            )
        if kind in _UNAVAILABLE_TYPES or status >= 500 or status == 409:
            return ProviderUnavailableError(name, model, detail)
        if kind in _AUTH_TYPES or status in (401, 402, 403):
            return ProviderAuthError(name, model, detail)
        if status == 408:
            return ProviderTimeoutError(name, model, detail)
        if status < 400:
            return ProviderUnavailableError(name, model, detail)
        return ProviderBadRequestError(name, model, detail)
