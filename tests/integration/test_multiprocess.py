"""Services mode end to end: two web processes and two RQ workers on PostgreSQL and Redis.

What docs/DEPLOY.md tells a reader to run, run for real: a fresh PostgreSQL database, migrated;
two Daphne processes on two ports and two `manage.py worker` processes, which with `REDIS_URL`
set are RQ workers (the RQ task backend). Then:

- a debate created through process A's API streams live, with every seq once and in order, to
  a WebSocket client on process B and to an SSE client on process A;
- a key allowed N requests a minute gets exactly N answered across both web processes;
- SIGKILL of the worker running a debate: the other worker resumes it to completion, no turn
  is written twice, and the usage is billed once.

Run by `make test-services` (it sets DATABASE_URL and REDIS_URL for 127.0.0.1); the processes
get a database of their own, and a Redis database number of their own for the RQ queue, so a
concurrent run elsewhere cannot take their jobs.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from redis import Redis
from rq import Worker
from websockets.sync.client import connect

from tests.e2e.server import E2EServer, free_port, production_env

pytestmark = pytest.mark.services

VENV_BIN = Path(sys.executable).parent
RATE_LIMIT = 6
DEADLINE = 120.0

SETUP_PLAN = """
from billing.models import Plan
Plan.objects.filter(is_default=True).update(
    debates_per_month=None, concurrent_debates=10, api_requests_per_minute=1000,
    max_rounds=5, max_seats=8,
)
"""

CREATE_KEY = """
from accounts.services import team_create, user_create
from apikeys.services import apikey_create
user = user_create(email="mp-{tag}@example.com", password=None)
team = team_create(actor=user, name="Multi-process {tag}")
print(apikey_create(
    actor=user, team=team, name="multi-process", scopes=["debates:read", "debates:write"],
    rate_limit_per_minute={rate},
).key)
"""

STATE = """
import json
from billing.models import QuotaReservation, UsageRecord
from debates.models import Debate, DebateEvent, DebateModelUsage, Turn
debate = Debate.objects.get(pk={debate_id!r})
turns = list(Turn.objects.filter(debate=debate).values_list("id", "seat_id", "round", "status"))
log = DebateEvent.objects.filter(debate=debate).order_by("seq")
usage = sorted(
    [line.llm_model.key, line.calls, line.input_tokens, line.output_tokens]
    for line in DebateModelUsage.objects.filter(debate=debate).select_related("llm_model")
)
billed = sorted(
    [r.model_key, r.calls, r.input_tokens, r.output_tokens]
    for r in UsageRecord.objects.filter(debate_id=debate.pk)
)
print(json.dumps({{
    "status": debate.status, "attempts": debate.attempts,
    "turns": [[str(t[0]), t[1], t[2], t[3]] for t in turns],
    "seqs": list(log.values_list("seq", flat=True)),
    "types": list(log.values_list("type", flat=True)),
    "finalized": debate.finalized_at is not None,
    "usage": usage, "billed": billed,
    "reservations": list(
        QuotaReservation.objects.filter(debate_id=debate.pk).values_list("status", flat=True)
    ),
}}))
"""


@dataclass
class Cluster:
    """The running processes and how to reach them."""

    handle: E2EServer
    web: list[str]
    redis_url: str
    workers: dict[str, str] = field(default_factory=dict)  # RQ worker name -> process name

    def state(self, debate_id: str) -> dict[str, Any]:
        return dict(json.loads(self.handle.shell(STATE.format(debate_id=debate_id)).strip()))

    def key(self, *, rate: int = 1000) -> str:
        code = CREATE_KEY.format(tag=secrets.token_hex(4), rate=rate)
        return self.handle.shell(code).strip().splitlines()[-1]

    def start_worker(self) -> str:
        """Start one more worker; its RQ name is new each time (RQ refuses a name that a
        killed worker still holds until its registration expires)."""
        worker_id = f"mp-worker-{secrets.token_hex(3)}"
        name = f"mp-worker-{len(self.workers) + 1}"
        self.handle.start(
            name, [sys.executable, "manage.py", "worker", "--worker-id", worker_id, "-v", "1"]
        )
        self.workers[worker_id] = name
        return worker_id

    def live_workers(self) -> list[str]:
        return [
            worker_id
            for worker_id, name in self.workers.items()
            if name in self.handle.processes and self.handle.processes[name].poll() is None
        ]


def _postgres(dbname: str) -> psycopg.Connection[Any]:
    database = settings.DATABASES["default"]
    return psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=int(database["PORT"] or 5432),
        user=database["USER"] or "postgres",
        password=database["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


def _own_redis_db(redis_url: str) -> str:
    """The same Redis server, another database number: the workers' RQ queue is theirs."""
    base = redis_url.rsplit("/", 1)[0] if redis_url.count("/") > 2 else redis_url.rstrip("/")
    return f"{base}/{1 + os.getpid() % 15}"


def wait_for(what: str, check: Callable[[], bool], timeout: float = DEADLINE) -> None:
    """Poll a condition (bounded); fail with its name if it never holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.fail("needs PostgreSQL and Redis: run this with `make test-services`.")
    tmp_path = tmp_path_factory.mktemp("multiprocess")
    dbname = f"consultation_mp_{secrets.token_hex(4)}"
    maintenance = str(settings.DATABASES["default"]["NAME"]).removeprefix("test_")
    with _postgres(maintenance) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    database = settings.DATABASES["default"]
    database_url = (
        f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{dbname}"
    )
    redis_url = _own_redis_db(settings.REDIS_URL)
    ports = [free_port(), free_port()]
    env = {
        **production_env(
            tmp_path,
            site_url=f"http://127.0.0.1:{ports[0]}",
            database_url=database_url,
            redis_url=redis_url,
        ),
        "DATABASE_POOL_MAX_SIZE": "4",
        "DATABASE_POOL_MIN_SIZE": "1",
        "LOG_LEVEL": "INFO",
        # Slow enough to kill a worker mid-debate, fast enough to finish in seconds; a dead
        # runner is noticed after 2 s without a heartbeat.
        "DEMO_TOKENS_PER_SECOND": "150",
        "DEBATE_HEARTBEAT_SECONDS": "0.3",
        "DEBATE_STALE_SECONDS": "2",
    }
    handle = E2EServer(url="", data_dir=tmp_path, env=env)
    cluster = Cluster(handle=handle, web=[], redis_url=redis_url)
    try:
        handle.manage("migrate", "--noinput", "-v", "0", timeout=300)
        handle.shell(SETUP_PLAN)
        for number, port in enumerate(ports):
            name = f"mp-web-{'ab'[number]}"
            handle.start(
                name,
                [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                 "consultation.asgi:application"],
            )  # fmt: skip
            handle.url = f"http://127.0.0.1:{port}"
            handle.logs["server"] = handle.logs[name]
            handle.wait_until_healthy()
            cluster.web.append(handle.url)
        started = {cluster.start_worker(), cluster.start_worker()}
        connection = Redis.from_url(redis_url)
        wait_for(
            "both RQ workers to register",
            lambda: {_process_of(w.name) for w in Worker.all(connection=connection)} >= started,
            timeout=60,
        )
        yield cluster
    finally:
        handle.stop()
        with _postgres(maintenance) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _post_debate(url: str, key: str, *, rounds: int) -> str:
    body = {
        "question": "Should a 20-person startup adopt a four-day week?",
        "seats": [
            {"model": "demo:demo-sage", "role": "proponent"},
            {"model": "demo:demo-skeptic", "role": "skeptic"},
            {"model": "demo:demo-pragmatist", "role": "pragmatist"},
        ],
        "rounds": rounds,
    }
    request = urllib.request.Request(  # noqa: S310 (our own loopback server)
        f"{url}/api/v1/debates/",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 202
        return str(json.load(response)["id"])


@dataclass
class Received:
    seqs: list[int] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    error: str = ""

    def add(self, seq: int, kind: str) -> None:
        self.seqs.append(seq)
        self.types.append(kind)
        self.arrived.append(time.monotonic())


def _follow_websocket(url: str, key: str, debate_id: str, into: Received) -> None:
    ws_url = url.replace("http", "ws", 1) + f"/ws/debates/{debate_id}/?after=0"
    try:
        with connect(
            ws_url, additional_headers={"Authorization": f"Bearer {key}"}, open_timeout=10
        ) as socket:
            deadline = time.monotonic() + DEADLINE
            while time.monotonic() < deadline:
                try:
                    message = socket.recv(timeout=deadline - time.monotonic())
                except Exception:  # noqa: BLE001 - the close (1000) after the last event ends it
                    return
                event = json.loads(message)
                into.add(int(event["seq"]), str(event["type"]))
    except Exception as error:  # noqa: BLE001 - reported by the test, not lost in the thread
        into.error = repr(error)


def _follow_sse(url: str, key: str, debate_id: str, into: Received) -> None:
    request = urllib.request.Request(  # noqa: S310 (our own loopback server)
        f"{url}/api/v1/debates/{debate_id}/stream/?after=0",
        headers={"Authorization": f"Bearer {key}", "Accept": "text/event-stream"},
    )
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:  # noqa: S310
            seq: int | None = None
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("id:"):
                    seq = int(line[3:].strip())
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                    if kind == "end":
                        return
                    if seq is not None:
                        into.add(seq, kind)
                        seq = None
    except Exception as error:  # noqa: BLE001 - reported by the test, not lost in the thread
        into.error = repr(error)


def test_a_debate_created_on_a_streams_live_to_b_by_websocket_and_to_a_by_sse(
    cluster: Cluster,
) -> None:
    web_a, web_b = cluster.web
    key = cluster.key()
    debate_id = _post_debate(web_a, key, rounds=1)
    by_socket, by_sse = Received(), Received()
    followers = [
        threading.Thread(target=_follow_websocket, args=(web_b, key, debate_id, by_socket)),
        threading.Thread(target=_follow_sse, args=(web_a, key, debate_id, by_sse)),
    ]
    for follower in followers:
        follower.start()
    for follower in followers:
        follower.join(timeout=DEADLINE + 10)
        assert not follower.is_alive(), "a follower did not finish in time"

    state = cluster.state(debate_id)
    assert state["status"] == "completed", state["status"]
    logged = state["seqs"]
    assert logged == list(range(1, len(logged) + 1))
    for name, received in (("WebSocket on B", by_socket), ("SSE on A", by_sse)):
        assert not received.error, f"{name}: {received.error}"
        assert received.seqs == logged, f"{name}: a gap or a duplicate: {received.seqs}"
        assert received.types == state["types"], name
        assert received.types[-1] == "debate.completed", name
        # Live, not a replay of a finished log: the first events came well before the last.
        assert received.arrived[-1] - received.arrived[0] > 1.0, f"{name} got it all at once"
        assert "turn.delta" in received.types, name


def _get_me(url: str, key: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (our own loopback server)
        f"{url}/api/v1/me/", headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        if error.code == 429:
            body = json.loads(error.read())
            assert body["code"] == "rate_limited"
            assert body["limit"] == RATE_LIMIT
        return int(error.code)


def test_a_rate_limit_of_n_admits_exactly_n_across_both_web_processes(cluster: Cluster) -> None:
    key = cluster.key(rate=RATE_LIMIT)
    targets = [cluster.web[i % 2] for i in range(3 * RATE_LIMIT)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda url: _get_me(url, key), targets))
    assert sorted(statuses) == [200] * RATE_LIMIT + [429] * (2 * RATE_LIMIT), statuses


def _worker_running(connection: Redis, debate_id: str) -> str | None:
    """The id of the RQ worker whose current job runs this debate, if any."""
    for worker in Worker.all(connection=connection):
        job = worker.get_current_job()
        if job is not None and job.args and str(job.args[0]) == debate_id:
            return _process_of(str(worker.name))
    return None


def _process_of(rq_name: str) -> str:
    """The worker id of the process an RQ worker runs in: a worker running several debates
    at once (`--concurrency`) has one RQ worker per thread, named `<worker id>.<n>`."""
    return rq_name.split(".", 1)[0]


def test_sigkill_of_the_worker_running_a_debate_lets_the_other_resume_it(
    cluster: Cluster,
) -> None:
    connection = Redis.from_url(cluster.redis_url)
    assert len(cluster.live_workers()) == 2, "two workers, whatever ran before"
    key = cluster.key()
    debate_id = _post_debate(cluster.web[0], key, rounds=2)

    running: list[str] = []

    def two_turns_done_and_runner_known() -> bool:
        if len(cluster.state(debate_id)["turns"]) < 2:
            return False
        worker = _worker_running(connection, debate_id)
        running.extend([worker] if worker else [])
        return worker is not None

    wait_for("a worker to take the debate and complete two turns", two_turns_done_and_runner_known)
    victim = running[-1]
    process = cluster.handle.processes.pop(cluster.workers[victim])  # its death is the point
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    before = cluster.state(debate_id)
    assert before["status"] == "running"
    assert not before["finalized"]
    survivors = {turn[0] for turn in before["turns"]}
    assert 2 <= len(survivors) < 9

    wait_for("the debate to finish", lambda: cluster.state(debate_id)["status"] != "running")
    after = cluster.state(debate_id)
    assert after["status"] == "completed"
    assert after["attempts"] == 2, "resumed exactly once, by the other worker"
    turns = after["turns"]
    assert len(turns) == 9
    assert len({(seat, rnd) for _id, seat, rnd, _status in turns}) == 9, "no turn twice"
    assert survivors <= {turn[0] for turn in turns}, "completed turns are kept, not redone"
    assert after["seqs"] == list(range(1, len(after["seqs"]) + 1))
    assert after["types"].count("debate.completed") == 1
    assert after["types"].count("debate.started") == 2
    # Billed once: a record per model, matching what the debate spent, and one settlement.
    assert after["billed"], "no usage recorded"
    assert after["billed"] == after["usage"]
    assert after["reservations"] == ["settled"]
    # The survivor finished it; the victim's process is gone for good.
    assert victim not in cluster.live_workers()
    assert len(cluster.live_workers()) == 1
    # Leave two workers for whatever runs next in this module.
    replacement = cluster.start_worker()
    wait_for(
        "the replacement worker to register",
        lambda: replacement in {_process_of(w.name) for w in Worker.all(connection=connection)},
        timeout=60,
    )
