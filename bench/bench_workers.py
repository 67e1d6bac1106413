"""Concurrent debates through the real worker path: wall time, efficiency, workers' memory.

The fake OpenAI-compatible server (its own process) answers every call `--latency-ms` after it
arrives. `--workers` worker processes (`manage.py worker --concurrency C`, C = the debates at
once / workers, rounded up) run N debates created together (4 seats x 1 round, a judge and
the chair: 4 waves, so the floor is 4 x L), through the `openai_compat` provider, with
production settings. For each N:

- the N debates are created first (queued), then the workers start and take them together;
- wall: from the first debate's start (its claim) to the last one's finalization (database
  clocks), and floor / wall for the whole batch;
- efficiency of each debate: floor / (its finalization - its claim), the median and the
  worst; the start spread: how long after the first one the others got a slot;
- peak resident memory (RSS, /proc) of the worker processes together, sampled every 0.1 s.

Modes: `embedded` (a scratch SQLite file, the database task queue) and `services` (a scratch
PostgreSQL database and a Redis database number, RQ). Results: bench/results/bench_workers.json.

    python -m bench.bench_workers [--counts 1,10,50,100] [--modes embedded,services]
        [--workers 2] [--latency-ms 1000] [--database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bench_capacity import Processes, _free_port, production_env
from bench.bench_pipeline import _scratch_postgres, _wait_for_port

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_workers.json"
VENV_BIN = Path(sys.executable).parent
MODEL = "openai_compat:llama3.1:8b"
WAVES = 4  # opening, one rebuttal round, judging, synthesis

SETUP = """
from accounts.services import user_create
from billing.models import Plan
Plan.objects.update(debates_per_month=None, tokens_per_month=None, cost_per_month_usd=None,
    concurrent_debates=1000, api_requests_per_minute=10**9)
user_create(email="bench-workers@example.com", password=None)
print("ok")
"""

# Creates N debates (queued: the workers are not started yet) and prints their ids.
CREATE = """
from accounts.models import User
from accounts.selectors import active_team_for_user
from debates.services.creation import SeatInput, debate_create
ROLES = ("proponent", "skeptic", "pragmatist", "researcher")
user = User.objects.get(email="bench-workers@example.com")
team = active_team_for_user(user=user)
print(",".join(
    str(debate_create(user=user, team=team, question=f"Should we adopt a four-day week? ({n})",
        seats=[SeatInput(MODEL, role) for role in ROLES],
        rounds=1, judges=[MODEL], chair=MODEL).pk)
    for n in range(COUNT)
))
"""

# Waits (bounded) for those debates to finish; prints their timings as JSON.
WAIT = """
import json, time
from debates.models import Debate
ids = IDS
deadline = time.monotonic() + DEADLINE
while time.monotonic() < deadline:
    if not Debate.objects.filter(pk__in=ids, finalized_at__isnull=True).exists():
        break
    time.sleep(0.2)
rows = Debate.objects.filter(pk__in=ids).values_list("status", "started_at", "finalized_at")
print(json.dumps([[s, b.timestamp() if b else None, f.timestamp() if f else None]
                  for s, b, f in rows]))
"""


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1,10,50,100", help="debates at once, comma-separated")
    parser.add_argument("--modes", default="embedded,services")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--latency-ms", type=int, default=1000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--label", default="default")
    return parser.parse_args()


def main() -> None:
    args = _parse_args()
    counts = [int(v) for v in args.counts.split(",") if v]
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "latency_ms": args.latency_ms,
        "workers": args.workers,
        "shape": "4 seats x 1 round, a judge, the chair (4 waves)",
        "load_before": [round(v, 2) for v in os.getloadavg()],
    }
    for mode in [m for m in args.modes.split(",") if m]:
        results[mode] = [_run(mode, count, args) for count in counts]
    results["load_after"] = [round(v, 2) for v in os.getloadavg()]
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved[args.label] = results
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)} [{args.label}]")


def _env(
    mode: str, tmp: Path, fake_port: int, concurrency: int, args: argparse.Namespace
) -> dict[str, str]:
    return production_env(
        tmp,
        LLM_PROVIDERS="openai_compat,demo",
        OPENAI_COMPAT_BASE_URL=f"http://127.0.0.1:{fake_port}/v1",
        WORKER_CONCURRENCY=str(concurrency),
        DATABASE_POOL_MAX_SIZE=str(concurrency + 4),
    )


def _run(mode: str, count: int, args: argparse.Namespace) -> dict[str, Any]:
    concurrency = max(1, math.ceil(count / args.workers))
    deadline = 60 + 20 * args.latency_ms / 1000 * WAVES
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        fake_port = _free_port()
        fake = subprocess.Popen(
            [sys.executable, "-m", "bench.fakellm", "--port", str(fake_port),
             "--latency-ms", str(args.latency_ms), "--tokens-per-second", "0"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stack.callback(fake.wait, timeout=10)
        stack.callback(fake.terminate)
        _wait_for_port(fake_port)
        env = _env(mode, tmp, fake_port, concurrency, args)
        if mode == "services":
            env["DATABASE_URL"] = stack.enter_context(_scratch_postgres(args.database_url))
            env["REDIS_URL"] = args.redis_url
            _redis_flush(args.redis_url)
        processes = stack.enter_context(Processes(env, tmp))
        processes.run("manage.py", "migrate", "--no-input", timeout=300)
        processes.shell(SETUP)
        started = time.perf_counter()
        ids = processes.shell(CREATE.replace("COUNT", str(count)).replace("MODEL", repr(MODEL)))
        creation_s = time.perf_counter() - started
        peak = _PeakRss(processes)
        with peak:
            # The N debates wait in the queue; the workers start and take them together.
            for number in range(args.workers):
                processes.start(
                    f"worker-{number}",
                    [sys.executable, "manage.py", "worker", "--no-startup-delay", "--interval",
                     "0.1", "--no-reload", "--worker-id", f"bench-{number}"],
                )  # fmt: skip
            code = WAIT.replace("IDS", repr(ids.split(","))).replace("DEADLINE", str(deadline))
            rows = json.loads(processes.shell(code))
        processes.alive()
    floor_s = WAVES * args.latency_ms / 1000
    finished = [row for row in rows if row[1] is not None and row[2] is not None]
    # Efficiency of each debate over its own run (claim to finalization).
    per_debate = sorted(floor_s / (row[2] - row[1]) for row in finished)
    first_start = min((row[1] for row in finished), default=0.0)
    # How long after the first debate started the others got a slot.
    waits = sorted(row[1] - first_start for row in finished)
    wall = max(row[2] for row in finished) - first_start if finished else 0.0
    result = {
        "debates": count,
        "concurrency_per_worker": concurrency,
        "completed": sum(1 for row in rows if row[0] == "completed"),
        "wall_s": round(wall, 2),
        "floor_s": floor_s,
        "efficiency_batch": round(floor_s / wall, 3) if wall else 0.0,
        "efficiency_median": round(per_debate[len(per_debate) // 2], 3) if per_debate else 0.0,
        "efficiency_worst": round(per_debate[0], 3) if per_debate else 0.0,
        "start_spread_median_s": round(waits[len(waits) // 2], 2) if waits else None,
        "start_spread_max_s": round(waits[-1], 2) if waits else None,
        "creation_s": round(creation_s, 2),
        "peak_rss_mb": round(peak.peak_mb, 1),
        "load": [round(v, 2) for v in os.getloadavg()],
    }
    print(f"{mode:>9} {count:>4} debates: {result}", flush=True)
    return result


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


class _PeakRss:
    """The largest total RSS of the worker processes seen while the block runs."""

    def __init__(self, processes: Processes) -> None:
        self.processes = processes
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.peak_mb = max(self.peak_mb, sum(self.processes.rss_mb()))
            except (OSError, StopIteration):
                continue


if __name__ == "__main__":
    main()
