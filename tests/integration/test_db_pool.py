"""The scale path under load: one Daphne process on PostgreSQL holds 50 concurrent clients
with a bounded number of database connections (the psycopg pool), and answers no 5xx.

Before the pool, persistent connections were per thread and every ASGI request runs in a
thread of its own: 50 clients for 30 s took PostgreSQL to 99 of its 100 connections and 16%
of the requests failed with "too many clients". Here the server gets its own database, the
pool is DATABASE_POOL_MAX_SIZE=5, and pg_stat_activity is sampled while the clients run.
Loopback only; every loop is bounded in count and time.
"""

import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.e2e.server import E2EServer, free_port

pytestmark = pytest.mark.services

VENV_BIN = Path(sys.executable).parent
CLIENTS = 50
REQUESTS_PER_CLIENT = 8
POOL_MAX = 5
LOAD_TIMEOUT_S = 120.0

SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.services import user_create
from debates.tests.factories import make_debate
user = user_create(email="load@example.com", password=None)
for _ in range(3):
    make_debate(user)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def _admin_dsn() -> dict[str, object]:
    database = settings.DATABASES["default"]
    return {
        "host": database["HOST"] or "127.0.0.1",
        "port": int(database["PORT"] or 5432),
        "user": database["USER"],
        "password": database["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }


@pytest.fixture
def database() -> Iterator[str]:
    """A database of this test's own on the services PostgreSQL, dropped at the end."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("this test needs PostgreSQL: run it with `make test-services`")
    name = f"consultation_pool_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**_admin_dsn()) as admin:  # type: ignore[arg-type]
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(**_admin_dsn()) as admin:  # type: ignore[arg-type]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _connections(name: str) -> int:
    """Server connections to `name`, this sampler's own excluded."""
    with psycopg.connect(**_admin_dsn()) as admin:  # type: ignore[arg-type]
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def server(database: str, tmp_path: Path) -> Iterator[E2EServer]:
    database_settings = settings.DATABASES["default"]
    user = database_settings["USER"]
    password = f":{database_settings['PASSWORD']}" if database_settings["PASSWORD"] else ""
    host = database_settings["HOST"] or "127.0.0.1"
    port = database_settings["PORT"] or 5432
    env = {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{database}",
        "DATABASE_POOL_MAX_SIZE": str(POOL_MAX),
        "DATABASE_POOL_MIN_SIZE": "1",
        "DATABASE_POOL_TIMEOUT": "30",
        "REDIS_URL": "",
        "LLM_PROVIDERS": "demo",
        # 400 requests from one address in seconds: the per-minute limit is not under test.
        "RATELIMIT_ENABLE": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    listen = free_port()
    handle = E2EServer(url=f"http://127.0.0.1:{listen}", data_dir=tmp_path, env=env)
    handle.manage("migrate", "--noinput", "-v", "0", timeout=300)
    try:
        handle.start(
            "server",
            [
                str(VENV_BIN / "daphne"),
                *("-b", "127.0.0.1", "-p", str(listen)),
                "consultation.asgi:application",
            ],
        )
        handle.wait_until_healthy()
        yield handle
    finally:
        handle.stop()


def test_fifty_concurrent_clients_get_no_5xx_and_bounded_connections(
    server: E2EServer, database: str
) -> None:
    session_key = server.shell(SESSION).strip().splitlines()[-1]
    # The helper shell holds a pool of its own: stop it, so what is counted is the web
    # process alone.
    shell = server.processes.pop("dbshell")
    assert shell.stdin is not None
    assert shell.stdout is not None
    shell.stdin.close()
    shell.wait(timeout=30)
    shell.stdout.close()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    paths = ["/api/v1/debates/", "/api/v1/models/", "/leaderboard/", "/readyz"]
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        start.wait(timeout=30)  # all 50 at once
        for index in range(REQUESTS_PER_CLIENT):
            if time.monotonic() > deadline:
                break
            request = urllib.request.Request(  # noqa: S310  (our loopback server)
                server.url + paths[(number + index) % len(paths)], headers={"Cookie": cookie}
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            with lock:
                statuses[status] += 1

    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set() and time.monotonic() < deadline:
            samples.append(_connections(database))
            done.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            for future in [pool.submit(client, n) for n in range(CLIENTS)]:
                future.result()
    finally:
        done.set()
        sampler.join(timeout=10)

    assert sum(statuses.values()) == CLIENTS * REQUESTS_PER_CLIENT, statuses
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[200] == CLIENTS * REQUESTS_PER_CLIENT, statuses
    peak = max(samples)
    # The web process's pool and nothing else: never one connection per client or thread.
    assert peak <= POOL_MAX, f"peak {peak} connections, pool of {POOL_MAX}"
    server.assert_running()
    assert _connections(database) <= POOL_MAX
