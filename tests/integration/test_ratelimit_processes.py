"""Rate limits are exact across processes: two web servers sharing Redis admit exactly N.

Two daphne processes serve the same database and the same Redis (`REDIS_URL`, as `make
test-services` sets it); a key whose team's plan allows N requests a minute sends 2N requests,
alternating between the servers and partly at once. Exactly N are answered 200, the rest 429.
"""

import json
import secrets
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.server import E2EServer, free_port, production_env

pytestmark = pytest.mark.services

VENV_BIN = Path(sys.executable).parent
LIMIT = 7

SETUP = """
from accounts.services import team_create, user_create
from apikeys.services import apikey_create
from billing.models import Plan
Plan.objects.filter(slug="free").update(api_requests_per_minute={limit})
user = user_create(email="limits-{tag}@example.com", password=None)
team = team_create(actor=user, name="Limits")
print(apikey_create(actor=user, team=team, name="two servers", scopes=["debates:read"]).key)
"""


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[E2EServer, list[str]]]:
    redis_url = settings.REDIS_URL  # from the environment `make test-services` sets
    if not redis_url:
        pytest.fail("REDIS_URL is not set: run this with `make test-services`.")
    ports = [free_port(), free_port()]
    # Production settings: no per-process cache prefix, so both servers count together.
    env = {
        **production_env(
            tmp_path,
            site_url=f"http://127.0.0.1:{ports[0]}",
            database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            redis_url=redis_url,
        ),
        "LOG_LEVEL": "WARNING",
    }
    handle = E2EServer(url="", data_dir=tmp_path, env=env)
    handle.manage("migrate", "--run-syncdb", "--noinput", "-v", "0", timeout=300)
    urls = []
    try:
        for number, port in enumerate(ports):
            handle.start(
                f"ratelimit-server-{number}",
                [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                 "consultation.asgi:application"],
            )  # fmt: skip
            handle.url = f"http://127.0.0.1:{port}"
            handle.logs["server"] = handle.logs[f"ratelimit-server-{number}"]
            handle.wait_until_healthy()
            urls.append(handle.url)
        yield handle, urls
    finally:
        handle.stop()


def _get(url: str, key: str) -> int:
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
            assert body["limit"] == LIMIT
        return int(error.code)


def test_a_limit_of_n_admits_exactly_n_across_two_processes(
    servers: tuple[E2EServer, list[str]],
) -> None:
    handle, urls = servers
    key = handle.shell(SETUP.format(limit=LIMIT, tag=secrets.token_hex(4))).strip().splitlines()[-1]
    targets = [urls[i % 2] for i in range(2 * LIMIT)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda url: _get(url, key), targets))
    assert sorted(statuses) == [200] * LIMIT + [429] * LIMIT, statuses
