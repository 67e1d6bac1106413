"""Download my data: a worker builds one JSON file (profile, teams, debates with turns and
judgments, usage, keys, activity), e-mails a link, and serves it to its owner alone until it
expires."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.tasks import default_task_backend
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry, Team, User
from debates.tests import factories
from privacy.models import DataExport, ExportStatus
from privacy.services import data_export_build
from providerkeys.services import key_save

pytestmark = pytest.mark.django_db


def ask(client: Client, capture: Any) -> DataExport:
    with capture(execute=True):
        response = client.post("/settings/privacy/export/")
    assert response.status_code == 302
    return DataExport.objects.latest("created_at")


def download(client: Client, export: DataExport) -> Any:
    return client.get(f"/settings/privacy/exports/{export.pk}/download/")


def test_the_copy_holds_the_debates_turns_judgments_and_profile(
    owner_client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    debate = factories.make_debate(owner, status="completed")
    factories.make_turn(debate, content="Opening: the four-day week pays for itself.")
    factories.make_judgment(debate, rationale="Clear and well argued.")
    export = ask(owner_client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert export.expires_at is not None
    assert export.expires_at > timezone.now()

    response = download(owner_client, export)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(b"".join(response.streaming_content))
    assert data["format"] == "consultation-export/1"
    assert data["profile"]["email"] == owner.email
    [exported] = data["debates"]
    assert exported["question"] == factories.QUESTION
    assert exported["turns"][0]["content"] == "Opening: the four-day week pays for itself."
    assert exported["judgments"][0]["rationale"] == "Clear and well argued."
    assert {team["role"] for team in data["teams"]} == {"owner"}
    assert "usage" in data
    assert "api_keys" in data
    assert data["provider_keys"] == []
    assert "activity" in data
    assert AuditEntry.objects.filter(action="data_export.downloaded", actor=owner).exists()


def test_the_copy_lists_the_provider_keys_the_user_added_and_never_their_secret(
    owner_client: Client,
    owner: User,
    member: User,
    team: Team,
    django_capture_on_commit_callbacks: Any,
) -> None:
    secret = "sk-" + "q7" * 20
    key_save(actor=owner, team=team, provider="openai", secret=secret)
    key_save(actor=member, team=team, provider="anthropic", secret="sk-ant-" + "z" * 30)

    export = ask(owner_client, django_capture_on_commit_callbacks)
    body = b"".join(download(owner_client, export).streaming_content)

    [key] = json.loads(body)["provider_keys"]
    assert key["provider"] == "openai"
    assert key["team"] == str(team.pk)
    assert key["hint"] == secret[-4:]
    assert key["status"] == "untested"
    assert secret.encode() not in body
    assert b"secret" not in body


def test_the_link_is_e_mailed_in_the_users_language(
    owner_client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    owner.profile.locale = "tr"
    owner.profile.save()
    export = ask(owner_client, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert f"/settings/privacy/exports/{export.pk}/download/" in message.body
    assert "indir" in message.subject.lower() or "hazır" in message.subject.lower()


def test_only_the_owner_can_download_it(
    owner_client: Client,
    outsider_client: Client,
    anon_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    export = ask(owner_client, django_capture_on_commit_callbacks)
    assert download(outsider_client, export).status_code == 404
    assert download(anon_client, export).status_code == 302  # to the login page


def test_an_expired_copy_is_refused_and_its_file_deleted(
    owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    export = ask(owner_client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    name = export.file.name
    assert name
    assert default_storage.exists(name)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(1))
    assert download(owner_client, export).status_code == 404
    assert not default_storage.exists(name)
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED


def test_one_request_at_a_time(
    owner_client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    ask(owner_client, django_capture_on_commit_callbacks)
    owner_client.post("/settings/privacy/export/")
    assert DataExport.objects.filter(user=owner).count() == 1
    page = owner_client.get("/settings/privacy/")
    assert b'id="export-download"' in page.content


def test_a_new_copy_replaces_the_old_file(
    owner_client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    first = ask(owner_client, django_capture_on_commit_callbacks)
    first.refresh_from_db()
    old_name = first.file.name
    assert old_name
    DataExport.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1))
    second = ask(owner_client, django_capture_on_commit_callbacks)
    assert second.pk != first.pk
    assert not default_storage.exists(old_name)
    first.refresh_from_db()
    assert first.status == ExportStatus.EXPIRED


def test_a_worker_deletes_the_file_when_it_expires(
    owner: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    export = DataExport.objects.create(user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        data_export_build(export_id=export.pk)
    export.refresh_from_db()
    [deletion] = default_task_backend.results  # type: ignore[attr-defined]
    assert deletion.task.module_path == "privacy.tasks.delete_data_export"
    assert deletion.task.run_after == export.expires_at
    assert deletion.args == [str(export.pk)]
