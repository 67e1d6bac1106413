"""The fake provider server on a background thread, for tests: `with FakeLLMServer() as s:`."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from bench.fakellm.config import Counters, FakeLLMConfig, Fault
from bench.fakellm.server import FakeLLM


class FakeLLMServer:
    """`with FakeLLMServer(config) as server:` serves on a free port on a background thread."""

    def __init__(self, config: FakeLLMConfig | None = None) -> None:
        self.core = FakeLLM(config or FakeLLMConfig())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.core.config.host}:{self.core.port}"

    @property
    def openai_base_url(self) -> str:
        """What an OpenAI client takes as base_url (the SDK appends /chat/completions)."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """What an Anthropic client takes as base_url (the SDK appends /v1/messages)."""
        return self.base_url

    @property
    def counters(self) -> Counters:
        return self.core.counters()

    def inject(self, *faults: Fault) -> None:
        self.core.inject(*faults)

    def reset_counters(self) -> None:
        self.core.reset_counters()

    def configure(self, **changes: Any) -> None:
        """Change the running server's behaviour (e.g. end a storm: `rate_limit_every=0`); the
        next request sees it. The port and host stay what they were."""
        self.core.config = replace(self.core.config, **changes)

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="fakellm", daemon=True)
        self._thread.start()
        self._started.wait(timeout=10)
        if self._error is not None:
            raise RuntimeError("the fake LLM server did not start") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self.core.start())
        except OSError as exc:  # e.g. the port is taken: reported to the starting thread
            self._error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        loop.run_forever()
        loop.run_until_complete(self.core.stop())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
