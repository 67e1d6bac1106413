"""Google Gemini (Gemini Developer API) through the official `google-genai` SDK's async client.

SDK retries are off (`HttpRetryOptions(attempts=1)`): `debates.providers.retry` is the only retry
layer. System messages become the `system_instruction`; JSON is asked for with
`response_mime_type="application/json"`; token counts come from `usage_metadata`, with thinking
tokens counted as output (Gemini bills them so).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

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

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/"

_FILTERED = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)
_ERRORED = frozenset({"OTHER", "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "NO_IMAGE"})
_RETRY_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class GeminiProvider:
    name = "gemini"

    def __init__(
        self, api_key: str, base_url: str | None = None, *, api_version: str = "v1beta"
    ) -> None:
        self.base_url = base_url or GEMINI_BASE_URL
        # Everything explicit so GOOGLE_* environment variables cannot switch backend, version
        # or key. One client per loop like the other adapters, so `aclose` can release one
        # loop's pool without closing the client for everyone.
        self._clients: PerLoop[genai.Client] = PerLoop(
            lambda: genai.Client(
                vertexai=False,
                api_key=api_key,
                http_options=genai_types.HttpOptions(
                    base_url=self.base_url,
                    api_version=api_version,
                    retry_options=genai_types.HttpRetryOptions(attempts=1),
                    # The SDK builds two contexts otherwise (one for its HTTP clients, one
                    # for its websockets, whose key is `ssl`).
                    client_args={"verify": tls_context()},
                    async_client_args={"verify": tls_context(), "ssl": tls_context()},
                ),
            )
        )

    async def aclose(self) -> None:
        """Close this event loop's connections (see `_common.PerLoop.aclose`)."""
        await self._clients.aclose(lambda client: client.aio.aclose())

    def __repr__(self) -> str:
        return f"GeminiProvider(base_url={self.base_url!r})"

    def _call(self, request: CompletionRequest) -> dict[str, Any]:
        contents = [
            genai_types.Content(
                role="model" if m.role == "assistant" else "user",
                parts=[genai_types.Part(text=m.content)],
            )
            for m in request.conversation
        ]
        config = genai_types.GenerateContentConfig(
            system_instruction=request.system_text or None,
            temperature=request.temperature,
            max_output_tokens=request.max_output_tokens,
            response_mime_type="application/json"
            if request.response_format_json or request.structured is not None
            else None,
            response_json_schema=dict(request.structured.schema)
            if request.structured is not None
            else None,
            http_options=genai_types.HttpOptions(timeout=int(request.timeout_s * 1000)),
        )
        return {"model": request.model, "contents": contents, "config": config}

    async def complete(self, request: CompletionRequest) -> Completion:
        watch = Stopwatch()
        try:
            models = self._clients.get().aio.models
            # The SDK's timeout bounds each network read; this bounds the whole call.
            async with asyncio.timeout(request.timeout_s):
                response = await models.generate_content(**self._call(request))
        except Exception as exc:
            raise self._map_error(exc, request.model) from exc
        self._check_blocked(response, request.model)
        if not response.candidates:
            raise ProviderMalformedResponseError(
                self.name, request.model, "the response had no candidates"
            )
        candidate = response.candidates[0]
        text = _text_of(candidate)
        input_tokens, output_tokens = _usage(response)
        return Completion(
            text=text,
            input_tokens=input_tokens
            if input_tokens is not None
            else estimate_input_tokens(request),
            output_tokens=known(output_tokens, estimate_tokens(text)),
            latency_ms=watch.elapsed_ms(),
            finish_reason=self._finish(_finish_name(candidate), request.model),
            model=response.model_version or request.model,
            provider=self.name,
            raw_id=response.response_id or None,
        )

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamEvent]:
        watch = Stopwatch()
        deadline = Deadline(request.timeout_s)
        try:
            chunks = await self._clients.get().aio.models.generate_content_stream(
                **self._call(request)
            )
        except Exception as exc:
            raise self._map_error(exc, request.model) from exc

        parts: list[str] = []
        finish: str | None = None
        input_tokens: int | None = None
        output_tokens: int | None = None
        raw_id: str | None = None
        model = request.model
        iterator = chunks.__aiter__()
        try:
            while True:
                # Map only the SDK's reads; the consumer's exceptions pass the `yield` untouched.
                try:
                    chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as exc:
                    raise self._map_error(exc, request.model) from exc
                if deadline.expired():
                    raise ProviderTimeoutError(
                        self.name, request.model, "the stream ran past its time"
                    )
                self._check_blocked(chunk, request.model)
                raw_id = raw_id or chunk.response_id or None
                model = chunk.model_version or model
                chunk_in, chunk_out = _usage(chunk)
                input_tokens = chunk_in if chunk_in is not None else input_tokens
                output_tokens = chunk_out if chunk_out is not None else output_tokens
                for candidate in (chunk.candidates or [])[:1]:
                    if piece := _text_of(candidate):
                        parts.append(piece)
                        yield TextDelta(piece)
                    finish = _finish_name(candidate) or finish
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()

        if finish is None:
            # No finishReason in any chunk: the stream was cut. Never pass that off as complete.
            raise ProviderMalformedResponseError(self.name, request.model, "the stream ended early")
        text = "".join(parts)
        yield Completion(
            text=text,
            input_tokens=input_tokens
            if input_tokens is not None
            else estimate_input_tokens(request),
            output_tokens=known(output_tokens, estimate_tokens(text)),
            latency_ms=watch.elapsed_ms(),
            finish_reason=self._finish(finish, request.model),
            model=model,
            provider=self.name,
            raw_id=raw_id,
        )

    # --- mapping -----------------------------------------------------------------------------

    def _check_blocked(self, response: genai_types.GenerateContentResponse, model: str) -> None:
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            raise ProviderContentFilteredError(
                self.name, model, f"prompt blocked: {feedback.block_reason}"
            )

    def _finish(self, name: str | None, model: str) -> FinishReason:
        if name in _FILTERED:
            raise ProviderContentFilteredError(self.name, model, f"the answer was blocked ({name})")
        if name == "MAX_TOKENS":
            return "length"
        if name in _ERRORED:
            return "error"
        return "stop"

    def _map_error(self, exc: Exception, model: str) -> ProviderError:
        name = self.name
        if isinstance(exc, genai_errors.APIError):
            return self._map_api_error(exc, model)
        common = map_common_error(exc, name, model)
        if common is not None:
            return common
        if isinstance(exc, ValueError):
            return ProviderMalformedResponseError(
                name, model, f"unparseable response: {type(exc).__name__}"
            )
        raise exc

    def _map_api_error(self, exc: genai_errors.APIError, model: str) -> ProviderError:
        name, code = self.name, exc.code
        detail = exc.message or f"HTTP {code}"
        if code == 429:
            return ProviderRateLimitedError(name, model, detail, retry_after_s=_retry_after(exc))
        if code in (401, 403) or "API_KEY_INVALID" in str(exc.details):
            # An invalid key comes back as 400 INVALID_ARGUMENT with reason API_KEY_INVALID.
            return ProviderAuthError(name, model, detail)
        if code in (408, 504):
            return ProviderTimeoutError(name, model, detail)
        if isinstance(exc, genai_errors.ServerError) or code >= 500:
            return ProviderUnavailableError(name, model, detail)
        return ProviderBadRequestError(name, model, detail)


def _text_of(candidate: genai_types.Candidate) -> str:
    # Thought summaries are reasoning, not answer text; they never reach the debate.
    content = candidate.content
    if content is None or not content.parts:
        return ""
    return "".join(p.text for p in content.parts if p.text and not p.thought)


def _finish_name(candidate: genai_types.Candidate) -> str | None:
    reason = candidate.finish_reason
    if reason is None:
        return None
    return str(getattr(reason, "value", reason))


def _usage(response: genai_types.GenerateContentResponse) -> tuple[int | None, int | None]:
    meta = response.usage_metadata
    if meta is None:
        return None, None
    output = None
    if meta.candidates_token_count is not None or meta.thoughts_token_count is not None:
        output = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return meta.prompt_token_count, output


def _retry_after(exc: genai_errors.APIError) -> float | None:
    """Retry-After header if any, else the RetryInfo `retryDelay` ("30s") in the error body."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        from_header = parse_retry_after(headers)
        if from_header is not None:
            return from_header
    details = exc.details if isinstance(exc.details, dict) else {}
    error = details.get("error", details)
    items = error.get("details", []) if isinstance(error, dict) else []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("retryDelay"), str):
            match = _RETRY_DELAY.match(item["retryDelay"])
            if match:
                return float(match.group(1))
    return None
