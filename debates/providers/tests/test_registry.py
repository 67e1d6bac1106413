"""Building providers by name from settings-style credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from debates.providers.anthropic import AnthropicProvider
from debates.providers.base import ProviderNotConfiguredError
from debates.providers.demo import DemoProvider
from debates.providers.gemini import GeminiProvider
from debates.providers.openai_compat import OPENROUTER_BASE_URL, OpenAICompatProvider
from debates.providers.registry import (
    PROVIDER_NAMES,
    build_provider,
    clear_provider_cache,
)

CREDENTIALS = {
    "demo": "offline",
    "openai": "sk-openai",
    "anthropic": "sk-ant",
    "gemini": "AIza",
    "openrouter": "sk-or",
    "openai_compat": "http://127.0.0.1:11434/v1",
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_provider_cache()
    yield
    clear_provider_cache()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("demo", DemoProvider),
        ("openai", OpenAICompatProvider),
        ("openrouter", OpenAICompatProvider),
        ("openai_compat", OpenAICompatProvider),
        ("anthropic", AnthropicProvider),
        ("gemini", GeminiProvider),
    ],
)
def test_builds_each_known_provider(name: str, kind: type) -> None:
    provider = build_provider(name, CREDENTIALS)

    assert isinstance(provider, kind)
    assert provider.name == name


def test_every_listed_name_is_buildable() -> None:
    assert {build_provider(n, CREDENTIALS).name for n in PROVIDER_NAMES} == set(PROVIDER_NAMES)


def test_openrouter_and_compat_point_at_their_endpoints() -> None:
    openrouter = build_provider("openrouter", CREDENTIALS)
    compat = build_provider("openai_compat", {}, compat_base_url="http://localhost:8000/v1")

    assert isinstance(openrouter, OpenAICompatProvider)
    assert openrouter.base_url == OPENROUTER_BASE_URL
    assert isinstance(compat, OpenAICompatProvider)
    assert compat.base_url == "http://localhost:8000/v1"
    # Self-hosted servers speak the older field; OpenAI itself wants the newer one.
    assert compat.max_tokens_field == "max_tokens"
    openai = build_provider("openai", CREDENTIALS)
    assert isinstance(openai, OpenAICompatProvider)
    assert openai.max_tokens_field == "max_completion_tokens"


def test_instances_are_cached_per_name_and_key() -> None:
    first = build_provider("openai", CREDENTIALS)

    assert build_provider("openai", dict(CREDENTIALS)) is first
    assert build_provider("openai", {**CREDENTIALS, "openai": "sk-other"}) is not first


def test_demo_needs_no_credentials() -> None:
    assert isinstance(build_provider("demo", {}), DemoProvider)


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(ProviderNotConfiguredError, match="unknown provider"):
        build_provider("mistral", CREDENTIALS)


@pytest.mark.parametrize("name", ["openai", "anthropic", "gemini", "openrouter"])
def test_provider_without_a_key_is_refused(name: str) -> None:
    with pytest.raises(ProviderNotConfiguredError, match="no API key"):
        build_provider(name, {**CREDENTIALS, name: ""})


def test_compat_without_a_base_url_is_refused() -> None:
    with pytest.raises(ProviderNotConfiguredError, match="base URL"):
        build_provider("openai_compat", {"openai_compat": ""})


def test_a_provider_not_enabled_is_refused() -> None:
    with pytest.raises(ProviderNotConfiguredError, match="not enabled"):
        build_provider("openai", CREDENTIALS, enabled=["demo"])


def test_demo_is_cached_per_pace() -> None:
    slow = build_provider("demo", {}, demo_tokens_per_second=5)
    fast = build_provider("demo", {}, demo_tokens_per_second=0)

    assert isinstance(slow, DemoProvider)
    assert slow.tokens_per_second == 5
    assert build_provider("demo", {}, demo_tokens_per_second=5) is slow
    assert fast is not slow
