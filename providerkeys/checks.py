"""Settings check: every PROVIDER_KEYS_ENCRYPTION_KEYS entry must be a Fernet key."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from providerkeys.crypto import invalid_keys
from providerkeys.models import KeyProvider


@register(Tags.security)
def check_provider_keys(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    bad = invalid_keys(settings.PROVIDER_KEYS_ENCRYPTION_KEYS)
    if bad:
        errors.append(
            Error(
                "PROVIDER_KEYS_ENCRYPTION_KEYS entries "
                f"{', '.join(map(str, bad))} are not Fernet keys (32 url-safe base64 bytes).",
                hint='Generate one: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"',
                id="providerkeys.E001",
            )
        )
    unknown = sorted(set(settings.PROVIDER_KEYS_PROVIDERS) - set(KeyProvider.values))
    if unknown:
        errors.append(
            Error(
                f"PROVIDER_KEYS_PROVIDERS names unknown providers: {', '.join(unknown)}.",
                hint=f"Use some of {', '.join(KeyProvider.values)}.",
                id="providerkeys.E002",
            )
        )
    return errors
