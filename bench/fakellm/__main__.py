"""`python -m bench.fakellm --port 8765 [--latency-ms 200] [--tokens-per-second 50] ...`"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Sequence

from bench.fakellm.config import FakeLLMConfig
from bench.fakellm.server import FakeLLM


def parse_args(argv: Sequence[str] | None = None) -> FakeLLMConfig:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fakellm",
        description="Fake OpenAI/Anthropic-protocol LLM server on 127.0.0.1 for benchmarks.",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=int, default=200, help="wait before answering")
    parser.add_argument("--tokens-per-second", type=float, default=50.0, help="0: no pacing")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share answered 500")
    parser.add_argument("--rate-limit-every", type=int, default=0, help="every Nth gets 429")
    parser.add_argument("--retry-after", type=float, default=2.0, help="Retry-After of 429s")
    parser.add_argument("--timeout-rate", type=float, default=0.0, help="share that hang")
    parser.add_argument("--hang-s", type=float, default=30.0, help="how long a hang lasts")
    parser.add_argument("--malformed-rate", type=float, default=0.0, help="share garbled")
    parser.add_argument("--truncate-rate", type=float, default=0.0, help="share cut half-way")
    parser.add_argument("--api-key", default=None, help="answer 401 to any other key")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    return FakeLLMConfig(
        port=args.port,
        latency_ms=args.latency_ms,
        tokens_per_second=args.tokens_per_second,
        error_rate=args.error_rate,
        rate_limit_every=args.rate_limit_every,
        retry_after=args.retry_after,
        timeout_rate=args.timeout_rate,
        hang_s=args.hang_s,
        malformed_rate=args.malformed_rate,
        truncate_rate=args.truncate_rate,
        api_key=args.api_key,
        seed=args.seed,
    )


async def serve(config: FakeLLMConfig) -> None:
    server = FakeLLM(config)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Handle both signals ourselves: a shell starts background jobs with SIGINT ignored, and
    # benchmark scripts stop the server with SIGTERM.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    base = f"http://{config.host}:{server.port}"
    print(f"fakellm on {base}  (OpenAI base_url {base}/v1, Anthropic base_url {base})")
    print(f"counters: GET {base}/stats   Ctrl-C (or SIGTERM) stops", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
        print(f"served: {server.counters().as_dict()}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
