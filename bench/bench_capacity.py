"""Capacity of one machine, in both modes: concurrent debates, live viewers, API requests/s.

Starts the real processes, as docs/DEPLOY.md runs them, on loopback, with production settings
(DEBUG off) and the offline demo provider:

- `embedded`: a scratch SQLite file, one Daphne, `--workers` database workers;
- `services`: a scratch PostgreSQL database and a Redis database number, two Daphnes,
  `--workers` RQ workers (`manage.py worker` with REDIS_URL).

Then, in each mode:

- **API requests/s**: `--clients` threads send `GET /api/v1/me/` with an API key for
  `--seconds`, spread over the web processes; requests/s, p50/p95 latency, errors;
- **concurrent debates**: `--workers` debates created at once (2 seats, 1 round, the demo
  provider at `--tokens-per-second`); the time for all of them against one alone (a worker
  runs one debate at a time, so debates in flight = worker processes);
- **live viewers**: `--viewers` WebSocket clients on one debate, spread over the web
  processes (connected as soon as it is created); whether each got every event once and
  in order, and the delivery lag of live events (receipt minus the event's own timestamp,
  same clock; events appended before a viewer was in are replayed, not counted), p50/p95/max.

Every wait has a deadline. The numbers land in bench/results/bench_capacity.json, under
`--label` (runs of other labels stay).

    python -m bench.bench_capacity [--modes embedded,services] [--workers 4] [--viewers 100]
        [--clients 16] [--seconds 5] [--database-url postgres://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/0] [--label default]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from datetime import datetime
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_capacity.json"
VENV_BIN = Path(sys.executable).parent
DEADLINE = 180.0

SETUP = """
from accounts.services import team_create, user_create
from apikeys.services import apikey_create
from billing.models import Plan
Plan.objects.filter(is_default=True).update(
    debates_per_month=None, concurrent_debates=100, api_requests_per_minute=10**9,
)
user = user_create(email="bench-capacity@example.com", password=None)
team = team_create(actor=user, name="Capacity")
print(apikey_create(
    actor=user, team=team, name="bench", scopes=["debates:read", "debates:write"]
).key)
"""


def production_env(
    home: Path, *, site_url: str = "http://127.0.0.1", **extra: str
) -> dict[str, str]:
    """The whole environment of a benchmark's processes: production settings (DEBUG off, no
    .env), fresh secrets, loopback only, a SQLite file in `home`; `extra` adds or overrides
    (the providers, DATABASE_URL and REDIS_URL of the services mode, ...)."""
    return {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
        "ENV_FILE": "",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "APIKEY_PEPPER": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": site_url,
        "EMAIL_URL": "consolemail://",
        "SECURE_SSL_REDIRECT": "0",
        "LLM_PROVIDERS": "demo",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"sqlite:///{home / 'bench.sqlite3'}",
        "REDIS_URL": "",
        **extra,
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Processes:
    """The processes of one mode; stopped (terminate, then kill) on exit."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []
        self._files: list[IO[bytes]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *_exc: object) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for file in self._files:
            file.close()

    def run(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args} exited {result.returncode}: {result.stderr[-2000:]}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.run("manage.py", "shell", "-c", code).strip().splitlines()[-1]

    def start(self, name: str, command: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self._files.append(log)
        self.running.append(
            subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        )

    def rss_mb(self) -> list[float]:
        """Resident memory of each running process, MB (from /proc)."""
        sizes = []
        for process in self.running:
            status = Path(f"/proc/{process.pid}/status").read_text()
            kilobytes = next(line.split()[1] for line in status.splitlines() if "VmRSS" in line)
            sizes.append(round(int(kilobytes) / 1024, 1))
        return sizes

    def alive(self) -> None:
        for process in self.running:
            if process.poll() is not None:
                command = " ".join(str(part) for part in process.args)  # type: ignore[union-attr]
                raise RuntimeError(f"{command} exited {process.returncode} (see {self.logs})")


def _wait_healthy(url: str, processes: Processes) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        processes.alive()
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} never became healthy")


def _request(url: str, key: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 (our own loopback server)
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def _create_debate(url: str, key: str) -> str:
    status, body = _request(
        f"{url}/api/v1/debates/",
        key,
        {
            "question": "Should a 20-person startup adopt a four-day week?",
            "seats": [
                {"model": "demo:demo-sage", "role": "proponent"},
                {"model": "demo:demo-skeptic", "role": "skeptic"},
            ],
            "rounds": 1,
        },
    )
    if status != 202:
        raise RuntimeError(f"debate creation answered {status}: {body[:300]!r}")
    return str(json.loads(body)["id"])


def _wait_finished(processes: Processes, url: str, key: str, ids: list[str]) -> float:
    """Seconds until every debate has ended (polled through the API, every 0.2 s)."""
    started = time.monotonic()
    pending = set(ids)
    while time.monotonic() - started < DEADLINE:
        processes.alive()
        for debate_id in list(pending):
            status, body = _request(f"{url}/api/v1/debates/{debate_id}/", key)
            state = json.loads(body).get("status") if status == 200 else None
            if state in ("failed", "cancelled"):
                raise RuntimeError(f"debate {debate_id} ended {state}")
            if state == "completed":
                pending.discard(debate_id)
        if not pending:
            return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError("debates did not finish in time")


def measure_api(urls: list[str], key: str, *, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = 0.0

    def client(number: int) -> None:
        nonlocal errors
        url = f"{urls[number % len(urls)]}/api/v1/me/"
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            status, _body = _request(url, key)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors += status != 200

    for url in urls:  # warm each process (imports, pool, first queries)
        for _ in range(20):
            _request(f"{url}/api/v1/me/", key)
    started = time.monotonic()
    stop_at = started + seconds
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1),
        "errors": errors,
    }


def measure_debates(
    processes: Processes, urls: list[str], key: str, workers: int
) -> dict[str, Any]:
    # A first debate warms the workers (imports, pool); then one alone, then one per worker.
    _wait_finished(processes, urls[0], key, [_create_debate(urls[0], key)])
    alone = _wait_finished(processes, urls[0], key, [_create_debate(urls[0], key)])
    ids = [_create_debate(urls[i % len(urls)], key) for i in range(workers)]
    together = _wait_finished(processes, urls[0], key, ids)
    return {
        "debates_at_once": workers,
        "one_alone_seconds": round(alone, 1),
        "all_together_seconds": round(together, 1),
        "slowdown": round(together / alone, 2),
    }


def measure_viewers(
    processes: Processes, urls: list[str], key: str, viewers: int
) -> dict[str, Any]:
    from websockets.sync.client import connect

    debate_id = _create_debate(urls[0], key)
    lags: list[float] = []
    complete = 0
    failures: list[str] = []
    lock = threading.Lock()
    connected = threading.Barrier(viewers + 1, timeout=60)

    def viewer(number: int) -> None:
        nonlocal complete
        url = urls[number % len(urls)].replace("http", "ws", 1)
        seqs: list[int] = []
        own: list[float] = []
        try:
            with connect(
                f"{url}/ws/debates/{debate_id}/?after=0",
                additional_headers={"Authorization": f"Bearer {key}"},
                open_timeout=30,
            ) as ws:
                connected.wait()
                # Lag counts live events only: those appended after this viewer was in (the
                # replay of earlier ones is not a delivery delay).
                joined = time.time()
                deadline = time.monotonic() + DEADLINE
                while time.monotonic() < deadline:
                    try:
                        message = ws.recv(timeout=deadline - time.monotonic())
                    except Exception:  # noqa: BLE001 - the close after the last event
                        break
                    event = json.loads(message)
                    seqs.append(int(event["seq"]))
                    sent = datetime.fromisoformat(str(event["at"])).timestamp()
                    if sent >= joined:
                        own.append(time.time() - sent)
        except Exception as error:  # noqa: BLE001 - counted, not lost in the thread
            with lock:
                failures.append(repr(error))
            return
        with lock:
            lags.extend(own)
            complete += seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 1

    threads = [threading.Thread(target=viewer, args=(n,), daemon=True) for n in range(viewers)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        connected.wait()
    for thread in threads:
        thread.join(timeout=DEADLINE + 10)
    _wait_finished(processes, urls[0], key, [debate_id])
    return {
        "viewers": viewers,
        "complete_streams": complete,
        "failed": len(failures),
        "first_failure": failures[0] if failures else "",
        "lag_p50_ms": round(_percentile(lags, 0.5) * 1000, 1),
        "lag_p95_ms": round(_percentile(lags, 0.95) * 1000, 1),
        "lag_max_ms": round(max(lags, default=0.0) * 1000, 1),
    }


def run_mode(mode: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    web = 1 if mode == "embedded" else 2
    ports = [_free_port() for _ in range(web)]
    env = production_env(
        tmp,
        site_url=f"http://127.0.0.1:{ports[0]}",
        DEMO_TOKENS_PER_SECOND=str(args.tokens_per_second),
    )
    dbname = f"consultation_bench_{secrets.token_hex(4)}"
    with ExitStack() as stack:
        if mode == "services":
            import psycopg

            admin_url = args.database_url
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{dbname}"')

            def drop() -> None:
                with psycopg.connect(admin_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

            stack.callback(drop)
            env["DATABASE_URL"] = f"{admin_url.rsplit('/', 1)[0]}/{dbname}"
            env["REDIS_URL"] = f"{args.redis_url.rsplit('/', 1)[0]}/14"
        processes = stack.enter_context(Processes(env, tmp))
        processes.run("manage.py", "migrate", "--noinput", "-v", "0")
        key = processes.shell(SETUP)
        urls = []
        for number, port in enumerate(ports):
            processes.start(
                f"{mode}-web-{number}",
                [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                 "consultation.asgi:application"],
            )  # fmt: skip
            urls.append(f"http://127.0.0.1:{port}")
            _wait_healthy(urls[-1], processes)
        worker = [sys.executable, "manage.py", "worker", "-v", "0"]
        if mode == "embedded":
            worker += ["--interval", "0.2", "--no-startup-delay"]
        for number in range(args.workers):
            processes.start(f"{mode}-worker-{number}", worker)
        print(f"{mode}: {web} web, {args.workers} workers", flush=True)

        def count_connections() -> dict[str, int]:
            """What the processes hold: the input to DEPLOY.md's sizing."""
            import psycopg
            from redis import Redis

            with psycopg.connect(args.database_url, autocommit=True) as admin:
                row = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [dbname]
                ).fetchone()
            clients = Redis.from_url(env["REDIS_URL"]).client_list()
            return {
                "postgresql": int(row[0]) if row else 0,
                # Less this one, which counts.
                "redis": sum(1 for client in clients if client.get("db") == "14") - 1,
            }

        connections: dict[str, dict[str, int]] = {}
        api = measure_api(urls, key, clients=args.clients, seconds=args.seconds)
        print(f"  api      {api}", flush=True)
        debates = measure_debates(processes, urls, key, args.workers)
        print(f"  debates  {debates}", flush=True)
        viewers = measure_viewers(processes, urls, key, args.viewers)
        print(f"  viewers  {viewers}", flush=True)
        memory = processes.rss_mb()
        connections["after_load"] = count_connections() if mode == "services" else {}
        return {
            "web_rss_mb": memory[:web],
            "worker_rss_mb": memory[web:],
            "connections": connections,
            "web_processes": web,
            "worker_processes": args.workers,
            "api": api,
            "debates": debates,
            "viewers": viewers,
        }
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="embedded,services")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--tokens-per-second", type=float, default=120.0)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL database to connect to for creating the scratch one",
    )  # fmt: skip
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--label", default="default",
        help="the run's key in bench_capacity.json (other labels' runs are kept)",
    )  # fmt: skip
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "load_before": Path("/proc/loadavg").read_text().split()[:3],
        "settings": {
            "workers": args.workers,
            "viewers": args.viewers,
            "clients": args.clients,
            "seconds": args.seconds,
            "demo_tokens_per_second": args.tokens_per_second,
        },
    }
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-capacity-{mode}-") as tmp:
            results[mode] = run_mode(mode, args, Path(tmp))
    # The machine is shared: the load average says how much of it the figures had.
    results["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
    RESULTS.parent.mkdir(exist_ok=True)
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    runs = runs if all(isinstance(run, dict) and "settings" in run for run in runs.values()) else {}
    runs[args.label] = results
    RESULTS.write_text(json.dumps(runs, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
