from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEntry, Team, User
from apikeys.models import APIKey
from apikeys.services import apikey_revoke, apikey_touch
from apikeys.tests.factories import make_key
from consultation.exceptions import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def test_create_returns_the_key_once_and_stores_no_plaintext(owner: User, team: Team) -> None:
    keys = [make_key(actor=owner, team=team, name=f"key {i}").key for i in range(3)]
    # Scan every column of every row of the table, the way a leaked dump would be read.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {APIKey._meta.db_table}")  # noqa: S608
        dump = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert len(keys) == 3
    for key in keys:
        assert key not in dump
        secret = key[len("csk_live_") + 12 : -6]
        assert secret not in dump
    for entry in AuditEntry.objects.all():
        assert not any(key in str(entry.data) for key in keys)


def test_create_is_audited_and_logged_without_the_key(
    owner: User, team: Team, capture_logs: Any
) -> None:
    created = make_key(actor=owner, team=team, scopes=["debates:read"])
    entry = AuditEntry.objects.get(action="apikey.created")
    assert entry.team == team
    assert entry.target_id == str(created.api_key.pk)
    assert entry.data["scopes"] == ["debates:read"]
    events = [e for e in capture_logs if e["event"] == "apikey.created"]
    assert len(events) == 1
    assert created.key not in str(capture_logs)


def test_only_owners_and_admins_create_keys(member: User, team: Team) -> None:
    with pytest.raises(PermissionDenied):
        make_key(actor=member, team=team)


def test_create_validates_scopes_name_and_expiry(owner: User, team: Team) -> None:
    with pytest.raises(ValidationFailed):
        make_key(actor=owner, team=team, scopes=["debates:delete"])
    with pytest.raises(ValidationFailed):
        make_key(actor=owner, team=team, scopes=[])
    with pytest.raises(ValidationFailed):
        make_key(actor=owner, team=team, name="  ")
    with pytest.raises(ValidationFailed):
        make_key(actor=owner, team=team, expires_at=timezone.now() - timedelta(seconds=1))


def test_revoke_is_audited_once(owner: User, team: Team) -> None:
    api_key = make_key(actor=owner, team=team).api_key
    apikey_revoke(actor=owner, api_key=api_key)
    apikey_revoke(actor=owner, api_key=api_key)
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert AuditEntry.objects.filter(action="apikey.revoked").count() == 1


def test_members_cannot_revoke(owner: User, member: User, team: Team) -> None:
    api_key = make_key(actor=owner, team=team).api_key
    with pytest.raises(PermissionDenied):
        apikey_revoke(actor=member, api_key=api_key)


def test_last_used_is_written_at_most_once_a_minute(
    owner: User, team: Team, django_assert_num_queries: Any
) -> None:
    api_key = make_key(actor=owner, team=team).api_key
    now = timezone.now()
    with django_assert_num_queries(1):
        apikey_touch(api_key=api_key, now=now)
    with django_assert_num_queries(0):
        apikey_touch(api_key=api_key, now=now + timedelta(seconds=59))
    # Another process holding an older copy: its conditional UPDATE matches nothing.
    stale_copy = APIKey.objects.get(pk=api_key.pk)
    stale_copy.last_used_at = None
    apikey_touch(api_key=stale_copy, now=now + timedelta(seconds=30))
    api_key.refresh_from_db()
    assert api_key.last_used_at == now
    apikey_touch(api_key=api_key, now=now + timedelta(seconds=61))
    api_key.refresh_from_db()
    assert api_key.last_used_at == now + timedelta(seconds=61)
