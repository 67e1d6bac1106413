"""Every SDK client of a process shares one TLS context: building one loads the CA bundle."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest

from debates.providers._common import tls_context
from debates.providers.anthropic import AnthropicProvider
from debates.providers.gemini import GeminiProvider
from debates.providers.openai_compat import OpenAICompatProvider


def test_clients_on_every_loop_load_no_certificates_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tls_context()  # the process's one load, whoever asks first
    loads: list[Any] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loads.append(args or kwargs)
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    providers: list[OpenAICompatProvider | AnthropicProvider | GeminiProvider] = [
        OpenAICompatProvider("openai", "key"),
        AnthropicProvider("key"),
        GeminiProvider("key"),
    ]

    async def clients_of_one_loop() -> None:
        for provider in providers:
            provider._clients.get()
        for provider in providers:
            await provider.aclose()

    asyncio.run(clients_of_one_loop())
    asyncio.run(clients_of_one_loop())

    # Without the shared context: eight loads (Gemini's SDK builds two contexts a client), and
    # a key's probe from a web request (a loop of its own) paid ~27 ms of CPU for its client.
    assert loads == []
