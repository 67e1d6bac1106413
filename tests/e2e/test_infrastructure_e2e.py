"""The e2e set-up itself: server, worker and static files behave as in production."""

import json
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

_ENQUEUE = "from tests.e2e.tasks import ping\nprint(ping.enqueue('e2e').id)"
_RESULT = """
import json
from tests.e2e.tasks import ping
result = ping.get_result({task_id!r})
done = result.is_finished
print(json.dumps({{"status": str(result.status),
                  "value": result.return_value if done else None}}))
"""


def test_worker_runs_tasks_from_the_database_queue(e2e_server: E2EServer) -> None:
    task_id = e2e_server.shell(_ENQUEUE).strip()
    # Other tests' demo debates may still occupy the workers (~10 s each): wait for one.
    deadline = time.monotonic() + 60
    state = {"status": "unknown"}
    while time.monotonic() < deadline:
        state = json.loads(e2e_server.shell(_RESULT.format(task_id=task_id)))
        if state["status"] in ("SUCCESSFUL", "FAILED"):
            break
        time.sleep(0.2)
    assert state == {"status": "SUCCESSFUL", "value": "pong: e2e"}, (
        f"no worker ran the task: {state}; see {e2e_server.logs['worker']} and "
        f"{e2e_server.logs['worker-2']}"
    )


def test_static_files_are_served_with_debug_off(page: Page) -> None:
    page.goto("/")
    for asset in ("/static/css/app.css", "/static/dist/app.js"):
        response = page.request.get(asset)
        assert response.status == 200, asset
    # The bundle ran: it marks <html class="js">.
    expect(page.locator("html")).to_have_class("js")


def test_readiness_probe_is_green(page: Page) -> None:
    response = page.request.get("/readyz")
    assert response.status == 200
    assert response.json()["status"] == "ok"
