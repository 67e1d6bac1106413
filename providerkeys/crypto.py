"""Encryption at rest of teams' provider keys: Fernet (AES-128-CBC + HMAC-SHA256) through
MultiFernet, so keys rotate: the first of PROVIDER_KEYS_ENCRYPTION_KEYS encrypts, every one
decrypts, and `secret_rotate` re-encrypts a token under the first."""

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consultation.exceptions import AppError


class ProviderKeysDisabled(AppError):
    code = "provider_keys_disabled"
    status = 409
    default_detail = _(
        "Own provider keys are not enabled on this server (no encryption key is configured)."
    )


class SecretUnreadable(AppError):
    """A stored token that none of the configured keys decrypts (a key was dropped too soon)."""

    code = "provider_key_unreadable"
    status = 409
    default_detail = _("This stored key can no longer be read. Replace it.")


def invalid_keys(keys: Sequence[str]) -> list[int]:
    """Positions (from 1) of the entries that are not Fernet keys."""
    bad = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            bad.append(position)
    return bad


def enabled() -> bool:
    return bool(settings.PROVIDER_KEYS_ENCRYPTION_KEYS)


def _fernet() -> MultiFernet:
    keys: list[str] = settings.PROVIDER_KEYS_ENCRYPTION_KEYS
    if not keys:
        raise ProviderKeysDisabled()
    return MultiFernet([Fernet(key.encode()) for key in keys])


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable() from exc


def secret_rotate(token: str) -> str:
    """The same secret, encrypted under the first key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable() from exc
