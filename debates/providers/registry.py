"""Build providers by name from credentials the caller read from settings.

Instances are cached per (name, key, base URL), so every debate that uses a provider shares its
SDK client and connection pools (one per event loop; see `_common.PerLoop`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from debates.providers.base import Provider, ProviderNotConfiguredError
from debates.providers.demo import DemoProvider

PROVIDER_NAMES = ("openai", "anthropic", "gemini", "openrouter", "openai_compat", "demo")

_cache: dict[tuple[str, str, str], Provider] = {}
_lock = threading.Lock()


def build_provider(
    provider_name: str,
    credentials: Mapping[str, str],
    *,
    compat_base_url: str = "",
    compat_api_key: str = "",
) -> Provider:
    """The provider called `provider_name`, configured from `credentials` (name -> API key).

    `credentials` is typically `settings.PROVIDER_CREDENTIALS`. "demo" needs nothing.
    "openai_compat" needs a base URL: `compat_base_url`, else `credentials["openai_compat"]`
    (settings keeps the endpoint's URL there); its key is `compat_api_key`, optional because
    local servers (Ollama, llama.cpp) need none.

    Raises `ProviderNotConfiguredError` for an unknown name or a missing key or URL.
    """
    if provider_name not in PROVIDER_NAMES:
        raise ProviderNotConfiguredError(provider_name, "", f"unknown provider {provider_name!r}")
    if provider_name == "openai_compat":
        key = compat_api_key
        base_url = compat_base_url or credentials.get("openai_compat", "")
        if not base_url.startswith(("http://", "https://")):
            raise ProviderNotConfiguredError(
                provider_name, "", "no base URL for the OpenAI-compatible endpoint"
            )
    else:
        key = credentials.get(provider_name, "")
        base_url = ""
        if not key and provider_name != "demo":
            raise ProviderNotConfiguredError(provider_name, "", "no API key is configured")

    cache_key = (provider_name, key, base_url)
    with _lock:
        provider = _cache.get(cache_key)
        if provider is None:
            provider = _FACTORIES[provider_name](key, base_url)
            _cache[cache_key] = provider
    return provider


def clear_provider_cache() -> None:
    """Forget cached instances (tests; after a key rotation)."""
    with _lock:
        _cache.clear()


def _openai(key: str, base_url: str) -> Provider:
    from debates.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider("openai", key)


def _openrouter(key: str, base_url: str) -> Provider:
    from debates.providers.openai_compat import OPENROUTER_BASE_URL, OpenAICompatProvider

    # OpenRouter ranks apps by these optional attribution headers.
    return OpenAICompatProvider(
        "openrouter",
        key,
        base_url=OPENROUTER_BASE_URL,
        extra_headers={"X-Title": "Consultation"},
    )


def _openai_compat(key: str, base_url: str) -> Provider:
    from debates.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider("openai_compat", key, base_url=base_url)


def _anthropic(key: str, base_url: str) -> Provider:
    from debates.providers.anthropic import AnthropicProvider

    return AnthropicProvider(key)


def _gemini(key: str, base_url: str) -> Provider:
    from debates.providers.gemini import GeminiProvider

    return GeminiProvider(key)


def _demo(key: str, base_url: str) -> Provider:
    return DemoProvider()


# SDK imports are deferred to first use: a debate with demo seats never loads three SDKs.
_FACTORIES: dict[str, Callable[[str, str], Provider]] = {
    "openai": _openai,
    "openrouter": _openrouter,
    "openai_compat": _openai_compat,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "demo": _demo,
}
