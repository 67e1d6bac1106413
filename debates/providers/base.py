"""The provider contract: what the debate pipeline sends to a model and what it gets back.

Every adapter (OpenAI-compatible, Anthropic, Gemini, demo) speaks this vocabulary and nothing of
its SDK leaks past its own module: the pipeline sees `Completion`, `TextDelta` and the
`ProviderError` tree only. Pure Python: no Django, no ORM, no environment reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

MessageRole = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "content_filter", "error"]


@dataclass(frozen=True, slots=True)
class Message:
    role: MessageRole
    content: str


@dataclass(frozen=True, slots=True)
class StructuredOutput:
    """A JSON Schema the answer must follow, for the providers' structured-output modes
    (OpenAI-compatible `json_schema` response format, Anthropic `output_config.format`, Gemini
    `response_json_schema`). Written for their common subset: every object closed
    (`additionalProperties: false`) with all its properties required, no numeric bounds (the
    caller checks ranges). A server that refuses the schema answers 400
    (`ProviderBadRequestError`); the caller may then ask again without it."""

    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """One model call. `timeout_s` bounds the whole call, streaming included."""

    model: str
    messages: tuple[Message, ...]
    temperature: float = 0.7
    max_output_tokens: int = 1024
    timeout_s: float = 60.0
    # Ask for a JSON object. The prompt must still say "JSON": OpenAI rejects json_object mode
    # otherwise, and Anthropic has no schema-less JSON mode, so it relies on the prompt alone.
    response_format_json: bool = False
    # Ask for JSON that follows this schema, where the provider can enforce one (it implies
    # `response_format_json`; the prompt still describes the shape, for the others).
    structured: StructuredOutput | None = None

    @property
    def system_text(self) -> str:
        """All system messages joined: providers with a separate system field take this."""
        return "\n\n".join(m.content for m in self.messages if m.role == "system")

    @property
    def conversation(self) -> tuple[Message, ...]:
        """The non-system messages, in order."""
        return tuple(m for m in self.messages if m.role != "system")


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    latency_ms: int
    finish_reason: FinishReason
    model: str
    provider: str
    raw_id: str | None
    # True for the offline demo provider, so the UI can label its text and billing can skip it.
    demo: bool = False


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of streamed text; the pieces of one stream concatenate to the final text."""

    text: str


# A stream yields TextDelta events, then exactly one Completion as its last event.
StreamEvent = TextDelta | Completion


@runtime_checkable
class Provider(Protocol):
    """An LLM endpoint. Implementations raise only `ProviderError` subclasses for known failures."""

    name: str

    async def complete(self, request: CompletionRequest) -> Completion: ...

    def stream(self, request: CompletionRequest) -> AsyncIterator[StreamEvent]:
        """Yield `TextDelta`s as text arrives, then the final `Completion`.

        A stream that ends early (no final event from the server) raises instead of returning a
        silently short answer.
        """
        ...


def estimate_tokens(text: str) -> int:
    """Rough token count (~4 characters a token) for servers that report no usage."""
    return (len(text) + 3) // 4 if text else 0


def estimate_input_tokens(request: CompletionRequest) -> int:
    return sum(estimate_tokens(m.content) for m in request.messages)


# --- Errors ----------------------------------------------------------------------------------


@dataclass(eq=False)
class ProviderError(Exception):
    """A failed provider call. `retryable` tells the retry layer whether trying again can help.

    `code` is stable (logs, metrics and the pipeline's AppError mapping key on it).
    """

    provider: str
    model: str
    message: str
    retryable: bool = False
    code: ClassVar[str] = "provider_error"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        # Exception pickling replays `args` (the message alone); rebuild from the fields instead,
        # so errors survive a trip through a task queue or a process pool.
        return (_rebuild_error, (type(self), asdict(self)))


@dataclass(eq=False)
class ProviderRateLimitedError(ProviderError):
    retryable: bool = True
    # Seconds the provider asked us to wait (Retry-After), when it said.
    retry_after_s: float | None = None
    code: ClassVar[str] = "provider_rate_limited"


@dataclass(eq=False)
class ProviderTimeoutError(ProviderError):
    retryable: bool = True
    code: ClassVar[str] = "provider_timeout"


@dataclass(eq=False)
class ProviderUnavailableError(ProviderError):
    """5xx, overload, refused or dropped connection."""

    retryable: bool = True
    code: ClassVar[str] = "provider_unavailable"


@dataclass(eq=False)
class ProviderAuthError(ProviderError):
    retryable: bool = False
    code: ClassVar[str] = "provider_auth_failed"


@dataclass(eq=False)
class ProviderBadRequestError(ProviderError):
    """The provider rejected the request itself (unknown model, bad parameter, too long)."""

    retryable: bool = False
    code: ClassVar[str] = "provider_bad_request"


@dataclass(eq=False)
class ProviderContentFilteredError(ProviderError):
    retryable: bool = False
    code: ClassVar[str] = "provider_content_filtered"


@dataclass(eq=False)
class ProviderMalformedResponseError(ProviderError):
    """Garbled, truncated or unparseable body: usually transient, so worth one more try."""

    retryable: bool = True
    code: ClassVar[str] = "provider_malformed_response"


@dataclass(eq=False)
class ProviderNotConfiguredError(ProviderError):
    """Unknown provider name, or a known one without the credentials it needs."""

    retryable: bool = False
    code: ClassVar[str] = "provider_not_configured"


def _rebuild_error(cls: type[ProviderError], fields: dict[str, object]) -> ProviderError:
    return cls(**fields)  # type: ignore[arg-type]
