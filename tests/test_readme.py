"""Every `manage.py` command of the README works as written on a fresh clone.

"Fresh clone" means: after `make run` has written its development `.env` and migrated. The
check builds that state in a scratch directory (the `.env` by the Makefile's own rule, a new
SQLite file) and runs each command exactly as the README prints it, in a clean environment,
from the checkout's root.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
_SHELL_BLOCK = re.compile(r"^```(?:sh|shell|bash|console)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_manage_commands(text: str) -> list[str]:
    """The shell lines of the README's code blocks that run manage.py, comments dropped."""
    commands = []
    for block in _SHELL_BLOCK.findall(text):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip()
            if "manage.py" in command and not command.startswith("#"):
                commands.append(command)
    return commands


def test_readme_manage_commands_are_found() -> None:
    text = '```sh\nmake run  # then\n.venv/bin/python manage.py debate "Q?"  # a debate\n```\n'
    assert readme_manage_commands(text) == ['.venv/bin/python manage.py debate "Q?"']
    assert readme_manage_commands(README.read_text(encoding="utf-8"))


@pytest.mark.process
def test_readme_manage_commands_work_as_written(tmp_path: Path) -> None:
    venv = Path(sys.executable).parent.parent
    written = subprocess.run(
        ["make", "-s", "-f", str(REPO_ROOT / "Makefile"), ".env", f"VENV={venv}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert written.returncode == 0, written.stdout + written.stderr
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.defpath]),
        "HOME": str(tmp_path),
        "ENV_FILE": str(tmp_path / ".env"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEMO_TOKENS_PER_SECOND": "0",  # the demo provider's pace is not what is checked here
        "LOG_LEVEL": "WARNING",
    }
    commands = [
        f"{sys.executable} manage.py migrate --noinput -v 0",  # what `make run` did first
        *readme_manage_commands(README.read_text(encoding="utf-8")),
    ]
    for command in commands:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
