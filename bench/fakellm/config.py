"""Configuration and counters of the fake provider server."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Fault = Literal[
    "rate_limit", "error", "timeout", "stall_start", "stall", "malformed", "truncate", "auth"
]
FAULTS: tuple[Fault, ...] = (
    "rate_limit",
    "error",
    "timeout",
    "stall_start",
    "stall",
    "malformed",
    "truncate",
    "auth",
)


@dataclass(frozen=True, slots=True)
class FakeLLMConfig:
    """Server behaviour. The defaults answer at once and never fail (what tests want)."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    latency_ms: int = 0  # before the response head
    tokens_per_second: float = 0.0  # 0: as fast as possible
    error_rate: float = 0.0  # share of requests answered 500
    rate_limit_every: int = 0  # every Nth request is answered 429 (0: never)
    retry_after: float = 2.0  # the Retry-After of those 429s, in seconds
    timeout_rate: float = 0.0  # share of requests that hang for `hang_s`, then drop
    malformed_rate: float = 0.0  # share answered with an unparseable body or SSE event
    truncate_rate: float = 0.0  # share whose body or stream stops half-way
    seed: int = 1
    hang_s: float = 30.0
    api_key: str | None = None  # when set, any other key is answered 401
    # Whether the server has a structured-output mode (OpenAI `json_schema` response format,
    # Anthropic `output_config.format`). Without one, a request that asks for it gets a 400,
    # as from a compatible server or model that lacks it.
    json_schema: bool = True


@dataclass(slots=True)
class Counters:
    requests: int = 0
    completed: int = 0
    streamed: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    timeouts: int = 0
    malformed: int = 0
    truncated: int = 0
    auth_failures: int = 0

    @property
    def errors_injected(self) -> int:
        return (
            self.rate_limited
            + self.server_errors
            + self.timeouts
            + self.malformed
            + self.truncated
            + self.auth_failures
        )

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "errors_injected": self.errors_injected}


_FAULT_COUNTER: dict[Fault, str] = {
    "rate_limit": "rate_limited",
    "error": "server_errors",
    "timeout": "timeouts",
    # A stream that opens and then goes silent is a hang too (before any text, or half-way).
    "stall_start": "timeouts",
    "stall": "timeouts",
    "malformed": "malformed",
    "truncate": "truncated",
    "auth": "auth_failures",
}


def fault_counter(fault: Fault) -> str:
    """The Counters field that counts this fault."""
    return _FAULT_COUNTER[fault]
