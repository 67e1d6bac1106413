"""A real worker process is killed mid-debate; another one resumes it.

Proves crash safety end to end: the stale heartbeat is noticed by the new worker's recovery
loop, the debate resumes from its last completed turn, no turn is written twice, completed
turns survive untouched, the event log stays contiguous and the debate is finalized once.
"""

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.server import E2EServer

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
WORKER = [sys.executable, "manage.py", "worker", "--interval", "0.1", "--no-startup-delay"]

STATE = """
import json
from debates.models import Debate, DebateEvent, Turn
debate = Debate.objects.get(pk={debate_id!r})
turns = list(Turn.objects.filter(debate=debate).values_list("id", "seat_id", "round", "status"))
log = DebateEvent.objects.filter(debate=debate).order_by("seq")
seqs = list(log.values_list("seq", flat=True))
types = list(log.values_list("type", flat=True))
print(json.dumps({{
    "status": debate.status, "attempts": debate.attempts,
    "turns": [[str(t[0]), t[1], t[2], t[3]] for t in turns],
    "seqs": seqs, "types": types, "finalized": debate.finalized_at is not None,
}}))
"""

CREATE = """
from accounts.services import user_create
from accounts.selectors import active_team_for_user
from debates.services.creation import SeatInput, debate_create
user = user_create(email="crash@example.com", password=None)
debate = debate_create(
    user=user, team=active_team_for_user(user=user),
    question="Should a 20-person startup adopt a four-day week?",
    seats=[SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic"),
           SeatInput("demo:demo-pragmatist", "pragmatist")],
    rounds=2,
)
print(debate.pk)
"""


def demo_processes(tmp_path: Path, **extra: str) -> Iterator[E2EServer]:
    """Processes on a scratch SQLite file with the demo provider (migrated); `extra` adds to
    their environment. Stopped afterwards."""
    env = {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "LLM_PROVIDERS": "demo",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    handle = E2EServer(url="", data_dir=tmp_path, env=env)
    handle.manage("migrate", "--run-syncdb", "--noinput", "-v", "0", timeout=300)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[E2EServer]:
    # Slow enough to kill mid-debate, fast enough to finish in seconds; a dead runner is
    # noticed after 2 s without a heartbeat.
    yield from demo_processes(
        tmp_path,
        DEMO_TOKENS_PER_SECOND="150",
        DEBATE_HEARTBEAT_SECONDS="0.3",
        DEBATE_STALE_SECONDS="2",
    )


def wait_for(what: str, check: Callable[[], bool], timeout: float = 90) -> None:
    """Poll a condition (bounded); fail with its name if it never holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def test_killed_worker_mid_debate_is_resumed_without_duplicates(server: E2EServer) -> None:
    debate_id = server.shell(CREATE).strip().splitlines()[-1]

    def state() -> dict[str, object]:
        return dict(json.loads(server.shell(STATE.format(debate_id=debate_id)).strip()))

    server.start("worker-1", WORKER)
    wait_for("the first completed turns", lambda: len(state()["turns"]) >= 2)  # type: ignore[arg-type]
    worker = server.processes.pop("worker-1")  # its death is the point, not a failure
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    before = state()
    assert before["status"] == "running"
    assert not before["finalized"]
    survivors = {turn[0] for turn in before["turns"]}  # type: ignore[attr-defined]
    assert 2 <= len(survivors) < 9

    server.start("worker-2", WORKER)
    wait_for("the debate to finish", lambda: state()["status"] != "running", timeout=120)

    after = state()
    assert after["status"] == "completed"
    assert after["attempts"] == 2
    turns = after["turns"]
    assert isinstance(turns, list)
    assert len(turns) == 9
    assert len({(seat, rnd) for _id, seat, rnd, _status in turns}) == 9
    assert survivors <= {turn[0] for turn in turns}, "completed turns are kept, not redone"
    seqs = after["seqs"]
    assert seqs == list(range(1, len(seqs) + 1))  # type: ignore[arg-type]
    types = after["types"]
    assert isinstance(types, list)
    assert types.count("debate.completed") == 1
    assert types.count("debate.started") == 2
