import logging
from typing import Any

import pytest

from accounts.models import AuditEntry, User
from consultation.exceptions import ValidationFailed
from debates.tests.factories import personal_team
from ops.models import CircuitBreaker, CircuitState, ProviderCall
from providerkeys.models import KeyStatus, ProviderKey
from providerkeys.services import key_record_outcome, key_remove, key_save

pytestmark = pytest.mark.django_db

SECRET = "sk-live-0123456789abcdefghijSECRET"


def test_key_save_encrypts_hints_and_audits(owner: User, log_events: Any) -> None:
    team = personal_team(owner)
    key = key_save(actor=owner, team=team, provider="openai", secret=f"  {SECRET} ")
    assert key.hint == "CRET"
    assert SECRET not in key.secret_encrypted
    assert key.status == KeyStatus.UNTESTED
    entry = AuditEntry.objects.get(action="provider_key.added")
    assert entry.data == {"provider": "openai", "hint": "CRET"}
    log_events.assert_event("provider_key.saved", provider="openai", replaced=False)

    replaced = key_save(actor=owner, team=team, provider="openai", secret="sk-" + "x" * 30)
    assert replaced.pk == key.pk
    assert replaced.hint == "xxxx"
    assert AuditEntry.objects.filter(action="provider_key.replaced").exists()
    assert ProviderKey.objects.filter(team=team).count() == 1


def test_key_save_gives_no_hint_of_a_short_key(owner: User) -> None:
    key = key_save(actor=owner, team=personal_team(owner), provider="openai", secret="short-key")
    assert key.hint == ""


def test_replacing_a_key_closes_the_teams_breakers_only(owner: User) -> None:
    team = personal_team(owner)
    key = key_save(actor=owner, team=team, provider="openai", secret=SECRET)
    for scope in (key.scope, ""):
        CircuitBreaker.objects.create(
            provider="openai", model="gpt-5", scope=scope, state=CircuitState.OPEN
        )
        ProviderCall.objects.create(
            provider="openai", model="gpt-5", scope=scope, ok=False, created_at=key.created_at
        )
    key_save(actor=owner, team=team, provider="openai", secret=SECRET + "2")
    assert CircuitBreaker.objects.get(scope=key.scope).state == CircuitState.CLOSED
    assert CircuitBreaker.objects.get(scope="").state == CircuitState.OPEN
    assert list(ProviderCall.objects.values_list("scope", flat=True)) == [""]


@pytest.mark.parametrize(
    ("provider", "secret", "base_url", "field"),
    [
        ("openai", "", "", "secret"),
        ("openai", "sk has spaces", "", "secret"),
        ("demo", SECRET, "", "provider"),
        ("openai_compat", SECRET, "ftp://llm.example.com", "base_url"),
        ("openai_compat", SECRET, "https://user:pw@llm.example.com/v1", "base_url"),
    ],
)
def test_key_save_refuses_bad_input(
    owner: User, provider: str, secret: str, base_url: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        key_save(
            actor=owner,
            team=personal_team(owner),
            provider=provider,
            secret=secret,
            base_url=base_url,
        )
    assert field in refused.value.extra["fields"]
    assert not ProviderKey.objects.exists()


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:11434/v1",
        "https://localhost/v1",
        "https://10.0.0.5/v1",
        "https://169.254.169.254/latest",
        "https://[::1]/v1",
        "http://llm.example.com/v1",  # plain http to a public host
    ],
)
def test_key_save_refuses_private_urls_unless_allowed(
    owner: User, settings: Any, base_url: str
) -> None:
    settings.PROVIDER_KEYS_ALLOW_PRIVATE_URLS = False
    with pytest.raises(ValidationFailed) as refused:
        key_save(
            actor=owner,
            team=personal_team(owner),
            provider="openai_compat",
            secret=SECRET,
            base_url=base_url,
        )
    assert "base_url" in refused.value.extra["fields"]


def test_key_save_accepts_a_public_https_endpoint(owner: User, settings: Any) -> None:
    settings.PROVIDER_KEYS_ALLOW_PRIVATE_URLS = False
    key = key_save(
        actor=owner,
        team=personal_team(owner),
        provider="openai_compat",
        secret="",
        base_url="https://llm.example.com/v1/",
    )
    assert key.base_url == "https://llm.example.com/v1"


def test_key_record_outcome_redacts_the_secret(owner: User) -> None:
    key = key_save(actor=owner, team=personal_team(owner), provider="openai", secret=SECRET)
    key_record_outcome(
        key_id=key.pk,
        ok=False,
        code="provider_auth_failed",
        message=f"Incorrect API key provided: {SECRET}. And {SECRET[:12]}...",
        secret=SECRET,
    )
    key.refresh_from_db()
    assert key.status == KeyStatus.REJECTED
    assert SECRET not in key.last_error
    assert SECRET[:12] not in key.last_error
    assert key.last_error.startswith("Incorrect API key provided: [redacted]")
    key_record_outcome(key_id=key.pk, ok=True)
    key.refresh_from_db()
    assert key.status == KeyStatus.OK
    # The last refusal stays visible (with its time) until the key is replaced.
    assert key.last_error_at is not None


def test_key_remove_audits(owner: User, log_events: Any) -> None:
    key = key_save(actor=owner, team=personal_team(owner), provider="gemini", secret=SECRET)
    key_remove(actor=owner, key=key)
    assert not ProviderKey.objects.exists()
    assert AuditEntry.objects.filter(action="provider_key.removed").exists()
    log_events.assert_event("provider_key.removed", provider="gemini")


def test_nothing_logged_while_saving_carries_the_secret(
    owner: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = key_save(actor=owner, team=personal_team(owner), provider="openai", secret=SECRET)
    key_remove(actor=owner, key=key)
    assert caplog.records
    for record in caplog.records:
        assert SECRET not in repr(record.__dict__)
