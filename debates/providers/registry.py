"""Build providers by name from credentials the caller read from settings.

Instances are cached per (name, key, base URL, demo pace), so every debate that uses a
provider shares its SDK client and connection pools (one per event loop; see
`_common.PerLoop`). This is the only place providers are built and the only cache of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping

from debates.providers.base import Provider, ProviderNotConfiguredError
from debates.providers.demo import DemoProvider
from debates.providers.demo.provider import DEFAULT_TOKENS_PER_SECOND

PROVIDER_NAMES = ("openai", "anthropic", "gemini", "openrouter", "openai_compat", "demo")

# One cache for every provider the process builds, keyed by what configures it.
_cache: dict[tuple[str, str, str, float], Provider] = {}
_lock = threading.Lock()


def build_provider(
    provider_name: str,
    credentials: Mapping[str, str],
    *,
    enabled: Collection[str] | None = None,
    compat_base_url: str = "",
    compat_api_key: str = "",
    demo_tokens_per_second: float = DEFAULT_TOKENS_PER_SECOND,
) -> Provider:
    """The provider called `provider_name`, configured from `credentials` (name -> API key).

    The one way a provider is built (the pipeline's `engine.provider_for_settings` passes
    settings in): `credentials` is typically `settings.PROVIDER_CREDENTIALS` and `enabled`
    `settings.LLM_PROVIDERS` (None: every known provider). "demo" needs nothing but its pace.
    "openai_compat" needs a base URL: `compat_base_url`, else `credentials["openai_compat"]`
    (settings keeps the endpoint's URL there); its key is `compat_api_key`, optional because
    local servers (Ollama, llama.cpp) need none.

    Raises `ProviderNotConfiguredError` for an unknown or disabled name, or a missing key or URL.
    """
    if provider_name not in PROVIDER_NAMES:
        raise ProviderNotConfiguredError(provider_name, "", f"unknown provider {provider_name!r}")
    if enabled is not None and provider_name not in enabled:
        raise ProviderNotConfiguredError(provider_name, "", "provider not enabled")
    pace = 0.0
    if provider_name == "openai_compat":
        key = compat_api_key
        base_url = compat_base_url or credentials.get("openai_compat", "")
        if not base_url.startswith(("http://", "https://")):
            raise ProviderNotConfiguredError(
                provider_name, "", "no base URL for the OpenAI-compatible endpoint"
            )
    else:
        key = credentials.get(provider_name, "") if provider_name != "demo" else ""
        base_url = ""
        if provider_name == "demo":
            pace = demo_tokens_per_second
        elif not key:
            raise ProviderNotConfiguredError(provider_name, "", "no API key is configured")

    cache_key = (provider_name, key, base_url, pace)
    with _lock:
        provider = _cache.get(cache_key)
        if provider is None:
            provider = _FACTORIES[provider_name](key, base_url, pace)
            _cache[cache_key] = provider
    return provider


async def providers_aclose() -> None:
    """Close every cached provider's connections opened on the running loop (a worker's
    shared loop, when it stops)."""
    with _lock:
        providers = list(_cache.values())
    for provider in providers:
        close = getattr(provider, "aclose", None)
        if close is not None:
            await close()


def clear_provider_cache() -> None:
    """Forget cached instances (tests; after a key rotation)."""
    with _lock:
        _cache.clear()


def _openai(key: str, base_url: str, _pace: float) -> Provider:
    from debates.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider("openai", key)


def _openrouter(key: str, base_url: str, _pace: float) -> Provider:
    from debates.providers.openai_compat import OPENROUTER_BASE_URL, OpenAICompatProvider

    # OpenRouter ranks apps by these optional attribution headers.
    return OpenAICompatProvider(
        "openrouter",
        key,
        base_url=OPENROUTER_BASE_URL,
        extra_headers={"X-Title": "Consultation"},
    )


def _openai_compat(key: str, base_url: str, _pace: float) -> Provider:
    from debates.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider("openai_compat", key, base_url=base_url)


def _anthropic(key: str, base_url: str, _pace: float) -> Provider:
    from debates.providers.anthropic import AnthropicProvider

    return AnthropicProvider(key)


def _gemini(key: str, base_url: str, _pace: float) -> Provider:
    from debates.providers.gemini import GeminiProvider

    return GeminiProvider(key)


def _demo(key: str, base_url: str, pace: float) -> Provider:
    return DemoProvider(pace)


# SDK imports are deferred to first use: a debate with demo seats never loads three SDKs.
_FACTORIES: dict[str, Callable[[str, str, float], Provider]] = {
    "openai": _openai,
    "openrouter": _openrouter,
    "openai_compat": _openai_compat,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "demo": _demo,
}
