"""Live fan-out: latency from an event's commit to its arrival at WebSocket viewers.

`python -m bench.bench_fanout [--viewers 1,50,200] [--modes embedded,services] [--runs 1]
[--no-batch]`

For each mode (embedded: SQLite + in-memory layer + follower; services: PostgreSQL + Redis) it
starts one Daphne and, per viewer count, creates one debate, connects every viewer to it
(`?after=0`, all at once, timed: "connect_s"), and only then starts a worker, so every event
is live. The viewers share one asyncio event loop in one thread of this process (200 threads
of blocking clients cost the shared cores more than the server did, and timed their own
wake-ups). Per
event and viewer it records now - event["at"] (the event's timestamp, taken in the
transaction that commits it; same clock, loopback). It checks that each viewer got seqs
1..N exactly once, in order, ending with the final event. Results (medians over --runs) go to
bench/results/bench_fanout.json with the machine and the load average. Every wait has a
deadline; everything is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
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


class Viewer:
    """One WebSocket viewer of the debate: what it received, and how its socket ended."""

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.types: list[str] = []
        self.lags: list[float] = []
        self.close: tuple[Any, Any] = (None, None)
        self.error = ""

    @property
    def exact(self) -> bool:
        """Seqs 1..N, each once, in order, ending with the final event."""
        seqs_ok = self.seqs == list(range(1, len(self.seqs) + 1))
        return seqs_ok and bool(self.types) and self.types[-1] in TERMINAL

    def failure(self) -> str:
        if self.error:
            return self.error
        got = f"{len(self.seqs)} events, last {self.seqs[-3:]} {self.types[-1:]}"
        return f"{got}, close {self.close}"


async def _watch(url: str, key: str, viewers: list[Viewer], connected: threading.Event) -> None:
    """Every viewer on one event loop (one thread): the client's own CPU stays small next to
    the server's on a shared 2-core machine, and a receipt is timed as soon as it is read."""
    from websockets.asyncio.client import connect

    async def open_one(viewer: Viewer) -> Any:
        try:
            return await connect(
                url,
                additional_headers={"Authorization": f"Bearer {key}"},
                open_timeout=60,
                max_size=None,
            )
        except Exception as error:  # noqa: BLE001 - counted, not lost
            viewer.error = repr(error)
            return None

    async def listen(viewer: Viewer, ws: Any) -> None:
        try:
            async with asyncio.timeout(DEADLINE):
                async for message in ws:
                    received = time.time()
                    data = json.loads(message)
                    for event in data["events"] if data["type"] == "batch" else [data]:
                        viewer.seqs.append(int(event["seq"]))
                        viewer.types.append(str(event["type"]))
                        at = datetime.fromisoformat(str(event["at"])).timestamp()
                        viewer.lags.append(received - at)
        except Exception as error:  # noqa: BLE001 - the deadline, or a broken socket
            viewer.error = repr(error)
        finally:
            viewer.close = (ws.close_code, ws.close_reason)
            await ws.close()

    sockets = await asyncio.gather(*(open_one(viewer) for viewer in viewers))
    connected.set()
    await asyncio.gather(
        *(listen(viewer, ws) for viewer, ws in zip(viewers, sockets, strict=True) if ws)
    )


def measure(
    processes: Processes, mode: str, url: str, key: str, viewers: int, *, batch: bool
) -> dict[str, Any]:
    debate_id = _create_debate(url, key)
    # As the browser's live page connects (`batch=1`: a burst in one message), or one
    # message per event (`--no-batch`).
    ws_url = f"{url.replace('http', 'ws', 1)}/ws/debates/{debate_id}/?after=0"
    if batch:
        ws_url += "&batch=1"
    watching = [Viewer() for _ in range(viewers)]
    connected = threading.Event()
    started = time.monotonic()
    client = threading.Thread(
        target=asyncio.run, args=(_watch(ws_url, key, watching, connected),), daemon=True
    )
    client.start()
    connected.wait(timeout=90)
    connect_s = time.monotonic() - started
    worker = [sys.executable, "manage.py", "worker", "-v", "0"]
    if mode == "embedded":
        worker += ["--interval", "0.2", "--no-startup-delay"]
    processes.start(f"{mode}-worker-{viewers}", worker)
    try:
        client.join(timeout=DEADLINE + 10)
        _wait_finished(processes, url, key, [debate_id])
    finally:
        process = processes.running.pop()
        process.terminate()
        process.wait(timeout=15)
    lags = [lag for viewer in watching for lag in viewer.lags]
    failures = [viewer.failure() for viewer in watching if not viewer.exact]
    return {
        "viewers": viewers,
        "connect_s": round(connect_s, 2),
        "exactly_once_in_order": sum(viewer.exact for viewer in watching),
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
            runs = [
                measure(processes, mode, url, key, viewers, batch=args.batch)
                for _ in range(args.runs)
            ]
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
    parser.add_argument(
        "--batch",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="viewers ask for bursts in one message (?batch=1), as the browser does",
    )
    args = parser.parse_args()
    args.viewers = [int(v) for v in args.viewers.split(",")]
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "goals": {"services_p95_ms": 50, "embedded_p95_ms": 300, "viewers": 200},
        "batch": args.batch,
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
