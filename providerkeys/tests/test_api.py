"""The provider keys over the API: parity with the page, sessions only, no secret ever."""

from collections.abc import Iterator

import pytest
from django.test import Client

from accounts.models import Team, User
from accounts.services import team_switch
from apikeys.tests.factories import make_key
from bench.fakellm import FakeLLMConfig, FakeLLMServer
from debates.providers.registry import clear_provider_cache
from providerkeys.models import ProviderKey

pytestmark = pytest.mark.django_db

SECRET = "sk-team-own-0123456789abcdefSECRET"


@pytest.fixture
def in_team(owner: User, member: User, team: Team) -> Team:
    team_switch(user=owner, team=team)
    team_switch(user=member, team=team)
    return team


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    clear_provider_cache()
    with FakeLLMServer(FakeLLMConfig(api_key=SECRET)) as running:
        yield running
    clear_provider_cache()


def test_put_list_test_delete(owner_client: Client, in_team: Team, fake: FakeLLMServer) -> None:
    body = {"secret": SECRET, "base_url": fake.openai_base_url}
    saved = owner_client.put("/api/v1/provider-keys/openai_compat/", body, "application/json")
    assert saved.status_code == 200
    assert saved.json()["hint"] == "CRET"
    assert saved.json()["status"] == "untested"
    assert SECRET not in saved.content.decode()
    listed = owner_client.get("/api/v1/provider-keys/")
    assert [k["provider"] for k in listed.json()] == ["openai_compat"]
    assert SECRET not in listed.content.decode()
    tested = owner_client.post("/api/v1/provider-keys/openai_compat/test/")
    assert tested.status_code == 200
    assert tested.json()["ok"] is True
    assert tested.json()["key"]["status"] == "ok"
    assert owner_client.delete("/api/v1/provider-keys/openai_compat/").status_code == 204
    assert not ProviderKey.objects.exists()


def test_a_rejected_key_answers_the_providers_reason(
    owner_client: Client, in_team: Team, fake: FakeLLMServer
) -> None:
    wrong = "sk-wrong-key-0123456789abcdefWRONG"
    body = {"secret": wrong, "base_url": fake.openai_base_url}
    owner_client.put("/api/v1/provider-keys/openai_compat/", body, "application/json")
    tested = owner_client.post("/api/v1/provider-keys/openai_compat/test/").json()
    assert tested["ok"] is False
    assert tested["code"] == "provider_auth_failed"
    assert tested["reason"] == "Invalid API key (fakellm)."
    assert tested["key"]["status"] == "rejected"
    assert tested["key"]["last_error_at"] is not None


def test_bad_input_is_validation_failed(owner_client: Client, in_team: Team) -> None:
    refused = owner_client.put("/api/v1/provider-keys/openai/", {"secret": ""}, "application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_failed"
    assert "secret" in refused.json()["fields"]
    unknown = owner_client.put(
        "/api/v1/provider-keys/demo/", {"secret": SECRET}, "application/json"
    )
    assert "provider" in unknown.json()["fields"]


def test_members_read_and_api_keys_are_refused(
    owner: User, owner_client: Client, member_client: Client, in_team: Team
) -> None:
    owner_client.put("/api/v1/provider-keys/openai/", {"secret": SECRET}, "application/json")
    assert member_client.get("/api/v1/provider-keys/").status_code == 200
    put = member_client.put(
        "/api/v1/provider-keys/openai/", {"secret": "x" * 20}, "application/json"
    )
    assert put.status_code == 403
    assert member_client.delete("/api/v1/provider-keys/openai/").status_code == 403
    keyed = Client(headers={"Authorization": f"Bearer {make_key(actor=owner, team=in_team).key}"})
    assert keyed.get("/api/v1/provider-keys/").status_code == 403
    assert ProviderKey.objects.get().hint == "CRET"
