"""docs/API.md's "Quick start" works as written, against a live server.

A real daphne and worker (the embedded default: SQLite file, database tasks, demo provider)
serve the API; a key is made through the service; then the section's `sh` blocks run as one
bash script and each `python` block as a script, with only CONSULTATION_URL and
CONSULTATION_API_KEY in their environment. Whole debates run: created, streamed (SSE and
WebSocket) to their end, then read.
"""

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import ROOT, E2EServer, free_port

pytestmark = pytest.mark.process

VENV_BIN = Path(sys.executable).parent
_BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)

MAKE_KEY = """
from accounts.selectors import active_team_for_user
from accounts.services import user_create
from apikeys.services import apikey_create
user = user_create(email="docs-{tag}@example.com", password=None)
team = active_team_for_user(user=user)
scopes = ["debates:read", "debates:write"]
print(apikey_create(actor=user, team=team, name="docs", scopes=scopes).key)
"""


def quick_start_blocks() -> list[tuple[str, str]]:
    text = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return _BLOCK.findall(section)


def test_the_quick_start_has_curl_and_python_examples() -> None:
    kinds = [kind for kind, _ in quick_start_blocks()]
    assert "sh" in kinds
    assert "python" in kinds


@pytest.fixture
def server(tmp_path: Path) -> Iterator[E2EServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "LLM_PROVIDERS": "demo",
        "DEBUG": "0",
        "SITE_URL": url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    handle = E2EServer(url=url, data_dir=tmp_path, env=env)
    handle.manage("migrate", "--run-syncdb", "--noinput", "-v", "0", timeout=300)
    try:
        handle.start(
            "docs-server",
            [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
             "consultation.asgi:application"],
        )  # fmt: skip
        handle.logs["server"] = handle.logs["docs-server"]
        handle.start(
            "docs-worker",
            [sys.executable, "manage.py", "worker", "--interval", "0.2", "--no-startup-delay",
             "--no-reload"],
        )  # fmt: skip
        handle.wait_until_healthy()
        yield handle
    finally:
        handle.stop()


def _run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_quick_start_examples_run_against_a_live_server(
    server: E2EServer, tmp_path: Path
) -> None:
    key = server.shell(MAKE_KEY.format(tag=secrets.token_hex(4))).strip().splitlines()[-1]
    env = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CONSULTATION_URL": server.url,
        "CONSULTATION_API_KEY": key,
    }
    blocks = quick_start_blocks()
    shell = "\n".join(code for kind, code in blocks if kind == "sh")
    output = _run(["bash", "-euo", "pipefail", "-c", shell], env)
    assert "event: debate.started" in output
    assert "event: debate.completed" in output
    assert "event: end" in output
    assert output.rstrip().splitlines()[-1].startswith("completed")
    seqs = [int(n) for n in re.findall(r"^id: (\d+)$", output, re.MULTILINE)]
    assert seqs == list(range(1, len(seqs) + 1)), "no gap, no duplicate"
    for kind, code in blocks:
        if kind == "python":
            script = tmp_path / "example.py"
            script.write_text(code)
            printed = _run([sys.executable, str(script)], env)
            assert printed.rstrip().splitlines()[-1].startswith("completed"), printed
            assert "finished a turn" in printed
