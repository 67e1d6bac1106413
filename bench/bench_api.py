"""API throughput: `GET /api/v1/debates/<id>/` with an API key, against `/healthz`.

Starts the real web process (Daphne, production settings, DEBUG off) in the embedded mode (a
scratch SQLite file) and the services mode (a scratch PostgreSQL database, a Redis database
number: the cache, so the rate limit is counted in Redis). A finished debate of 5 seats x 3
rounds (judges, synthesis; the demo provider) is what the clients read, served from the render
cache (debates.detail_cache) after the first request. A second one like it is marked running,
and a process appends an event to its log every `--event-ms` (a `turn.delta`, as a streaming
debate's seats do every DEBATE_DELTA_INTERVAL_SECONDS): each event is a new render, read once
from the rows and then served from the cache until the next. `--clients` threads send requests
for `--seconds`, first to `/healthz`, then to the finished debate, then to the running one,
`--rounds` times over; the figures are the ratios of the request rates in the same round
(they hold across machines), the median over the rounds.
The key is checked and the rate limit counted on every request (the plan's limit is set high
enough never to refuse one: the run checks that none was refused).

In-process, with Django's test client against the same database: the queries one request
makes, the CPU one request costs (median of `--samples`; served from the render cache, and
with the cache off: a render from the rows), and the microseconds of the key's verification
plus the rate check (median of 5 x 500, with the mode's cache).

    python -m bench.bench_api [--modes embedded,services] [--clients 16] [--seconds 5]
        [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bench_capacity import (
    SETUP,
    Processes,
    _free_port,
    _percentile,
    _request,
    _wait_healthy,
    production_env,
)
from bench.bench_pipeline import _scratch_postgres

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_api.json"
VENV_BIN = Path(sys.executable).parent

DEBATE = """
from asgiref.sync import async_to_sync
from accounts.models import User
from accounts.selectors import active_team_for_user
from debates.services.creation import SeatInput, debate_create
from debates.services.running import debate_run
user = User.objects.get(email="bench-capacity@example.com")
team = user.memberships.get(team__name="Capacity").team
models = ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-pragmatist", "demo:demo-scout"]
roles = ["proponent", "skeptic", "pragmatist", "researcher", "devils_advocate"]
debate = debate_create(
    user=user, team=team, question="Should a 20-person startup adopt a four-day week?",
    seats=[SeatInput(models[i % 4], roles[i]) for i in range(5)], rounds=3,
    judges=["demo:demo-scout", "demo:demo-sage"], chair="demo:demo-sage", run_in_worker=False,
)
assert async_to_sync(debate_run)(debate.pk) == "completed"
print(debate.pk)
"""

# The same debate again, then marked running (its log grows during the run: LOG_GROWS).
RUNNING = DEBATE.replace(
    "print(debate.pk)",
    "from debates.models import Debate\n"
    "Debate.objects.filter(pk=debate.pk).update(status='running', finished_at=None)\n"
    "print(debate.pk)",
)

# An event for the running debate every INTERVAL seconds, COUNT times at most: what moves a
# running debate's render key (every column of its row is in it, `last_seq` included).
LOG_GROWS = """
import time
from django.db import transaction
from debates import events
from debates.events import event_append
from debates.models import Seat
seat = Seat.objects.filter(debate_id="DEBATE_ID").order_by("position").first()
for _ in range(COUNT):
    with transaction.atomic():
        delta = events.turn_delta(seat=seat.pk, round=1, text="x")
        event_append(debate_id="DEBATE_ID", event=delta)
    time.sleep(INTERVAL)
"""

# Queries and CPU of one request, in-process (the same view, middleware and database).
PROFILE = """
import statistics, time
from django.db import connection
from django.test import Client
client = Client(HTTP_AUTHORIZATION="Bearer KEY", HTTP_HOST="127.0.0.1")
url = "/api/v1/debates/DEBATE_ID/"
for _ in range(5):
    assert client.get(url).status_code == 200
queries = []
def counted(execute, sql, params, many, context):
    queries.append(sql)
    return execute(sql, params, many, context)
with connection.execute_wrapper(counted):
    assert client.get(url).status_code == 200
cpu = []
for _ in range(SAMPLES):
    started = time.process_time()
    client.get(url)
    cpu.append((time.process_time() - started) * 1000)
# What every keyed request pays first: the key's verification and the rate check, with this
# mode's cache (Redis in the services mode).
from apikeys.authentication import authenticate_key
from apikeys.throttling import rate_check
def both():
    _user, api_key = authenticate_key("KEY")
    rate_check(api_key=api_key, user=None, team=None, ip="")
for _ in range(100):
    both()
runs = []
for _ in range(5):
    started = time.perf_counter()
    for _ in range(500):
        both()
    runs.append((time.perf_counter() - started) / 500 * 1e6)
cached_queries = len(queries)
from django.test import override_settings
with override_settings(API_DETAIL_CACHE_SECONDS=0):
    uncached = []
    for _ in range(SAMPLES):
        started = time.process_time()
        client.get(url)
        uncached.append((time.process_time() - started) * 1000)
    del queries[:]
    with connection.execute_wrapper(counted):
        assert client.get(url).status_code == 200
print(
    cached_queries, round(statistics.median(cpu), 2), round(statistics.median(runs), 1),
    len(queries), round(statistics.median(uncached), 2),
)
"""


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="embedded,services")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument(
        "--event-ms", type=int, default=300, help="an event of the running debate this often"
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--label", default="default")
    return parser.parse_args()


def main() -> None:
    args = _parse_args()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": args.clients,
        "seconds": args.seconds,
        "load_before": [round(v, 2) for v in os.getloadavg()],
    }
    for mode in [m for m in args.modes.split(",") if m]:
        results[mode] = _run(mode, args)
        print(f"{mode:>9}: {results[mode]}", flush=True)
    results["load_after"] = [round(v, 2) for v in os.getloadavg()]
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved[args.label] = results
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)} [{args.label}]")


def _env(tmp: Path, port: int) -> dict[str, str]:
    return production_env(tmp, site_url=f"http://127.0.0.1:{port}", DEMO_TOKENS_PER_SECOND="0")


def _run(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        port = _free_port()
        env = _env(tmp, port)
        if mode == "services":
            env["DATABASE_URL"] = stack.enter_context(_scratch_postgres(args.database_url))
            env["REDIS_URL"] = args.redis_url
            import redis

            redis.Redis.from_url(args.redis_url).flushdb()
        processes = stack.enter_context(Processes(env, tmp))
        processes.run("manage.py", "migrate", "--noinput", "-v", "0", timeout=300)
        key = processes.shell(SETUP)
        debate_id = processes.shell(DEBATE)
        running_id = processes.shell(RUNNING)
        profile = PROFILE.replace("KEY", key).replace("SAMPLES", str(args.samples))
        queries, cpu_ms, key_us, uncached_queries, uncached_cpu_ms = processes.shell(
            profile.replace("DEBATE_ID", debate_id)
        ).split()
        running_queries, running_cpu_ms, _key_us, _queries, _cpu_ms = processes.shell(
            profile.replace("DEBATE_ID", running_id)
        ).split()
        # Bounded: enough events for every round's loads, and a few more.
        events = int(args.rounds * 4 * (args.seconds + 5) / (args.event_ms / 1000))
        processes.start(
            f"{mode}-log-grows",
            [sys.executable, "manage.py", "shell", "-c",
             LOG_GROWS.replace("DEBATE_ID", running_id).replace("COUNT", str(events))
             .replace("INTERVAL", str(args.event_ms / 1000))],
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        processes.start(
            f"{mode}-web",
            [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
             "consultation.asgi:application"],
        )  # fmt: skip
        _wait_healthy(url, processes)
        rounds = []
        for _round in range(args.rounds):
            health = _load(f"{url}/healthz", None, args)
            detail = _load(f"{url}/api/v1/debates/{debate_id}/", key, args)
            running = _load(f"{url}/api/v1/debates/{running_id}/", key, args)
            rounds.append((health, detail, running))
        processes.alive()
    health_rps = statistics.median(r[0]["requests_per_second"] for r in rounds)
    detail_rps = statistics.median(r[1]["requests_per_second"] for r in rounds)
    running_rps = statistics.median(r[2]["requests_per_second"] for r in rounds)

    def ratio(column: int) -> float:
        # Each round's loads run back to back, so a round's ratio shares its moment's load
        # (the machine is shared): the median of the rounds' ratios, not of their rates.
        per_round = [
            r[column]["requests_per_second"] / r[0]["requests_per_second"]
            for r in rounds
            if r[0]["requests_per_second"]
        ]
        return round(statistics.median(per_round), 3) if per_round else 0.0

    return {
        "healthz": rounds[-1][0],
        "debate_detail": rounds[-1][1],
        "running_debate_detail": rounds[-1][2],
        "healthz_rps_median": round(health_rps, 1),
        "debate_detail_rps_median": round(detail_rps, 1),
        "running_debate_detail_rps_median": round(running_rps, 1),
        "ratio": ratio(1),
        "running_ratio": ratio(2),
        "ratios_per_round": [
            round(r[1]["requests_per_second"] / r[0]["requests_per_second"], 3)
            for r in rounds
            if r[0]["requests_per_second"]
        ],
        "queries_per_request": int(queries),
        "running_queries_per_request": int(running_queries),
        "cpu_ms_per_request": float(cpu_ms),
        "running_cpu_ms_per_request": float(running_cpu_ms),
        "uncached_queries_per_request": int(uncached_queries),
        "uncached_cpu_ms_per_request": float(uncached_cpu_ms),
        "running_events_every_ms": args.event_ms,
        "key_and_rate_check_us": float(key_us),
        "load": [round(v, 2) for v in os.getloadavg()],
    }


def _load(url: str, key: str | None, args: argparse.Namespace) -> dict[str, Any]:
    """`--clients` threads requesting `url` for `--seconds` (after a warm-up)."""
    for _ in range(10):
        _get(url, key)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def client(_number: int) -> None:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            status = _get(url, key)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        list(pool.map(client, range(args.clients)))
    elapsed = time.monotonic() - started
    return {
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
    }


def _get(url: str, key: str | None) -> int:
    if key is None:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
    return _request(url, key)[0]


if __name__ == "__main__":
    main()
