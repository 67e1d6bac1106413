"""The team's provider keys page: who sees and changes what, and that the secret never comes
back in a response. The key test calls the fake provider server on 127.0.0.1."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import Team, User
from bench.fakellm import FakeLLMConfig, FakeLLMServer
from debates.providers.registry import clear_provider_cache
from debates.tests.factories import personal_team
from providerkeys.models import KeyStatus, ProviderKey
from providerkeys.services import key_save

pytestmark = pytest.mark.django_db

SECRET = "sk-team-own-0123456789abcdefSECRET"


def url(team: Team, action: str = "", provider: str = "") -> str:
    base = f"/teams/{team.pk}/provider-keys/"
    return f"{base}{provider}/{action}/" if action else base


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    clear_provider_cache()
    with FakeLLMServer(FakeLLMConfig(api_key=SECRET)) as running:
        yield running
    clear_provider_cache()


def test_owner_adds_a_key_and_never_sees_it_again(
    owner: User, owner_client: Client, team: Team
) -> None:
    response = owner_client.post(url(team), {"provider": "openai", "secret": SECRET}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert SECRET not in page
    assert "…CRET" in page
    assert ProviderKey.objects.get(team=team).provider == "openai"
    again = owner_client.get(url(team)).content.decode()
    assert SECRET not in again
    assert 'type="password"' in again


def test_a_refused_form_does_not_echo_the_key(
    owner: User, owner_client: Client, team: Team, settings: Any
) -> None:
    settings.PROVIDER_KEYS_ALLOW_PRIVATE_URLS = False
    response = owner_client.post(
        url(team),
        {"provider": "openai_compat", "secret": SECRET, "base_url": "http://127.0.0.1:1/v1"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This server does not call private or local addresses." in page
    assert SECRET not in page
    assert not ProviderKey.objects.exists()


def test_members_see_the_keys_read_only(
    owner: User, member: User, member_client: Client, team: Team
) -> None:
    key_save(actor=owner, team=team, provider="openai", secret=SECRET)
    page = member_client.get(url(team)).content.decode()
    assert "…CRET" in page
    assert "Only the team's owners and admins" in page
    assert 'name="secret"' not in page
    assert (
        member_client.post(url(team), {"provider": "gemini", "secret": SECRET}).status_code == 403
    )
    assert member_client.post(url(team, "remove", "openai")).status_code == 403
    assert member_client.post(url(team, "test", "openai")).status_code == 403
    assert ProviderKey.objects.filter(team=team).count() == 1


def test_outsiders_get_not_found(owner: User, outsider_client: Client, team: Team) -> None:
    key_save(actor=owner, team=team, provider="openai", secret=SECRET)
    assert outsider_client.get(url(team)).status_code == 404
    assert outsider_client.post(url(team, "remove", "openai")).status_code == 404
    assert ProviderKey.objects.exists()


def test_testing_a_good_key_marks_it_working(
    owner: User, owner_client: Client, team: Team, fake: FakeLLMServer
) -> None:
    key_save(
        actor=owner,
        team=team,
        provider="openai_compat",
        secret=SECRET,
        base_url=fake.openai_base_url,
    )
    page = owner_client.post(url(team, "test", "openai_compat"), follow=True).content.decode()
    assert "accepted the key" in page
    assert ProviderKey.objects.get().status == KeyStatus.OK
    assert fake.counters.requests == 1


def test_testing_a_rejected_key_shows_the_providers_reason(
    owner: User, owner_client: Client, team: Team, fake: FakeLLMServer
) -> None:
    wrong = "sk-wrong-key-0123456789abcdefWRONG"
    key_save(
        actor=owner,
        team=team,
        provider="openai_compat",
        secret=wrong,
        base_url=fake.openai_base_url,
    )
    page = owner_client.post(url(team, "test", "openai_compat"), follow=True).content.decode()
    assert "Invalid API key (fakellm)." in page
    assert "Rejected by the provider" in page
    assert wrong not in page
    key = ProviderKey.objects.get()
    assert key.status == KeyStatus.REJECTED
    assert key.last_error_at is not None
    # Shown on the page from then on, with its time.
    again = owner_client.get(url(team)).content.decode()
    assert "The provider said" in again
    assert "Invalid API key (fakellm)." in again


def test_owner_removes_a_key(owner: User, owner_client: Client, team: Team) -> None:
    key_save(actor=owner, team=team, provider="anthropic", secret=SECRET)
    response = owner_client.post(url(team, "remove", "anthropic"), follow=True)
    assert "The Anthropic key is removed." in response.content.decode()
    assert not ProviderKey.objects.exists()


def test_page_in_turkish(owner: User, owner_client: Client, team: Team) -> None:
    owner_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "tr"
    page = owner_client.get(url(team)).content.decode()
    assert "Sağlayıcı anahtarları" in page
    assert "Anahtar ekle ya da değiştir" in page


def test_page_says_when_the_server_has_no_encryption_key(
    owner_client: Client, team: Team, settings: Any
) -> None:
    settings.PROVIDER_KEYS_ENCRYPTION_KEYS = []
    page = owner_client.get(url(team)).content.decode()
    assert "not enabled on this server" in page
    assert 'name="secret"' not in page


def test_models_api_and_form_show_how_the_team_reaches_each_model(
    owner: User, owner_client: Client, settings: Any
) -> None:
    settings.LLM_PROVIDERS = ["demo"]
    team = personal_team(owner)
    key_save(actor=owner, team=team, provider="anthropic", secret=SECRET)
    models = {m["key"]: m for m in owner_client.get("/api/v1/models/").json()}
    assert models["demo:demo-sage"]["reach"] == "platform"
    assert models["anthropic:claude-haiku-4-5"]["reach"] == "own_key"
    assert models["anthropic:claude-haiku-4-5"]["available"] is True
    assert models["openai:gpt-5"]["reach"] == "unreachable"
    assert models["openai:gpt-5"]["available"] is False
    form = owner_client.get("/debates/new/").content.decode()
    assert "Claude Haiku 4.5" in form
    assert "your team&#x27;s key" in form
    assert "GPT-5 mini" not in form
