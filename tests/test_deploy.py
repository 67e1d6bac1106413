"""docs/DEPLOY.md, the Procfile and compose.yaml stay true to the settings and the commands.

Every environment variable `consultation/settings.py` reads is documented (DEPLOY.md, the
README's table and `.env.example`); the Procfile and compose.yaml start the processes the
guide names, with variables the settings actually read.
"""

import ast
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SETTINGS = REPO_ROOT / "consultation" / "settings.py"
DEPLOY = REPO_ROOT / "docs" / "DEPLOY.md"

# The functions of settings.py that read a variable: env.str/int/bool/..., and its helpers.
_READERS = {"_env_list"}


@cache
def settings_variables() -> frozenset[str]:
    """Every variable name settings.py passes to a reader of the environment (ast, so a
    call split over lines or inside a condition is found)."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env = isinstance(func, ast.Attribute) and (
            isinstance(func.value, ast.Name) and func.value.id == "env"
        )
        is_helper = isinstance(func, ast.Name) and func.id in _READERS
        first = node.args[0]
        if (
            (is_env or is_helper)
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and first.value.isupper()
        ):
            names.add(first.value)
    return frozenset(names)


def test_the_scan_finds_the_settings_variables() -> None:
    found = settings_variables()
    # Read on one line, split over lines, and only in services mode: all three kinds.
    assert {"DEBUG", "SECRET_KEY", "RQ_JOB_TIMEOUT_SECONDS", "DATABASE_URL"} <= found
    assert len(found) > 60


@pytest.mark.parametrize(
    "document", ["docs/DEPLOY.md", "README.md", ".env.example"], ids=lambda name: name
)
def test_every_environment_variable_is_documented(document: str) -> None:
    text = (REPO_ROOT / document).read_text()
    missing = sorted(name for name in settings_variables() if name not in text)
    assert not missing, f"{document} does not mention: {missing}"


def test_deploy_guide_names_no_variable_the_settings_do_not_read() -> None:
    """A variable in the guide's tables that nothing reads is a setting that silently does
    nothing: a renamed or removed one."""
    text = DEPLOY.read_text()
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", text, flags=re.MULTILINE)
    assert rows, "DEPLOY.md has no table of variables"
    unknown = sorted(set(rows) - settings_variables())
    assert not unknown, f"DEPLOY.md documents variables settings.py never reads: {unknown}"


def test_procfile_runs_migrations_web_and_worker() -> None:
    entries = dict(
        line.split(":", 1)
        for line in (REPO_ROOT / "Procfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert set(entries) == {"release", "web", "worker"}
    assert "manage.py migrate" in entries["release"]
    assert "daphne" in entries["web"]
    assert "consultation.asgi:application" in entries["web"]
    assert "manage.py worker" in entries["worker"]


def test_compose_runs_postgres_redis_web_and_worker_with_read_variables() -> None:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker"} <= set(services)
    for name in ("migrate", "web", "worker"):
        environment = services[name]["environment"]
        variables = set(environment) if isinstance(environment, dict) else set()
        unknown = sorted(variables - settings_variables())
        assert not unknown, f"compose service {name} sets unread variables: {unknown}"
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= variables, name
    assert "manage.py worker" in " ".join(services["worker"]["command"])
    assert "daphne" in " ".join(services["web"]["command"])
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
