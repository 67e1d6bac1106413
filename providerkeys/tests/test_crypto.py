from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from accounts.models import Team, User
from debates.tests.factories import personal_team
from providerkeys.checks import check_provider_keys
from providerkeys.crypto import (
    ProviderKeysDisabled,
    SecretUnreadable,
    secret_decrypt,
    secret_encrypt,
    secret_rotate,
)
from providerkeys.selectors import team_credentials
from providerkeys.services import key_save

SECRET = "sk-live-0123456789abcdefghijSECRET"


def test_crypto_round_trip_hides_the_secret() -> None:
    token = secret_encrypt(SECRET)
    assert SECRET not in token
    assert secret_decrypt(token) == SECRET
    # Fernet tokens carry a random IV: the same secret never encrypts the same way twice.
    assert secret_encrypt(SECRET) != token


def test_crypto_rotation_keeps_old_tokens_readable_until_rotated(settings: Any) -> None:
    old = settings.PROVIDER_KEYS_ENCRYPTION_KEYS[0]
    token = secret_encrypt(SECRET)
    new = Fernet.generate_key().decode()
    settings.PROVIDER_KEYS_ENCRYPTION_KEYS = [new, old]
    assert secret_decrypt(token) == SECRET
    rotated = secret_rotate(token)
    settings.PROVIDER_KEYS_ENCRYPTION_KEYS = [new]
    assert secret_decrypt(rotated) == SECRET
    with pytest.raises(SecretUnreadable):
        secret_decrypt(token)


def test_crypto_without_keys_refuses_to_store(settings: Any) -> None:
    settings.PROVIDER_KEYS_ENCRYPTION_KEYS = []
    with pytest.raises(ProviderKeysDisabled):
        secret_encrypt(SECRET)


@pytest.mark.django_db
def test_rotate_command_re_encrypts_every_stored_key(owner: User, settings: Any) -> None:
    team: Team = personal_team(owner)
    key_save(actor=owner, team=team, provider="openai", secret=SECRET)
    old = settings.PROVIDER_KEYS_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.PROVIDER_KEYS_ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("provider_keys_rotate", stdout=out)
    assert "re-encrypted 1 provider keys, 0 unreadable" in out.getvalue()
    settings.PROVIDER_KEYS_ENCRYPTION_KEYS = [new]
    assert team_credentials(team_id=team.pk)["openai"].api_key == SECRET


@pytest.mark.django_db
def test_unreadable_key_is_left_out_of_the_teams_credentials(owner: User, settings: Any) -> None:
    team = personal_team(owner)
    key_save(actor=owner, team=team, provider="openai", secret=SECRET)
    settings.PROVIDER_KEYS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert team_credentials(team_id=team.pk) == {}


def test_check_rejects_malformed_encryption_keys(settings: Any) -> None:
    assert check_provider_keys(None) == []
    settings.PROVIDER_KEYS_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), "not-a-key"]
    errors = check_provider_keys(None)
    assert [error.id for error in errors] == ["providerkeys.E001"]
    assert "entries 2 " in errors[0].msg
    assert "not-a-key" not in errors[0].msg  # a key, even a broken one, is not echoed


def test_check_rejects_unknown_providers(settings: Any) -> None:
    settings.PROVIDER_KEYS_PROVIDERS = ["openai", "demo"]
    assert [error.id for error in check_provider_keys(None)] == ["providerkeys.E002"]


def test_credential_repr_never_shows_the_secret() -> None:
    import uuid

    from providerkeys.credentials import TeamCredential

    credential = TeamCredential(uuid.uuid4(), uuid.uuid4(), "openai", SECRET)
    assert SECRET not in repr(credential)
    assert SECRET not in str(credential)
