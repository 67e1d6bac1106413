"""The e2e server processes (daphne, db_worker, a database helper) and their handle for tests."""

from __future__ import annotations

import json
import secrets
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_string
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import IO

import pytest

from tests.e2e.helpers import ARTIFACTS, PASSWORD, E2EUser, Mail, unique_email

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 30.0

_CREATE_USER = """
import json
from accounts.services import user_create, profile_update
args = json.loads({args!r})
user = user_create(email=args["email"], password=args["password"],
                   display_name=args["display_name"])
if args["locale"]:
    profile_update(actor=user, locale=args["locale"])
print(json.dumps({{"id": user.pk, "handle": user.profile.handle}}))
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


@dataclass
class E2EServer:
    """The running web + worker pair and a handle on their database."""

    url: str
    data_dir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    _log_files: list[IO[bytes]] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        """Where the file email backend writes one file per sent message."""
        return self.data_dir / "mail"

    def mails_to(self, address: str) -> list[Mail]:
        """Every email sent to `address` so far, oldest first, decoded."""
        if not self.mail_dir.exists():
            return []
        mails = []
        for path in sorted(self.mail_dir.iterdir()):
            # The file backend writes one file per connection, messages separated by a rule.
            for chunk in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
                if not chunk.strip():
                    continue
                message = message_from_string(chunk, policy=default_policy)
                assert isinstance(message, EmailMessage)
                body = message.get_body(("plain", "html"))
                mail = Mail(
                    to=str(message["To"]),
                    subject=str(message["Subject"]),
                    body=body.get_content() if body is not None else "",
                )
                if address in mail.to:
                    mails.append(mail)
        return mails

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run a management command against the e2e database; return its stdout."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"manage.py {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def shell(self, code: str, *, timeout: float = 60) -> str:
        """Run Python against the e2e database (Django set up, ORM usable); return its output.

        Goes through one long-lived helper process (tests/e2e/dbshell.py), so a call costs
        milliseconds, not Django's start-up. An exception in `code` fails the test.
        """
        shell = self.processes.get("dbshell")
        if shell is None:
            self.start("dbshell", [sys.executable, "-m", "tests.e2e.dbshell"], stdin=True)
            shell = self.processes["dbshell"]
        assert shell.stdin is not None
        assert shell.stdout is not None
        self.assert_running()
        shell.stdin.write(json.dumps({"code": code}).encode() + b"\n")
        shell.stdin.flush()
        ready, _, _ = select.select([shell.stdout], [], [], timeout)
        line = shell.stdout.readline() if ready else b""
        if not line:
            self.assert_running()
            pytest.fail(f"the e2e dbshell gave no answer within {timeout:.0f} s to:\n{code}")
        reply = json.loads(line)
        if reply["error"]:
            pytest.fail(f"e2e dbshell code failed:\n{code}\n{reply['error']}")
        return str(reply["output"])

    def create_user(
        self,
        *,
        email: str | None = None,
        password: str = PASSWORD,
        display_name: str = "",
        locale: str = "",
    ) -> E2EUser:
        """Create an account (with its profile and personal team) through accounts.services."""
        args = {
            "email": email or unique_email(),
            "password": password,
            "display_name": display_name,
            "locale": locale,
        }
        output = self.shell(_CREATE_USER.format(args=json.dumps(args)))
        created = json.loads(output.strip().splitlines()[-1])
        return E2EUser(
            email=str(args["email"]), password=password, id=created["id"], handle=created["handle"]
        )

    def start(self, name: str, command: list[str], *, stdin: bool = False) -> None:
        """Start a process; its output goes to tests/e2e/artifacts/<name>.log.

        With stdin=True, stdin and stdout are pipes to talk to (only stderr is logged).
        """
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # gitignored: absent on a fresh clone
        log_path = ARTIFACTS / f"{name}.log"
        log_file = log_path.open("wb")
        self._log_files.append(log_file)
        self.logs[name] = log_path
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdin else log_file,
            stderr=log_file if stdin else subprocess.STDOUT,
        )

    def assert_running(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                pytest.fail(
                    f"the e2e {name} exited with {process.returncode}; its output "
                    f"({self.logs[name]}):\n{_tail(self.logs[name])}"
                )

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last_error = "no attempt"
        while time.monotonic() < deadline:
            self.assert_running()
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.2)
        pytest.fail(
            f"the e2e server did not answer {self.url}/healthz within {STARTUP_TIMEOUT:.0f} s "
            f"(last error: {last_error}); its output ({self.logs['server']}):\n"
            f"{_tail(self.logs['server'])}"
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.stdin is not None:
                process.stdin.close()
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for process in self.processes.values():
            if process.stdout is not None:
                process.stdout.close()
        for log_file in self._log_files:
            log_file.close()


def embedded_env(data_dir: Path, *, url: str) -> dict[str, str]:
    """A clean environment, not the developer's shell: nothing there (REDIS_URL, provider keys,
    DATABASE_URL) may change what the tests see. The rest comes from tests.settings."""
    return {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(data_dir),
        "LANG": "C.UTF-8",
        "PYTHONUTF8": "1",
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
        # The embedded default, and the offline demo provider only, whatever .env says.
        "REDIS_URL": "",
        "LLM_PROVIDERS": "demo",
        "DEBUG": "0",
        "SITE_URL": url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


def production_env(
    data_dir: Path, *, site_url: str, database_url: str, redis_url: str
) -> dict[str, str]:
    """Production settings (`consultation.settings`, DEBUG off, fresh secrets), as a deployment
    runs them, for processes the tests start; only TLS is left to a proxy."""
    return {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(data_dir),
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
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LLM_PROVIDERS": "demo",
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def launched(data_dir: Path, *, workers: int = 2) -> Iterator[E2EServer]:
    """daphne and `workers` database workers on one migrated SQLite file in `data_dir`, as
    `make run` starts them; stopped on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = E2EServer(url=url, data_dir=data_dir, env=embedded_env(data_dir, url=url))
    # dj-stripe's migrations are off (MIGRATION_MODULES); --run-syncdb creates its tables.
    server.manage("migrate", "--run-syncdb", "--noinput", "-v", "0", timeout=300)
    try:
        server.start(
            "server",
            [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
             "consultation.asgi:application"],
        )  # fmt: skip
        # Two workers, as `make run` starts: a paced demo debate occupies a worker for ~10 s,
        # and tests in any order must not queue behind each other's debates.
        for index in range(workers):
            server.start(
                "worker" if index == 0 else f"worker-{index + 1}",
                [sys.executable, "manage.py", "worker", "--interval", "0.2",
                 "--no-startup-delay", "--no-reload"],
            )  # fmt: skip
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()


# The services mode's backing stores for tests that start it (tests/reliability): PostgreSQL
# trusting 127.0.0.1 and Redis there, as `make test-services` and CI provide them.
SERVICES_POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
SERVICES_REDIS = "redis://127.0.0.1:6379"


@contextmanager
def launched_services(data_dir: Path, *, workers: int = 2) -> Iterator[E2EServer]:
    """The services mode, as a deployment runs it: daphne and `workers` workers under
    `production_env()` on a scratch PostgreSQL database (created here, dropped on exit) and a
    Redis database number of its own (flushed before and after); stopped on exit."""
    import psycopg  # only this mode needs it
    from redis import Redis

    def admin() -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(**SERVICES_POSTGRES, autocommit=True)  # type: ignore[arg-type]

    dbname = f"consultation_rel_{secrets.token_hex(4)}"
    with admin() as connection:
        connection.execute(f'CREATE DATABASE "{dbname}"')
    redis_url = f"{SERVICES_REDIS}/{1 + (sum(map(ord, dbname)) % 15)}"
    Redis.from_url(redis_url).flushdb()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = (
        f"postgres://{SERVICES_POSTGRES['user']}@{SERVICES_POSTGRES['host']}:"
        f"{SERVICES_POSTGRES['port']}/{dbname}"
    )
    env = production_env(data_dir, site_url=url, database_url=database_url, redis_url=redis_url)
    server = E2EServer(url=url, data_dir=data_dir, env=env)
    try:
        server.manage("migrate", "--noinput", "-v", "0", timeout=300)
        server.start(
            "server",
            [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
             "consultation.asgi:application"],
        )  # fmt: skip
        for index in range(workers):
            server.start(
                "worker" if index == 0 else f"worker-{index + 1}",
                [sys.executable, "manage.py", "worker", "--worker-id",
                 f"{dbname}-{index}"],
            )  # fmt: skip
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()
        Redis.from_url(redis_url).flushdb()
        with admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
