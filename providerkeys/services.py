"""Writes of teams' provider keys: save (add or replace), remove, and what the provider said
about a key (a test, or a debate's call refused with 401/403). Each change is audited; no log
line, audit entry or error ever carries the secret."""

import ipaddress
from urllib.parse import urlsplit
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.services import audit_record
from consultation.exceptions import ValidationFailed
from ops.breaker import breaker_reset_scope
from providerkeys.credentials import redact
from providerkeys.crypto import secret_encrypt
from providerkeys.models import KeyProvider, KeyStatus, ProviderKey
from providerkeys.selectors import allowed_providers

logger = structlog.get_logger(__name__)

MAX_SECRET = 500
HINT_CHARS = 4


def _hint(secret: str) -> str:
    # Too short a key shows nothing: four characters of an eight-character key is half of it.
    return secret[-HINT_CHARS:] if len(secret) >= 4 * HINT_CHARS else ""


def _is_private_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False  # a name: resolved by the provider's client when it calls
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def base_url_errors(base_url: str) -> list[str]:
    """Why a team's OpenAI-compatible base URL is refused (empty: it is accepted)."""
    try:
        parts = urlsplit(base_url)
        host = parts.hostname or ""
    except ValueError:
        return [_("Enter a valid URL, e.g. https://llm.example.com/v1.")]
    if parts.scheme not in ("http", "https") or not host:
        return [_("Enter a valid URL, e.g. https://llm.example.com/v1.")]
    if parts.username or parts.password:
        return [_("Put the key in the key field, not in the URL.")]
    if not settings.PROVIDER_KEYS_ALLOW_PRIVATE_URLS:
        if _is_private_host(host):
            return [_("This server does not call private or local addresses.")]
        if parts.scheme != "https":
            return [_("Use https: the key would otherwise travel in clear text.")]
    return []


@transaction.atomic
def key_save(
    *, actor: User, team: Team, provider: str, secret: str, base_url: str = ""
) -> ProviderKey:
    """Add the team's key for `provider`, or replace the one it has. The secret is encrypted
    before it is stored and never returned; the key starts untested, with the team's breakers
    for that provider closed (a new key deserves a fresh start)."""
    secret = secret.strip()
    base_url = base_url.strip().rstrip("/")
    errors: dict[str, list[str]] = {}
    if provider not in allowed_providers() or provider not in KeyProvider.values:
        errors["provider"] = [_("Choose one of the providers listed.")]
    if provider == KeyProvider.OPENAI_COMPAT:
        errors.update({"base_url": found} if (found := base_url_errors(base_url)) else {})
    else:
        base_url = ""
        if not secret:
            errors["secret"] = [_("Enter the key.")]
    if len(secret) > MAX_SECRET or any(c.isspace() for c in secret):
        errors["secret"] = [_("This does not look like a key (too long, or with spaces).")]
    if errors:
        raise ValidationFailed(fields=errors)
    existing = ProviderKey.objects.select_for_update().filter(team=team, provider=provider).first()
    key = existing or ProviderKey(team=team, provider=provider)
    key.secret_encrypted = secret_encrypt(secret)
    key.base_url = base_url
    key.hint = _hint(secret)
    key.created_by = actor
    key.status = KeyStatus.UNTESTED
    key.checked_at = None
    key.last_error = key.last_error_code = ""
    key.last_error_at = None
    key.save()
    breaker_reset_scope(scope=key.scope, provider=provider)
    audit_record(
        actor=actor,
        action="provider_key.replaced" if existing else "provider_key.added",
        team=team,
        target=key,
        data={"provider": provider, "hint": key.hint},
    )
    logger.info(
        "provider_key.saved",
        team_id=str(team.pk),
        provider=provider,
        key_id=str(key.pk),
        replaced=existing is not None,
    )
    return key


@transaction.atomic
def key_remove(*, actor: User, key: ProviderKey) -> None:
    """Forget the team's key: its debates fall back to the platform's key, if there is one."""
    team, provider, key_id = key.team, key.provider, str(key.pk)
    key.delete()
    audit_record(
        actor=actor,
        action="provider_key.removed",
        team=team,
        data={"provider": provider},
    )
    logger.info("provider_key.removed", team_id=str(team.pk), provider=provider, key_id=key_id)


def key_record_outcome(
    *, key_id: UUID, ok: bool, code: str = "", message: str = "", secret: str = ""
) -> None:
    """Store what the provider said of a key: working, rejected (401/403, with its reason),
    or not checkable (another failure). `secret` is redacted from the stored reason."""
    now = timezone.now()
    if ok:
        ProviderKey.objects.filter(pk=key_id).update(
            status=KeyStatus.OK, checked_at=now, updated_at=now
        )
        return
    rejected = code == "provider_auth_failed"
    reason = redact(message, secret)[:500]
    ProviderKey.objects.filter(pk=key_id).update(
        status=KeyStatus.REJECTED if rejected else KeyStatus.UNVERIFIED,
        checked_at=now,
        last_error=reason,
        last_error_code=code,
        last_error_at=now,
        updated_at=now,
    )
    if rejected:
        logger.warning("provider_key.rejected", key_id=str(key_id), error_code=code)
