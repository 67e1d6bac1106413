"""Services mode is switched by the environment alone: DATABASE_URL and REDIS_URL.

Real processes from a clean environment (as in test_settings.py): what the settings resolve
to with and without the two variables, and `check --deploy` clean in services mode too. No
server is contacted: settings and checks only name PostgreSQL and Redis.
"""

import json
from pathlib import Path

import pytest

from consultation.tests.test_settings import production_env, run

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "db = s.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'pool': db.get('OPTIONS', {}).get('pool'), "
    "'cache': s.CACHES['default']['BACKEND'], 'layer': s.CHANNEL_LAYERS['default']['BACKEND'], "
    "'tasks': s.TASKS['default']['BACKEND'], 'rq': getattr(s, 'RQ_QUEUES', None), "
    "'rq_app': 'django_rq' in s.INSTALLED_APPS}))"
)
SERVICES = {
    "DATABASE_URL": "postgres://consultation:secret@db.internal:5432/consultation",
    "REDIS_URL": "redis://redis.internal:6379/0",
}


def resolved(tmp_path: Path, **overrides: str) -> dict[str, object]:
    result = run(["-c", SHOW], production_env(tmp_path, **overrides))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.process
def test_settings_services_mode_turns_on_postgres_pool_redis_and_rq(tmp_path: Path) -> None:
    services = resolved(tmp_path, **SERVICES, RQ_JOB_TIMEOUT_SECONDS="900")
    assert services["engine"] == "django.db.backends.postgresql"
    assert services["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10.0}
    assert services["cache"] == "consultation.cache.RedisCache"
    assert services["layer"] == "channels_redis.core.RedisChannelLayer"
    assert services["tasks"] == "django_tasks_rq.RQBackend"
    assert services["rq"] == {
        "default": {"URL": SERVICES["REDIS_URL"], "DEFAULT_TIMEOUT": 900},
    }
    assert services["rq_app"] is True


@pytest.mark.process
def test_settings_embedded_default_keeps_the_database_task_backend(tmp_path: Path) -> None:
    embedded = resolved(tmp_path)
    assert embedded["engine"] == "consultation.sqlite3"
    assert embedded["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert embedded["layer"] == "channels.layers.InMemoryChannelLayer"
    assert embedded["tasks"] == "django_tasks_db.DatabaseBackend"
    assert embedded["rq"] is None
    assert embedded["rq_app"] is False


@pytest.mark.process
def test_settings_services_mode_passes_deploy_checks(tmp_path: Path) -> None:
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path, **SERVICES),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
