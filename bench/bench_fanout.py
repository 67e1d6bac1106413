"""Live fan-out: latency from an event's commit to its arrival at WebSocket viewers.

`python -m bench.bench_fanout [--viewers 1,50,200] [--modes embedded,services] [--runs 1]`

For each mode (embedded: SQLite + in-memory layer + follower; services: PostgreSQL + Redis) it
starts one Daphne and, per viewer count, creates one debate, connects every viewer to it
(`?after=0`, timed: "connect_s"), and only then starts a worker, so every event is live. Per
event and viewer it records now - event["at"] (the event's timestamp, taken in the
transaction that commits it; same clock, loopback). It checks that each viewer got seqs
1..N exactly once, in order, ending with the final event. Results (medians over --runs) go to
bench/results/bench_fanout.json with the machine and the load average. Every wait has a
deadline; everything is on 127.0.0.1.
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
from contextlib import ExitStack, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.bench_capacity import (
    ROOT,
    SETUP,
    VENV_BIN,
    Processes,
    _create_debate,
    _free_port,
    _percentile,
    _wait_finished,
    _wait_healthy,
    production_env,
)

RESULTS = ROOT / "bench" / "results" / "bench_fanout.json"
DEADLINE = 180.0
TERMINAL = {"debate.completed", "debate.failed", "debate.cancelled"}


def _env(tmp: Path, port: int, tokens_per_second: float) -> dict[str, str]:
    return production_env(
        tmp,
        site_url=f"http://127.0.0.1:{port}",
        DEMO_TOKENS_PER_SECOND=str(tokens_per_second),
    )


def measure(processes: Processes, mode: str, url: str, key: str, viewers: int) -> dict[str, Any]:
    from websockets.sync.client import connect

    debate_id = _create_debate(url, key)
    lags: list[float] = []
    exact = 0
    failures: list[str] = []
    lock = threading.Lock()
    connected = threading.Barrier(viewers + 1, timeout=90)
    ws_url = url.replace("http", "ws", 1)
    started = time.monotonic()

    def viewer() -> None:
        nonlocal exact
        seqs: list[int] = []
        types: list[str] = []
        own: list[float] = []
        try:
            with connect(
                f"{ws_url}/ws/debates/{debate_id}/?after=0",
                additional_headers={"Authorization": f"Bearer {key}"},
                open_timeout=60,
                max_size=None,
            ) as ws:
                connected.wait()
                deadline = time.monotonic() + DEADLINE
                while time.monotonic() < deadline:
                    try:
                        message = ws.recv(timeout=deadline - time.monotonic())
                    except Exception:  # noqa: BLE001 - the close after the last event
                        break
                    received = time.time()
                    event = json.loads(message)
                    seqs.append(int(event["seq"]))
                    types.append(str(event["type"]))
                    own.append(received - datetime.fromisoformat(str(event["at"])).timestamp())
                close = (ws.close_code, ws.close_reason)
        except Exception as error:  # noqa: BLE001 - counted, not lost in the thread
            with lock:
                failures.append(repr(error))
            return
        with lock:
            lags.extend(own)
            ok = seqs == list(range(1, len(seqs) + 1)) and bool(types) and types[-1] in TERMINAL
            exact += ok
            if not ok:  # why: what it got, and how the socket ended
                failures.append(f"{len(seqs)} events, last {seqs[-3:]} {types[-1:]}, close {close}")

    threads = [threading.Thread(target=viewer, daemon=True) for _ in range(viewers)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        connected.wait()
    connect_s = time.monotonic() - started
    worker = [sys.executable, "manage.py", "worker", "-v", "0"]
    if mode == "embedded":
        worker += ["--interval", "0.2", "--no-startup-delay"]
    processes.start(f"{mode}-worker-{viewers}", worker)
    try:
        for thread in threads:
            thread.join(timeout=DEADLINE + 10)
        _wait_finished(processes, url, key, [debate_id])
    finally:
        process = processes.running.pop()
        process.terminate()
        process.wait(timeout=15)
    return {
        "viewers": viewers,
        "connect_s": round(connect_s, 2),
        "exactly_once_in_order": exact,
        "failed": len(failures),
        "first_failure": failures[0] if failures else "",
        "events_received": len(lags),
        "p50_ms": round(_percentile(lags, 0.5) * 1000, 1),
        "p95_ms": round(_percentile(lags, 0.95) * 1000, 1),
        "p99_ms": round(_percentile(lags, 0.99) * 1000, 1),
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def run_mode(mode: str, args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    port = _free_port()
    env = _env(tmp, port, args.tokens_per_second)
    with ExitStack() as stack:
        if mode == "services":
            import secrets

            import psycopg

            dbname = f"consultation_fanout_{secrets.token_hex(4)}"
            with psycopg.connect(args.database_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{dbname}"')

            def drop() -> None:
                with psycopg.connect(args.database_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

            stack.callback(drop)
            env["DATABASE_URL"] = f"{args.database_url.rsplit('/', 1)[0]}/{dbname}"
            env["REDIS_URL"] = f"{args.redis_url.rsplit('/', 1)[0]}/13"
        processes = stack.enter_context(Processes(env, tmp))
        processes.run("manage.py", "migrate", "--noinput", "-v", "0")
        key = processes.shell(SETUP)
        url = f"http://127.0.0.1:{port}"
        processes.start(
            f"{mode}-web",
            [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
             "consultation.asgi:application"],
        )  # fmt: skip
        _wait_healthy(url, processes)
        rows = []
        for viewers in args.viewers:
            runs = [measure(processes, mode, url, key, viewers) for _ in range(args.runs)]
            row: dict[str, Any] = {"viewers": viewers, "runs": runs}
            for field in ("connect_s", "p50_ms", "p95_ms", "p99_ms", "exactly_once_in_order"):
                row[field] = statistics.median(run[field] for run in runs)
            print(f"{mode:9} {json.dumps(row | {'runs': len(runs)})}", flush=True)
            rows.append(row)
        return rows
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="embedded,services")
    parser.add_argument("--viewers", default="1,50,200")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--tokens-per-second", type=float, default=120.0)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--label", default="default")
    args = parser.parse_args()
    args.viewers = [int(v) for v in args.viewers.split(",")]
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "goals": {"services_p95_ms": 50, "embedded_p95_ms": 300, "viewers": 200},
    }
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-fanout-{mode}-") as tmp:
            results[mode] = run_mode(mode, args, Path(tmp))
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.parent.mkdir(exist_ok=True)
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    runs[args.label] = results
    RESULTS.write_text(json.dumps(runs, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
