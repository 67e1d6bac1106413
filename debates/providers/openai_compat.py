"""OpenAI chat completions, and every endpoint that speaks the same protocol.

Serves OpenAI itself, OpenRouter (https://openrouter.ai/api/v1) and self-hosted servers
(Ollama, vLLM, llama.cpp) through the official `openai` SDK. The SDK's own retries are off
(`max_retries=0`): `debates.providers.retry` is the only retry layer, so attempts and waits are
counted in one place.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

import openai
import orjson
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

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

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"

MaxTokensField = Literal["max_tokens", "max_completion_tokens"]

# OpenAI's reasoning models accept only their default temperature: any other value, even 0.7,
# is answered 400 "Unsupported value: 'temperature'". Those calls leave it out.
_DEFAULT_TEMPERATURE_ONLY = re.compile(r"^(?:o\d|gpt-5)(?:-mini|-nano)?(?:-\d{4}-\d{2}-\d{2})?$")


class OpenAICompatProvider:
    """An OpenAI-protocol endpoint. `name` is what Completions and errors report as provider."""

    def __init__(
        self,
        name: str,
        api_key: str,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        *,
        max_tokens_field: MaxTokensField | None = None,
    ) -> None:
        self.name = name
        # Always explicit: the SDK would otherwise fall back to OPENAI_BASE_URL from the
        # environment, and configuration must come from settings alone.
        self.base_url = base_url or OPENAI_BASE_URL
        # OpenAI's newer models refuse `max_tokens`; most compatible servers only know it.
        self.max_tokens_field: MaxTokensField = max_tokens_field or (
            "max_completion_tokens" if self.base_url == OPENAI_BASE_URL else "max_tokens"
        )
        headers = dict(extra_headers or {})
        # Local servers ignore the key, but the SDK refuses to start without one.
        key = api_key or "no-key"
        self._clients: PerLoop[openai.AsyncOpenAI] = PerLoop(
            lambda: openai.AsyncOpenAI(
                api_key=key,
                base_url=self.base_url,
                max_retries=0,
                default_headers=headers or None,
                http_client=openai.DefaultAsyncHttpxClient(verify=tls_context()),
            )
        )

    async def aclose(self) -> None:
        """Close this event loop's connections (see `_common.PerLoop.aclose`)."""
        await self._clients.aclose(lambda client: client.close())

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(name={self.name!r}, base_url={self.base_url!r})"

    # --- calls -------------------------------------------------------------------------------

    def _params(self, request: CompletionRequest) -> dict[str, Any]:
        messages: list[ChatCompletionMessageParam] = [
            {"role": m.role, "content": m.content}  # type: ignore[misc]
            for m in request.messages
        ]
        params: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            self.max_tokens_field: request.max_output_tokens,
            "timeout": request.timeout_s,
        }
        if not _DEFAULT_TEMPERATURE_ONLY.match(request.model):
            params["temperature"] = request.temperature
        if request.structured is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.structured.name,
                    "schema": dict(request.structured.schema),
                    "strict": True,
                },
            }
        elif request.response_format_json:
            params["response_format"] = {"type": "json_object"}
        return params

    async def complete(self, request: CompletionRequest) -> Completion:
        watch = Stopwatch()
        client = self._clients.get()
        try:
            # The SDK's timeout bounds each network read; this bounds the whole call.
            async with asyncio.timeout(request.timeout_s):
                response: object = await client.chat.completions.create(**self._params(request))
        except Exception as exc:
            raise self._map_error(exc, request.model) from exc
        if not isinstance(response, ChatCompletion):
            # The SDK returns the bare text when a server answers with a non-JSON content type.
            raise ProviderMalformedResponseError(
                self.name, request.model, "the body was not a chat completion"
            )
        return self._parse(response, request, watch.elapsed_ms())

    def _parse(self, response: ChatCompletion, request: CompletionRequest, ms: int) -> Completion:
        choices = response.choices or []
        if not choices or getattr(choices[0], "message", None) is None:
            raise ProviderMalformedResponseError(
                self.name, request.model, "the completion had no choices"
            )
        text = choices[0].message.content or ""
        finish = self._finish(choices[0].finish_reason, request.model)
        usage = response.usage
        return Completion(
            text=text,
            input_tokens=usage.prompt_tokens if usage else estimate_input_tokens(request),
            output_tokens=usage.completion_tokens if usage else estimate_tokens(text),
            latency_ms=ms,
            finish_reason=finish,
            model=response.model or request.model,
            provider=self.name,
            raw_id=response.id or None,
        )

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamEvent]:
        """Stream through the SDK's raw streaming response and read the SSE lines ourselves.

        The SDK still sends the request, authenticates and raises its typed errors for error
        statuses; only the per-chunk pydantic objects are skipped. Those cost ~0.1 ms a chunk
        (one chunk per token), which with five seats streaming at once was most of what the
        pipeline added to the model calls (docs/PERFORMANCE.md).
        """
        watch = Stopwatch()
        deadline = Deadline(request.timeout_s)
        client = self._clients.get()
        parts: list[str] = []
        finish_raw: str | None = None
        input_tokens: int | None = None
        output_tokens: int | None = None
        raw_id: str | None = None
        model = request.model
        try:
            opened = client.chat.completions.with_streaming_response.create(
                **self._params(request),
                stream=True,
                stream_options={"include_usage": True},
            )
            response = await opened.__aenter__()
        except Exception as exc:
            raise self._map_error(exc, request.model) from exc
        # The body's bytes, split into SSE lines here. Reading through the SDK's `iter_lines`
        # would stack five async generators (SDK, lines, text, bytes, raw); closing the outer
        # one closes none of the inner ones, and the garbage collector's finalizers then race
        # each other on a stream cut short ("async generator already executing"). `aiter_bytes`
        # closes the raw stream it reads when it is closed, and it is, below.
        chunks = response.http_response.aiter_bytes()
        pending = b""
        try:
            done = False
            while not done:
                # Only the reads are mapped to ProviderErrors; exceptions thrown into this
                # generator by the consumer pass through the `yield` untouched.
                try:
                    pending += await chunks.__anext__()
                except StopAsyncIteration:
                    done, pending = True, pending + b"\n"
                except Exception as exc:
                    raise self._map_error(exc, request.model) from exc
                lines = pending.splitlines(keepends=True)
                pending = lines.pop() if lines and lines[-1][-1:] not in (b"\n", b"\r") else b""
                if deadline.expired():
                    raise ProviderTimeoutError(
                        self.name, request.model, "the stream ran past its time"
                    )
                # The text of every chunk this read brought goes on as one delta: an answer
                # that arrives in one burst costs one event through the layers above (the
                # stream's timeouts, the gateway, the stage's text), not one per token. Text
                # before a broken chunk still goes first, as it would one chunk at a time.
                read: list[str] = []
                broken: ProviderMalformedResponseError | None = None
                for line in lines:
                    try:
                        chunk = self._sse_data(line, request.model)
                    except ProviderMalformedResponseError as exc:
                        broken = exc
                        break
                    if chunk is None:
                        continue
                    raw_id = raw_id or chunk.get("id") or None
                    model = chunk.get("model") or model
                    usage = chunk.get("usage")
                    if isinstance(usage, dict):
                        input_tokens = usage.get("prompt_tokens")
                        output_tokens = usage.get("completion_tokens")
                    for choice in chunk.get("choices") or []:
                        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                            continue
                        delta = (choice.get("delta") or {}).get("content")
                        if delta:
                            read.append(delta)
                        if choice.get("finish_reason"):
                            finish_raw = choice["finish_reason"]
                if read:
                    text = "".join(read)
                    parts.append(text)
                    yield TextDelta(text)
                if broken is not None:
                    raise broken
        finally:
            await chunks.aclose()
            await opened.__aexit__(None, None, None)

        if finish_raw is None:
            # The body ended before the server said why it stopped: a cut-off stream, which
            # must never pass for a complete (but short) answer.
            raise ProviderMalformedResponseError(self.name, request.model, "the stream ended early")
        text = "".join(parts)
        yield Completion(
            text=text,
            input_tokens=input_tokens
            if input_tokens is not None
            else estimate_input_tokens(request),
            output_tokens=known(output_tokens, estimate_tokens(text)),
            latency_ms=watch.elapsed_ms(),
            finish_reason=self._finish(finish_raw, request.model),
            model=model,
            provider=self.name,
            raw_id=raw_id,
        )

    def _sse_data(self, line: bytes, model: str) -> dict[str, Any] | None:
        """The JSON object of one `data:` line; None for anything else (comments, blank lines,
        other fields, the final [DONE])."""
        if not line.startswith(b"data:"):
            return None
        payload = line[5:].strip()
        if not payload or payload == b"[DONE]":
            return None
        try:
            chunk = orjson.loads(payload)
        except ValueError as exc:
            raise ProviderMalformedResponseError(
                self.name, model, "a stream event was not JSON"
            ) from exc
        if not isinstance(chunk, dict):
            raise ProviderMalformedResponseError(
                self.name, model, "a stream event was not an object"
            )
        if "error" in chunk:
            # An error event inside an otherwise healthy stream (e.g. an overloaded upstream).
            raise ProviderUnavailableError(
                self.name, model, f"the stream reported an error: {_error_message(chunk)}"
            )
        return chunk

    # --- mapping -----------------------------------------------------------------------------

    def _finish(self, raw: str | None, model: str) -> FinishReason:
        if raw == "content_filter":
            raise ProviderContentFilteredError(self.name, model, "the provider filtered the answer")
        if raw == "length":
            return "length"
        # "stop", "tool_calls", "function_call"; some compatible servers send nothing.
        return "stop"

    def _map_error(self, exc: Exception, model: str) -> ProviderError:
        name = self.name
        if isinstance(exc, openai.APITimeoutError):
            return ProviderTimeoutError(name, model, "the request timed out")
        if isinstance(exc, openai.APIConnectionError):
            return ProviderUnavailableError(name, model, f"connection failed: {exc.message}")
        if isinstance(exc, openai.APIResponseValidationError):
            return ProviderMalformedResponseError(
                name, model, "the response did not match the protocol"
            )
        if isinstance(exc, openai.APIStatusError):
            return self._map_status(exc, model)
        if isinstance(exc, openai.APIError):
            # An error event inside an otherwise healthy stream (e.g. an overloaded upstream).
            return ProviderUnavailableError(
                name, model, f"the stream reported an error: {exc.message}"
            )
        common = map_common_error(exc, name, model)
        if common is not None:
            return common
        if isinstance(exc, ValueError):
            return ProviderMalformedResponseError(
                name, model, f"unparseable response: {type(exc).__name__}"
            )
        raise exc

    def _map_status(self, exc: openai.APIStatusError, model: str) -> ProviderError:
        name, status = self.name, exc.status_code
        detail = _error_message(exc.body) or f"HTTP {status}"
        if isinstance(exc, openai.RateLimitError) or status == 429:
            return ProviderRateLimitedError(
                name, model, detail, retry_after_s=parse_retry_after(exc.response.headers)
            )
        if status in (401, 403):
            return ProviderAuthError(name, model, detail)
        if status == 408:
            return ProviderTimeoutError(name, model, detail)
        if status == 409 or status >= 500:
            return ProviderUnavailableError(name, model, detail)
        if _error_code(exc.body) in ("content_filter", "content_policy_violation"):
            return ProviderContentFilteredError(name, model, detail)
        return ProviderBadRequestError(name, model, detail)


def _error_field(body: object, key: str) -> str | None:
    # Bodies come as {"error": {...}} from OpenAI, or as the inner object once the SDK unwraps it.
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            value = inner.get(key)
            return value if isinstance(value, str) else None
    return None


def _error_message(body: object) -> str | None:
    return _error_field(body, "message")


def _error_code(body: object) -> str | None:
    return _error_field(body, "code")
