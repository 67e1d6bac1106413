"""One worker process runs several debates at once (`manage.py worker --concurrency`).

A single worker with --concurrency 3 takes three debates created together: they run side by
side (each starts before any finishes), each completes with a contiguous event log, and the
worker then stops cleanly on SIGTERM.
"""

import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import E2EServer
from tests.integration.test_worker_crash import demo_processes, wait_for

pytestmark = pytest.mark.process

VENV_BIN = Path(sys.executable).parent
WORKER = [
    sys.executable, "manage.py", "worker", "--interval", "0.1", "--no-startup-delay",
    "--concurrency", "3",
]  # fmt: skip

CREATE = """
from accounts.services import user_create
from accounts.selectors import active_team_for_user
from billing.models import Plan
from debates.services.creation import SeatInput, debate_create
Plan.objects.update(concurrent_debates=10)
user = user_create(email="together@example.com", password=None)
team = active_team_for_user(user=user)
seats = [SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic")]
print(",".join(
    str(debate_create(user=user, team=team, question=f"Question {n}: a four-day week?",
                      seats=seats, rounds=1).pk)
    for n in range(3)
))
"""

STATE = """
import json
from debates.models import Debate, DebateEvent
rows = []
for debate in Debate.objects.filter(pk__in={ids!r}):
    log = DebateEvent.objects.filter(debate=debate).order_by("seq")
    seqs = list(log.values_list("seq", flat=True))
    rows.append([debate.status, debate.started_at.timestamp() if debate.started_at else None,
                 debate.finalized_at.timestamp() if debate.finalized_at else None,
                 seqs == list(range(1, len(seqs) + 1))])
print(json.dumps(rows))
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[E2EServer]:
    # Each debate takes a few seconds: long enough for the three to overlap.
    yield from demo_processes(tmp_path, DEMO_TOKENS_PER_SECOND="150")


def test_one_worker_runs_three_debates_side_by_side_then_stops_on_sigterm(
    server: E2EServer,
) -> None:
    ids = server.shell(CREATE).strip().splitlines()[-1].split(",")

    def rows() -> list[list[object]]:
        return list(json.loads(server.shell(STATE.format(ids=ids)).strip()))

    server.start("worker", WORKER)
    wait_for("the three debates to finish", lambda: all(r[2] for r in rows()), timeout=120)
    done = rows()
    assert [row[0] for row in done] == ["completed"] * 3
    assert all(row[3] for row in done), "every event log is contiguous"
    latest_start = max(float(row[1]) for row in done)  # type: ignore[arg-type]
    first_end = min(float(row[2]) for row in done)  # type: ignore[arg-type]
    assert latest_start < first_end, "the debates ran at the same time, not one after another"

    worker = server.processes["worker"]
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    server.processes.pop("worker")
