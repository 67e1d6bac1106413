"""What an API key costs per request: authentication plus the rate-limit check, in µs.

Builds a scratch database (the test settings: in-memory SQLite, the local-memory cache), a
team on the Free plan (its rate raised so nothing is refused) and a key, then times, per call:

- `key auth`: `apikeys.authentication.authenticate_key` (parse + checksum, one indexed
  SELECT with the team and creator, HMAC-SHA256, constant-time compare; last_used_at is
  written at most once a minute, so not here);
- `rate check`: `apikeys.throttling.rate_check` (the plan's rate: one SELECT; the counter:
  django-ratelimit's add/incr on the cache);
- `both`: the two together, what the API adds to each keyed request;
- `GET /api/v1/me/`: a whole request through Django and DRF with the key, for scale.

    python -m bench.bench_apikeys [--calls 5000]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _setup() -> tuple[str, object]:
    """In the child process: its environment (set by main) selects the test settings."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    from accounts.services import team_create, user_create
    from apikeys.services import apikey_create
    from billing.models import Plan
    from billing.plans import plans_seed

    plans_seed()
    Plan.objects.filter(slug="free").update(api_requests_per_minute=10**9)
    user = user_create(email="bench@example.com", password=None)
    team = team_create(actor=user, name="Bench")
    created = apikey_create(
        actor=user, team=team, name="bench", scopes=["debates:read", "debates:write"]
    )
    return created.key, created.api_key


def _time(work: Callable[[], object], calls: int, repeats: int = 5) -> tuple[float, float]:
    """Median and best of `repeats` runs, µs per call."""
    for _ in range(min(200, calls)):
        work()  # warm caches and connections
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            work()
        runs.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(runs), min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.child:
        # A child process whose whole environment is chosen here (no .env, no REDIS_URL).
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                "HOME": tmp,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "LOG_LEVEL": "WARNING",
            }
            command = [sys.executable, "-m", "bench.bench_apikeys", "--child", *sys.argv[1:]]
            sys.exit(subprocess.run(command, env=env, check=False).returncode)
    key, api_key = _setup()

    from django.test import Client

    from apikeys.authentication import authenticate_key
    from apikeys.throttling import rate_check

    def auth() -> object:
        return authenticate_key(key)

    def rate() -> object:
        return rate_check(api_key=api_key, user=None, team=None, ip="")  # type: ignore[arg-type]

    def both() -> object:
        _user, resolved = authenticate_key(key)
        return rate_check(api_key=resolved, user=None, team=None, ip="")

    client = Client(headers={"Authorization": f"Bearer {key}"})

    def request() -> object:
        response = client.get("/api/v1/me/")
        assert response.status_code == 200, response.content
        return response

    print(f"per call, median (best) of 5 runs; {args.calls} calls a run (requests: a tenth)")
    for name, work, calls in (
        ("key auth", auth, args.calls),
        ("rate check", rate, args.calls),
        ("both", both, args.calls),
        ("GET /api/v1/me/ with a key", request, max(1, args.calls // 10)),
    ):
        median, best = _time(work, calls)
        print(f"{name:30s} {median:9.1f} µs  ({best:.1f})")


if __name__ == "__main__":
    main()
