import asyncio
from typing import Any

import pytest
from django.test import Client

from consultation import views


def failing_check() -> None:
    raise ConnectionError("connection refused")


def test_healthz_answers_ok(anon_client: Client) -> None:
    response = anon_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_touches_no_dependency(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in views.READINESS_CHECKS:
        monkeypatch.setitem(views.READINESS_CHECKS, name, failing_check)
    assert anon_client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_reports_every_check_ok(anon_client: Client) -> None:
    response = anon_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "cache": "ok",
            "channel_layer": "ok",
            "task_backend": "ok",
            "providers": "ok",
        },
        "providers": ["demo"],
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "failing", ["database", "cache", "channel_layer", "task_backend", "providers"]
)
def test_readyz_is_503_naming_the_failing_check(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    monkeypatch.setitem(views.READINESS_CHECKS, failing, failing_check)
    response = anon_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"][failing] == "error"
    assert [name for name, state in body["checks"].items() if state != "ok"] == [failing]
    # The probe names the check; the reason goes to the log, never to the caller.
    assert "refused" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_gives_up_on_a_channel_layer_that_never_answers(
    anon_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    class SilentLayer:
        async def new_channel(self, prefix: str = "specific.") -> str:
            return f"{prefix}silent"

        async def send(self, channel: str, message: dict[str, Any]) -> None:
            return None

        async def receive(self, channel: str) -> dict[str, Any]:
            await asyncio.Event().wait()  # nothing ever arrives
            raise AssertionError("unreachable")

    monkeypatch.setattr(views, "get_channel_layer", SilentLayer)
    monkeypatch.setattr(views, "READINESS_TIMEOUT_SECONDS", 0.01)
    response = anon_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] == "error"


@pytest.mark.django_db
def test_readyz_refuses_writes(anon_client: Client) -> None:
    assert anon_client.post("/readyz").status_code == 405


@pytest.mark.django_db
def test_readyz_checks_the_database_task_queue(anon_client: Client, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert anon_client.get("/readyz").json()["checks"]["task_backend"] == "ok"


@pytest.mark.django_db
def test_readyz_fails_a_provider_enabled_without_credentials(
    anon_client: Client, settings: Any
) -> None:
    settings.LLM_PROVIDERS = ["demo", "openai"]
    settings.PROVIDER_CREDENTIALS = {**settings.PROVIDER_CREDENTIALS, "openai": ""}
    response = anon_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["providers"] == "error"
    settings.LLM_PROVIDERS = []
    assert anon_client.get("/readyz").json()["checks"]["providers"] == "error"
