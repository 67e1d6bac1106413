"""Debate efficiency: how close a debate comes to the time its provider calls must take.

A fake OpenAI-compatible server (`bench.fakellm`, its own process) answers every call exactly
L ms after it arrives. Debates run through the real pipeline (OpenAI SDK adapter, breaker,
retries, every database write, claim and finalization) with production settings. Definitions
(docs/PERFORMANCE.md):

- a wave is one stage's calls, made together (opening, each rebuttal round, judging, synthesis);
- the floor is L x the number of waves of the debate's plan: what no orchestrator can beat;
- efficiency = floor / wall time, wall from the claim to the end of finalization;
- overhead per call = (wall - floor) / calls.

Beside each shape, a plain-asyncio baseline makes the same waves (the same number of calls,
streamed, through one shared HTTP client) against the same server in the same run: the ratio
between the two is the figure that holds across machines. The server's own log (`GET /log`)
gives how far apart the calls of a wave arrived.

Each debate also reports what our own side spent: the process's CPU time and the database
queries it made (provider waiting excluded).

    python -m bench.bench_pipeline [--latency-ms 50,200,1000] [--shapes 3x1,4x1,5x3,8x2]
        [--runs 3] [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from accounts.models import Team, User

from bench.bench_capacity import production_env

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_pipeline.json"
MODELS = ["openai:gpt-5-mini", "openai:gpt-4.1-mini", "openai:gpt-4.1", "openai:gpt-5"]
ROLES = ["proponent", "skeptic", "pragmatist", "researcher", "devils_advocate"]


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


def _shape(text: str) -> tuple[int, int]:
    seats, rounds = text.lower().split("x")
    return int(seats), int(rounds)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", default="50,200,1000", help="comma-separated L values")
    parser.add_argument(
        "--shapes", default="3x1,4x1,5x3,8x2", help="seats x rebuttal rounds, comma-separated"
    )
    parser.add_argument("--runs", type=int, default=3, help="measured debates per case")
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server's admin URL: run on a scratch database there (default SQLite)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one 5x3 debate at 200 ms")
    parser.add_argument(
        "--profile-out", default="", help="also write the profile's stats there (for pstats)"
    )
    parser.add_argument(
        "--streamed-runs",
        type=int,
        default=2,
        help="debates streamed at the demo's pace, for their statements (0: none)",
    )
    parser.add_argument("--label", default="default", help="the results' key in the JSON file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = _parse_args()
    if args.child:
        _child(args)
        return
    # The benchmark runs in a child process whose whole environment is chosen here:
    # production settings (DEBUG off), a fresh SQLite file or PostgreSQL database, no .env.
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        database_url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        if args.database_url:
            database_url = stack.enter_context(_scratch_postgres(args.database_url))
        env = production_env(
            Path(tmp),
            DATABASE_URL=database_url,
            LLM_PROVIDERS="openai,demo",
            OPENAI_API_KEY="sk-bench-fake",
        )
        command = [sys.executable, "-m", "bench.bench_pipeline", "--child", *sys.argv[1:]]
        sys.exit(subprocess.run(command, env=env, check=False, cwd=ROOT).returncode)


class _scratch_postgres:
    """A PostgreSQL database of its own for the run, dropped afterwards."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"consultation_bench_{secrets.token_hex(4)}"

    def __enter__(self) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{self.name}"

    def __exit__(self, *exc: object) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- the child: Django set up, one fake server per latency ------------------------------------


def _child(args: argparse.Namespace) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connection

    call_command("migrate", verbosity=0)
    latencies = [int(v) for v in args.latency_ms.split(",") if v]
    shapes = [_shape(s) for s in args.shapes.split(",") if s]
    user, team = _owner()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "database": connection.vendor,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "load_before": [round(v, 2) for v in os.getloadavg()],
        "cases": [],
    }
    for latency in latencies:
        with _fake_server(latency) as base_url:
            provider = _provider(base_url)
            # The first debate of a fresh process pays the imports and first connections.
            first = _debate_once(user, team, provider, base_url, seats=2, rounds=1, latency=latency)
            results.setdefault("first_debate_wall_ms", {})[str(latency)] = first["wall_ms"]
            for seats, rounds in shapes:
                case = _case(args, user, team, provider, base_url, seats, rounds, latency)
                results["cases"].append(case)
                _print_case(case)
            if args.profile and latency == 200:
                _profile(user, team, provider, base_url, args.profile_out)
    if args.streamed_runs:
        results["streamed"] = _streamed(user, team, args.streamed_runs)
    results["load_after"] = [round(v, 2) for v in os.getloadavg()]
    _save(args.label, results)


def _owner() -> tuple[User, Team]:
    from accounts.models import User
    from accounts.selectors import active_team_for_user
    from accounts.services import user_create
    from billing.models import Plan

    # The benchmark measures the pipeline, not the plan's limits.
    Plan.objects.update(
        debates_per_month=None,
        tokens_per_month=None,
        cost_per_month_usd=None,
        concurrent_debates=1000,
        max_seats=8,
        max_rounds=3,
        allowed_tiers=[],
    )
    user = User.objects.filter(email="bench@example.com").first() or user_create(
        email="bench@example.com", password=None
    )
    team = active_team_for_user(user=user)
    assert team is not None
    return user, team


class _fake_server:
    """The fake provider in its own process, so its work does not compete for our GIL."""

    def __init__(self, latency_ms: int) -> None:
        self.latency_ms = latency_ms
        self.port = _free_port()

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.fakellm", "--port", str(self.port),
             "--latency-ms", str(self.latency_ms), "--tokens-per-second", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _provider(base_url: str) -> Any:
    from debates.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider("openai", "sk-bench-fake", base_url=f"{base_url}/v1")


def _server_log(base_url: str, *, clear: bool) -> list[dict[str, Any]]:
    assert base_url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(  # noqa: S310 (loopback, checked above)
        f"{base_url}/log", method="DELETE" if clear else "GET"
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        lines: list[dict[str, Any]] = json.loads(response.read())["requests"]
        return lines


def waves_of(lines: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The server's requests grouped into waves: a request joins the current wave when it
    arrived before any of the wave's answers was sent, else it starts the next one."""
    waves: list[list[dict[str, Any]]] = []
    for line in sorted(lines, key=lambda item: item["arrived"]):
        if waves and line["arrived"] < min(other["finished"] for other in waves[-1]):
            waves[-1].append(line)
        else:
            waves.append([line])
    return waves


@functools.cache
def _timed_pipeline_class() -> Any:
    from debates.orchestration.engine import DebatePipeline

    class TimedPipeline(DebatePipeline):
        """Notes when `close()` starts: `debate_run` calls it once finalization committed."""

        finalized: tuple[float, float] = (0.0, 0.0)

        async def close(self) -> None:
            self.finalized = (time.perf_counter(), time.time())
            await super().close()

    return TimedPipeline


def _debate_once(
    user: User,
    team: Team,
    provider: Any,
    base_url: str,
    *,
    seats: int,
    rounds: int,
    latency: int,
    count_queries: bool = True,
) -> dict[str, Any]:
    from django.db.backends.signals import connection_created

    from debates.orchestration.loop import debate_loop_install
    from debates.services.creation import SeatInput, debate_create
    from debates.services.running import debate_run

    debate = debate_create(
        user=user,
        team=team,
        question="Should a 20-person startup adopt a four-day week?",
        seats=[SeatInput(MODELS[i % len(MODELS)], ROLES[i % len(ROLES)]) for i in range(seats)],
        rounds=rounds,
        judges=["openai:gpt-5"],
        chair="openai:gpt-4.1",
        run_in_worker=False,
    )
    _server_log(base_url, clear=True)
    queries = 0

    def counted(execute: Callable[..., Any], *args: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(*args)

    def count_on(sender: object, connection: Any, **kwargs: object) -> None:
        # A pooled connection is "created" at each checkout: count it once.
        if count_queries and counted not in connection.execute_wrappers:
            connection.execute_wrappers.append(counted)

    # As the worker runs it (`--concurrency`): on the process's long-lived debate loop, its
    # database work on a thread (and connection) of its own, whose queries are counted.
    pipeline = _timed_pipeline_class()(providers=lambda _name: provider)
    loop = debate_loop_install()
    connection_created.connect(count_on)
    try:
        cpu = time.process_time()
        started, started_at = time.perf_counter(), time.time()
        status = loop.run(functools.partial(debate_run, pipeline=pipeline), debate.pk)
        # The debate's end is its finalization's commit (its last event published); the
        # breakers' bookkeeping after it is counted in the CPU, not in the wall.
        wall_ms = (pipeline.finalized[0] - started) * 1000
        ended_at = pipeline.finalized[1]
    finally:
        connection_created.disconnect(count_on)
        cpu_ms = (time.process_time() - cpu) * 1000
    assert status == "completed", status
    lines = _server_log(base_url, clear=True)
    waves = waves_of(lines)
    planned = rounds + 1 + 2  # turn stages, judging, synthesis
    floor_ms = latency * planned
    spread = [
        (max(line["arrived"] for line in wave) - min(line["arrived"] for line in wave)) * 1000
        for wave in waves
    ]
    # Our side of the critical path, from the server's clock: before the first wave, between
    # waves (last answer sent -> next wave's first request), after the last one.
    gaps = [
        (min(line["arrived"] for line in after) - max(line["finished"] for line in before)) * 1000
        for before, after in itertools.pairwise(waves)
    ]
    head_ms = (min(line["arrived"] for line in lines) - started_at) * 1000
    tail_ms = (ended_at - max(line["finished"] for line in lines)) * 1000
    return {
        "wall_ms": wall_ms,
        "head_ms": head_ms,
        "gaps_ms": gaps,
        "tail_ms": tail_ms,
        "floor_ms": floor_ms,
        "efficiency": floor_ms / wall_ms,
        "calls": len(lines),
        "waves": len(waves),
        "planned_waves": planned,
        "overhead_per_call_ms": (wall_ms - floor_ms) / max(len(lines), 1),
        "arrival_spread_ms": max(spread, default=0.0),
        "cpu_ms": cpu_ms,
        "queries": queries,
        "wave_sizes": [len(wave) for wave in waves],
    }


def baseline(base_url: str, wave_sizes: list[int], latency: int) -> dict[str, float]:
    """The same waves from a plain asyncio orchestrator: one shared HTTP client, each wave's
    calls streamed together, nothing stored."""
    import httpx2

    async def call(client: httpx2.AsyncClient, number: int) -> None:
        body = {
            "model": "gpt-5-mini",
            "stream": True,
            "messages": [
                {"role": "system", "content": "[task:turn] [role:proponent]"},
                {"role": "user", "content": f"[round:{number}] You are Seat A. Question?"},
            ],
        }
        async with client.stream("POST", f"{base_url}/v1/chat/completions", json=body) as reply:
            async for _line in reply.aiter_lines():
                pass

    async def run() -> float:
        async with httpx2.AsyncClient(timeout=30) as client:
            await call(client, 0)  # connections opened before the clock starts, as in a worker
            started = time.perf_counter()
            for number, size in enumerate(wave_sizes):
                await asyncio.gather(*(call(client, number) for _ in range(size)))
            return (time.perf_counter() - started) * 1000

    wall_ms = asyncio.run(run())
    floor_ms = latency * len(wave_sizes)
    return {"wall_ms": wall_ms, "efficiency": floor_ms / wall_ms}


def _case(
    args: argparse.Namespace,
    user: User,
    team: Team,
    provider: Any,
    base_url: str,
    seats: int,
    rounds: int,
    latency: int,
) -> dict[str, Any]:
    runs = [
        _debate_once(user, team, provider, base_url, seats=seats, rounds=rounds, latency=latency)
        for _ in range(args.runs)
    ]
    planned_sizes = [seats] * (rounds + 1) + [1, 1]
    plain: list[dict[str, Any]] = [
        dict(baseline(base_url, planned_sizes, latency)) for _ in range(args.runs)
    ]

    def median(key: str, items: list[dict[str, Any]] = runs) -> float:
        return round(float(statistics.median(item[key] for item in items)), 3)

    efficiency = median("efficiency")
    plain_efficiency = median("efficiency", plain)
    return {
        "shape": f"{seats} seats x {rounds} rounds",
        "seats": seats,
        "rounds": rounds,
        "latency_ms": latency,
        "calls": median("calls"),
        "waves": median("waves"),
        "planned_waves": rounds + 3,
        "efficiency": efficiency,
        "efficiency_runs": [round(run["efficiency"], 3) for run in runs],
        "wall_ms": median("wall_ms"),
        "floor_ms": latency * (rounds + 3),
        "overhead_per_call_ms": median("overhead_per_call_ms"),
        "arrival_spread_ms": median("arrival_spread_ms"),
        "head_ms": median("head_ms"),
        "gap_ms": round(statistics.median(gap for run in runs for gap in run["gaps_ms"]), 1),
        "tail_ms": median("tail_ms"),
        "cpu_ms": median("cpu_ms"),
        "queries": median("queries"),
        "baseline_efficiency": plain_efficiency,
        "ratio_to_baseline": round(efficiency / plain_efficiency, 3),
        "load": [round(v, 2) for v in os.getloadavg()],
    }


def _print_case(case: dict[str, Any]) -> None:
    print(
        f"{case['shape']:>20} L={case['latency_ms']:>4} ms  efficiency {case['efficiency']:.3f} "
        f"(runs {', '.join(f'{v:.3f}' for v in case['efficiency_runs'])})  "
        f"baseline {case['baseline_efficiency']:.3f}  ratio {case['ratio_to_baseline']:.3f}  "
        f"overhead/call {case['overhead_per_call_ms']:.1f} ms  "
        f"spread {case['arrival_spread_ms']:.1f} ms  head/gap/tail {case['head_ms']:.0f}/"
        f"{case['gap_ms']:.0f}/{case['tail_ms']:.0f} ms  waves {case['waves']:g}/"
        f"{case['planned_waves']}  cpu {case['cpu_ms']:.0f} ms  queries {case['queries']:g}  "
        f"load {case['load'][0]:.2f}",
        flush=True,
    )


def _profile(user: User, team: Team, provider: Any, base_url: str, out: str) -> None:
    """Our side of one 5x3 debate at 200 ms, by own time: where the pipeline's CPU goes."""
    import cProfile
    import pstats

    from debates.orchestration.loop import debate_loop_install

    # Switched on from the loop's thread; since Python 3.12 cProfile sees every thread
    # (sys.monitoring), so the database thread's writes are in it too.
    loop = debate_loop_install()._loop
    profiler = cProfile.Profile()
    done = threading.Event()

    def on_loop(switch: Callable[[], None]) -> None:
        def call() -> None:
            switch()
            done.set()

        done.clear()
        loop.call_soon_threadsafe(call)
        done.wait(5)

    on_loop(profiler.enable)
    _debate_once(user, team, provider, base_url, seats=5, rounds=3, latency=200)
    on_loop(profiler.disable)
    print("one 5 seats x 3 rounds debate at 200 ms (every thread):")
    stats = pstats.Stats(profiler)
    if out:
        stats.dump_stats(out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)


def _streamed(user: User, team: Team, runs: int) -> dict[str, Any]:
    """Statements and transactions of a 5 seats x 1 round debate whose answers stream at the
    demo provider's pace (40 tokens/s), as a live debate's do: what the text batches cost,
    which the fake server's one-burst answers never show."""
    from django.db.backends.signals import connection_created

    from debates.models import DebateEvent
    from debates.orchestration.engine import DebatePipeline
    from debates.orchestration.loop import debate_loop_install
    from debates.providers.demo.provider import DemoProvider
    from debates.services.creation import SeatInput, debate_create
    from debates.services.running import debate_run

    models = ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-pragmatist", "demo:demo-scout"]
    measured: list[dict[str, int]] = []
    counts = {"statements": 0, "transactions": 0}

    def counted(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        counts["statements"] += 1
        counts["transactions"] += sql.startswith("BEGIN")
        return execute(sql, *args)

    def count_on(sender: object, connection: Any, **kwargs: object) -> None:
        if counted not in connection.execute_wrappers:
            connection.execute_wrappers.append(counted)

    for _run in range(runs):
        debate = debate_create(
            user=user,
            team=team,
            question="Should a 20-person startup adopt a four-day week?",
            seats=[SeatInput(models[i % len(models)], ROLES[i]) for i in range(5)],
            rounds=1,
            judges=["demo:demo-scout"],
            chair="demo:demo-sage",
            run_in_worker=False,
        )
        counts.update(statements=0, transactions=0)
        pipeline = DebatePipeline(providers=lambda _name: DemoProvider(40))
        connection_created.connect(count_on)
        try:
            status = debate_loop_install().run(
                functools.partial(debate_run, pipeline=pipeline), debate.pk
            )
        finally:
            connection_created.disconnect(count_on)
        assert status == "completed", status
        deltas = DebateEvent.objects.filter(debate=debate, type="turn.delta").count()
        measured.append(counts | {"delta_events": deltas})
    result = {field: statistics.median(run[field] for run in measured) for field in measured[0]} | {
        "runs": measured
    }
    print(f"  5 seats x 1 round streamed at 40 tokens/s: {result}", flush=True)
    return result


def _save(label: str, results: dict[str, Any]) -> None:
    saved: dict[str, Any] = {}
    if RESULTS.exists():
        saved = json.loads(RESULTS.read_text())
    saved[f"{label}:{results['database']}"] = results
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)} [{label}:{results['database']}]")


def iter_cases(path: Path = RESULTS) -> Iterator[dict[str, Any]]:
    """Every recorded case (for docs and checks)."""
    for run in json.loads(path.read_text()).values():
        yield from run["cases"]


if __name__ == "__main__":
    main()
