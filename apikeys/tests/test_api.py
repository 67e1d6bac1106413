"""Key management over the API (session only, owners and admins) and in admin."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditEntry, Team, User
from accounts.services import team_switch
from apikeys.models import APIKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_team(owner: User, member: User, team: Team) -> Team:
    team_switch(user=owner, team=team)
    team_switch(user=member, team=team)
    return team


def test_create_list_revoke(owner_client: Client, in_team: Team) -> None:
    created = owner_client.post(
        "/api/v1/keys/",
        {"name": "CI", "scopes": ["debates:read"], "rate_limit_per_minute": 10},
        "application/json",
    )
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert key.startswith(body["prefix"])
    assert body["status"] == "active"
    assert body["scopes"] == ["debates:read"]
    listed = owner_client.get("/api/v1/keys/").json()
    assert [k["id"] for k in listed] == [body["id"]]
    assert "key" not in listed[0]
    assert key not in owner_client.get("/api/v1/keys/").content.decode()
    keyed = Client(headers={"Authorization": f"Bearer {key}"})
    assert keyed.get("/api/v1/me/").status_code == 200
    assert owner_client.delete(f"/api/v1/keys/{body['id']}/").status_code == 204
    assert owner_client.get("/api/v1/keys/").json()[0]["status"] == "revoked"
    assert keyed.get("/api/v1/me/").json()["code"] == "invalid_api_key"
    assert AuditEntry.objects.filter(action__startswith="apikey.").count() == 2


def test_members_and_keys_cannot_manage_keys(
    owner_client: Client, member_client: Client, in_team: Team
) -> None:
    assert member_client.get("/api/v1/keys/").status_code == 403
    refused = member_client.post("/api/v1/keys/", {"name": "x", "scopes": ["debates:read"]},
                                 "application/json")  # fmt: skip
    assert refused.status_code == 403
    key = owner_client.post(
        "/api/v1/keys/", {"name": "CI", "scopes": ["debates:read"]}, "application/json"
    ).json()
    keyed = Client(headers={"Authorization": f"Bearer {key['key']}"})
    assert keyed.get("/api/v1/keys/").json()["code"] == "permission_denied"
    assert keyed.delete(f"/api/v1/keys/{key['id']}/").status_code == 403


def test_bad_input_is_validation_failed(owner_client: Client, in_team: Team) -> None:
    response = owner_client.post(
        "/api/v1/keys/", {"name": "CI", "scopes": ["everything"]}, "application/json"
    )
    assert response.status_code == 400
    assert "scopes" in response.json()["fields"]


def test_another_teams_key_is_not_found(owner_client: Client, in_team: Team, owner: User) -> None:
    key_id = owner_client.post(
        "/api/v1/keys/", {"name": "CI", "scopes": ["debates:read"]}, "application/json"
    ).json()["id"]
    team_switch(user=owner, team=Team.objects.get(created_by=owner, is_personal=True))
    assert owner_client.delete(f"/api/v1/keys/{key_id}/").status_code == 404
    assert APIKey.objects.get(pk=key_id).revoked_at is None


def test_admin_lists_keys_and_never_shows_the_secret(staff: User, owner: User, team: Team) -> None:
    from apikeys.tests.factories import make_key

    created = make_key(actor=owner, team=team)
    client = Client()
    client.force_login(staff)
    listing = client.get("/admin/apikeys/apikey/")
    assert listing.status_code == 200
    assert created.api_key.display_prefix in listing.content.decode()
    page = client.get(f"/admin/apikeys/apikey/{created.api_key.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert created.key not in html
    assert created.api_key.key_hash not in html


def test_the_settings_page_shows_the_key_once(owner_client: Client, in_team: Any) -> None:
    page = owner_client.post(
        "/settings/api-keys/", {"name": "Nightly", "scopes": ["debates:read"], "expiry": "30"}
    )
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    key_value = page.content.decode().split('id="new-key-value"', 1)[1].split('value="', 1)[1]
    key = key_value.split('"', 1)[0]
    assert key.startswith("csk_live_")
    again = owner_client.get("/settings/api-keys/").content.decode()
    assert key not in again
    assert "Nightly" in again
