"""Production settings, exercised in real processes started from a clean environment.

Each test builds the environment from nothing (never from the developer's), so what passes here
is what a deployment with exactly these variables gets.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        # Built, not copied from os.environ: the interpreter is absolute, HOME is a scratch dir.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.defpath]),
        "HOME": str(tmp_path),
        # A developer's .env in the checkout must not leak into "production".
        "ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "APIKEY_PEPPER": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "consultation.example",
        "SITE_URL": "https://consultation.example",
        "EMAIL_URL": "smtp+tls://user:pass@smtp.example:587",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
    }
    env.update(overrides)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our interpreter, our arguments)
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.process
def test_settings_production_env_passes_deploy_checks(tmp_path: Path) -> None:
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.process
def test_settings_without_secret_key_fail_clearly_outside_debug(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = run(["-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set the SECRET_KEY environment variable" in result.stderr


@pytest.mark.process
def test_settings_read_the_file_named_by_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "production.env"
    env_file.write_text(f"SECRET_KEY={secrets.token_hex(32)}\nALLOWED_HOSTS=a.example, b.example\n")
    env = production_env(tmp_path, ENV_FILE=str(env_file))
    del env["SECRET_KEY"], env["ALLOWED_HOSTS"]
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.ALLOWED_HOSTS)"
    )
    result = run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['a.example', 'b.example']"


def development_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """What `make run` gives its processes: DEBUG on, nothing else chosen."""
    env = production_env(tmp_path, DEBUG="1")
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "EMAIL_URL"):
        del env[name]
    env.update(overrides)
    return env


SHOW_SITE_URL = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SITE_URL, settings.CSRF_TRUSTED_ORIGINS)"
)


@pytest.mark.process
def test_settings_site_url_follows_port_in_development(tmp_path: Path) -> None:
    result = run(["-c", SHOW_SITE_URL], development_env(tmp_path, PORT="8123"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8123 ['http://127.0.0.1:8123']"


@pytest.mark.process
def test_settings_site_url_set_explicitly_wins_over_port(tmp_path: Path) -> None:
    env = development_env(tmp_path, PORT="8123", SITE_URL="https://dev.example/")
    result = run(["-c", SHOW_SITE_URL], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://dev.example ['https://dev.example']"


@pytest.mark.process
def test_settings_env_file_naming_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    env = production_env(tmp_path, ENV_FILE=str(tmp_path / "missing.env"))
    result = run(["-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    assert f"ENV_FILE names {tmp_path / 'missing.env'}, which is not a file" in result.stderr


SHOW_CSP = (
    "import django; django.setup(); from django.conf import settings; "
    "print(bool(settings.SECURE_CSP), bool(settings.SECURE_CSP_REPORT_ONLY))"
)


@pytest.mark.process
def test_settings_csp_is_enforced_in_production_and_reported_in_development(
    tmp_path: Path,
) -> None:
    production = run(["-c", SHOW_CSP], production_env(tmp_path))
    assert production.stdout.strip() == "True False", production.stderr
    development = run(["-c", SHOW_CSP], development_env(tmp_path))
    assert development.stdout.strip() == "False True", development.stderr


@pytest.mark.process
def test_settings_wildcard_hosts_fail_the_deploy_check(tmp_path: Path) -> None:
    result = run(["manage.py", "check", "--deploy"], production_env(tmp_path, ALLOWED_HOSTS="*"))
    assert result.returncode != 0
    assert "consultation.E008" in result.stdout + result.stderr
