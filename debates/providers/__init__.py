"""The provider layer: one contract (base), one adapter per API, a registry and a retry layer.

Pure Python, no Django: callers pass keys and URLs read from settings. Import what you need from
here; the SDK adapters load their SDK only when a provider of that kind is first built.
"""

from debates.providers.base import (
    Completion,
    CompletionRequest,
    FinishReason,
    Message,
    MessageRole,
    Provider,
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderContentFilteredError,
    ProviderError,
    ProviderMalformedResponseError,
    ProviderNotConfiguredError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    StreamEvent,
    TextDelta,
    estimate_input_tokens,
    estimate_tokens,
)
from debates.providers.registry import (
    PROVIDER_NAMES,
    build_provider,
    clear_provider_cache,
)
from debates.providers.retry import call_with_retry

__all__ = [
    "PROVIDER_NAMES",
    "Completion",
    "CompletionRequest",
    "FinishReason",
    "Message",
    "MessageRole",
    "Provider",
    "ProviderAuthError",
    "ProviderBadRequestError",
    "ProviderContentFilteredError",
    "ProviderError",
    "ProviderMalformedResponseError",
    "ProviderNotConfiguredError",
    "ProviderRateLimitedError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "StreamEvent",
    "TextDelta",
    "build_provider",
    "call_with_retry",
    "clear_provider_cache",
    "estimate_input_tokens",
    "estimate_tokens",
]
