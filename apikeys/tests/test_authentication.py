"""Key authentication at the API's edge: headers, cookies and CSRF, refusals, team."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, Team, User
from apikeys.models import APIKey
from apikeys.selectors import apikey_authenticate, auth_cache_key
from apikeys.services import apikey_revoke
from apikeys.tests.factories import make_key
from consultation.exceptions import InvalidAPIKey

pytestmark = pytest.mark.django_db


def _me(client: Client, **headers: str) -> Any:
    return client.get("/api/v1/me/", headers=headers)


def test_bearer_and_x_api_key_both_authenticate(team_key: str, team: Team) -> None:
    for headers in ({"Authorization": f"Bearer {team_key}"}, {"X-API-Key": team_key}):
        response = _me(Client(), **headers)
        assert response.status_code == 200
        body = response.json()
        assert body["email"] == "owner@example.com"
        # The key's team is the active one, and the only one it sees.
        assert body["active_team"]["id"] == str(team.pk)
        assert [t["id"] for t in body["teams"]] == [str(team.pk)]


def test_a_key_wins_over_the_session_cookie(team_key: str, outsider_client: Client) -> None:
    response = _me(outsider_client, Authorization=f"Bearer {team_key}")
    assert response.json()["email"] == "owner@example.com"


def test_a_bad_key_is_401_even_with_a_valid_session(owner_client: Client, team_key: str) -> None:
    broken = team_key[:-1] + ("0" if team_key[-1] != "0" else "1")
    response = _me(owner_client, Authorization=f"Bearer {broken}")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_expired_and_unknown_keys_are_401(owner: User, team: Team) -> None:
    revoked = make_key(actor=owner, team=team)
    apikey_revoke(actor=owner, api_key=revoked.api_key)
    expired = make_key(actor=owner, team=team, expires_at=timezone.now() + timedelta(hours=1))
    APIKey.objects.filter(pk=expired.api_key.pk).update(expires_at=timezone.now())
    deleted = make_key(actor=owner, team=team)
    deleted.api_key.delete()
    for key in (revoked.key, expired.key, deleted.key):
        response = _me(Client(), Authorization=f"Bearer {key}")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_api_key"


def test_a_key_stops_working_when_its_creator_leaves_the_team(
    owner: User, member: User, team: Team
) -> None:
    Membership.objects.filter(team=team, user=member).update(role="admin")
    key = make_key(actor=member, team=team).key
    assert _me(Client(), Authorization=f"Bearer {key}").status_code == 200
    Membership.objects.filter(team=team, user=member).delete()
    # Within AUTH_CACHE_SECONDS the cached row still answers; once it expires, 401.
    cache.delete(auth_cache_key(key[len("csk_live_") :][:12]))
    assert _me(Client(), Authorization=f"Bearer {key}").status_code == 401


def test_a_malformed_key_is_refused_without_a_query(
    team_key: str, django_assert_num_queries: Any, capture_logs: Any
) -> None:
    with django_assert_num_queries(0), pytest.raises(InvalidAPIKey):
        apikey_authenticate(raw=team_key[:-2], now=timezone.now())
    failures = [e for e in capture_logs if e["event"] == "apikey.auth_failed"]
    assert failures[0]["reason"] == "malformed"
    assert team_key[:-2] not in str(capture_logs)


def test_key_requests_need_no_csrf_but_session_requests_do(owner: User, team_key: str) -> None:
    session = Client(enforce_csrf_checks=True)
    session.force_login(owner)
    assert session.post("/api/v1/keys/", {}, "application/json").status_code == 403
    keyed = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {team_key}"})
    # The key is authenticated without CSRF; then refused because keys cannot manage keys.
    response = keyed.post("/api/v1/keys/", {}, "application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "session" in response.json()["detail"]


def test_last_used_at_is_recorded(team_key: str) -> None:
    assert APIKey.objects.get().last_used_at is None
    _me(Client(), Authorization=f"Bearer {team_key}")
    assert APIKey.objects.get().last_used_at is not None


def test_a_used_key_authenticates_from_the_cache_and_revoking_forgets_it(
    owner: User, team: Team, django_assert_num_queries: Any
) -> None:
    created = make_key(actor=owner, team=team)
    now = timezone.now()
    apikey_authenticate(raw=created.key, now=now)
    with django_assert_num_queries(0):
        apikey_authenticate(raw=created.key, now=now)
    apikey_revoke(actor=owner, api_key=created.api_key)
    with pytest.raises(InvalidAPIKey):
        apikey_authenticate(raw=created.key, now=now)


def test_steady_use_writes_nothing(team_key: str, django_assert_num_queries: Any) -> None:
    from apikeys.authentication import authenticate_key

    authenticate_key(team_key)  # the first use: one read, one last_used_at write
    with django_assert_num_queries(0):
        for _ in range(3):
            authenticate_key(team_key)
