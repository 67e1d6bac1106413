import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Profile, Team, User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_me_returns_profile_active_team_and_teams(
    owner_client: Client, owner: User, team: Team
) -> None:
    Profile.objects.filter(user=owner).update(display_name="Ada", timezone="Europe/Istanbul")
    personal = Team.objects.get(created_by=owner, is_personal=True)

    response = owner_client.get(reverse("api-me"))

    assert response.status_code == 200
    assert response.json() == {
        "email": "owner@example.com",
        "handle": owner.profile.handle,
        "display_name": "Ada",
        "locale": "en",
        "timezone": "Europe/Istanbul",
        "active_team": {"id": str(team.pk), "name": "Acme Research", "is_personal": False},
        "teams": [
            {"id": str(personal.pk), "name": "Personal", "is_personal": True},
            {"id": str(team.pk), "name": "Acme Research", "is_personal": False},
        ],
    }


def test_me_anonymous_is_refused_with_json_code(anon_client: Client) -> None:
    response = anon_client.get(reverse("api-me"))

    # No credentials: 401 with a challenge, as every endpoint answers (docs/API.md).
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["detail"]


def test_me_gives_a_superuser_a_workspace_first() -> None:
    admin = User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    client = Client()
    client.force_login(admin)

    response = client.get(reverse("api-me"))

    assert response.status_code == 200
    personal = Team.objects.get(created_by=admin, is_personal=True)
    assert response.json()["active_team"]["id"] == str(personal.pk)
    assert response.json()["handle"] == "root"


def test_me_refuses_writes(owner_client: Client) -> None:
    response = owner_client.post(reverse("api-me"), {}, content_type="application/json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_me_is_in_the_openapi_schema(owner_client: Client) -> None:
    response = owner_client.get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/me/"]["get"]
    assert operation["operationId"] == "me_retrieve"
