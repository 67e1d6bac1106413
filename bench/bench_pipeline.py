"""How much the pipeline adds to the model calls themselves.

A debate of 5 seats x 3 rebuttal rounds (opening, 3 rebuttals, judging, synthesis: 6 stages)
runs against the fake OpenAI-compatible server with 200 ms latency per call, through the real
OpenAI SDK adapter, the breaker, the retry layer and the database writes. The floor is the sum
over stages of each stage's slowest call (seats of a stage run concurrently); the figure is
wall time / floor, which should stay at or below ~1.1.

    python -m bench.bench_pipeline [--latency-ms 200] [--seats 5] [--rounds 3] [--runs 3]
"""

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from debates.providers.base import TextDelta

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from debates.models import Debate
    from debates.providers.base import Completion, CompletionRequest, Provider, StreamEvent


def _setup_django() -> None:
    """In the child process: its environment (set by main) points Django at a fresh file."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--run-syncdb", verbosity=0)


class Timed:
    """Wraps a provider and times each call, grouped by stage (task tag and round)."""

    def __init__(self, inner: "Provider") -> None:
        self.inner = inner
        self.name = inner.name
        self.by_stage: dict[str, list[float]] = {}

    def _record(self, request: "CompletionRequest", started: float) -> None:
        task = re.search(r"\[task:(\w+)\]", request.system_text)
        number = re.search(r"\[round:(\d+)\]", request.messages[-1].content)
        stage = f"{task.group(1) if task else '?'}:{number.group(1) if number else ''}"
        self.by_stage.setdefault(stage, []).append((time.perf_counter() - started) * 1000)

    async def complete(self, request: "CompletionRequest") -> "Completion":
        started = time.perf_counter()
        completion = await self.inner.complete(request)
        self._record(request, started)
        return completion

    async def aclose(self) -> None:
        await self.inner.aclose()  # type: ignore[attr-defined]

    async def stream(self, request: "CompletionRequest") -> "AsyncIterator[StreamEvent]":
        started = time.perf_counter()
        async for event in self.inner.stream(request):
            if not isinstance(event, TextDelta):
                self._record(request, started)
            yield event


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    raise RuntimeError(f"the fake LLM server did not listen on {port} within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument(
        "--tokens-per-second", type=float, default=0, help="the server's pace (0: one burst)"
    )
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="print each run's event timeline")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if not args.child:
        # The benchmark runs in a child process whose whole environment is chosen here: a
        # fresh SQLite file, the openai provider enabled (served by the fake server), no .env.
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                "HOME": tmp,
                "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
                "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                "LLM_PROVIDERS": "openai,demo",
                "OPENAI_API_KEY": "sk-bench-fake",
                "LOG_LEVEL": "WARNING",
            }
            command = [sys.executable, "-m", "bench.bench_pipeline", "--child", *sys.argv[1:]]
            sys.exit(subprocess.run(command, env=env, check=False).returncode)
    _setup_django()
    ratios = [run_once(args) for _ in range(args.runs)]
    print(
        f"pipeline overhead: wall / sum of stages' slowest calls = "
        f"median {statistics.median(ratios):.3f} (runs: {', '.join(f'{r:.3f}' for r in ratios)})"
    )


def run_once(args: argparse.Namespace) -> float:
    from asgiref.sync import async_to_sync

    from accounts.models import User
    from accounts.selectors import active_team_for_user
    from accounts.services import user_create
    from debates.orchestration.engine import DebatePipeline
    from debates.providers.openai_compat import OpenAICompatProvider
    from debates.services.creation import SeatInput, debate_create
    from debates.services.running import debate_run

    models = ["openai:gpt-5-mini", "openai:gpt-4.1-mini", "openai:gpt-4.1", "openai:gpt-5"]
    user = User.objects.filter(email="bench@example.com").first() or user_create(
        email="bench@example.com", password=None
    )
    team = active_team_for_user(user=user)
    assert team is not None
    roles = ["proponent", "skeptic", "pragmatist", "researcher", "devils_advocate"]
    debate = debate_create(
        user=user,
        team=team,
        question="Should a 20-person startup adopt a four-day week?",
        seats=[
            SeatInput(models[i % len(models)], roles[i % len(roles)]) for i in range(args.seats)
        ],
        rounds=args.rounds,
        judges=["openai:gpt-5"],
        chair="openai:gpt-4.1",
        run_in_worker=False,
    )
    # The server runs in its own process, so its work does not compete for this one's GIL.
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.fakellm", "--port", str(port),
         "--latency-ms", str(args.latency_ms),
         "--tokens-per-second", str(args.tokens_per_second)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_port(port)
        provider = Timed(
            OpenAICompatProvider("openai", "sk-bench-fake", base_url=f"http://127.0.0.1:{port}/v1")
        )
        pipeline = DebatePipeline(providers=lambda _name: provider)
        started = time.perf_counter()
        status = async_to_sync(debate_run)(debate.pk, pipeline=pipeline)
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert status == "completed", status
    # Each stage's slowest call, timed around the adapter from request to final completion.
    floor_ms = sum(max(durations) for durations in provider.by_stage.values())
    ratio: float = wall * 1000 / floor_ms
    print(f"  wall {wall * 1000:.0f} ms, floor {floor_ms:.0f} ms, ratio {ratio:.3f}")
    if args.stages:
        _print_stages(debate)
    return ratio


def _print_stages(debate: "Debate") -> None:
    """Where the time goes: each stage's span next to its slowest call, from the event log."""
    from debates.models import DebateEvent

    events = list(DebateEvent.objects.filter(debate=debate).order_by("seq"))
    start = events[0].created_at
    for event in events:
        if event.type in ("turn.delta",):
            continue
        offset = (event.created_at - start).total_seconds() * 1000
        payload = event.payload
        detail = " ".join(
            str(payload[k])
            for k in ("stage", "round", "label", "latency_ms")
            if payload.get(k) is not None
        )
        print(f"    {offset:8.1f} ms  {event.type:20} {detail}")


if __name__ == "__main__":
    main()
