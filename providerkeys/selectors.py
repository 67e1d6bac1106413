"""Reads of teams' provider keys. Listing never decrypts; only `team_credentials` does, for
the debate pipeline and the key test."""

from uuid import UUID

import structlog
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Membership, Team
from consultation.exceptions import NotFound, PermissionDenied
from providerkeys.credentials import TeamCredential
from providerkeys.crypto import SecretUnreadable, enabled, secret_decrypt
from providerkeys.models import ProviderKey

logger = structlog.get_logger(__name__)


def allowed_providers() -> list[str]:
    """The providers teams may bring a key for on this server, in settings order."""
    return list(settings.PROVIDER_KEYS_PROVIDERS)


def key_list_for_team(*, team: Team) -> QuerySet[ProviderKey]:
    return ProviderKey.objects.filter(team=team).select_related("created_by")


def key_get(*, team: Team, provider: str) -> ProviderKey:
    key = ProviderKey.objects.filter(team=team, provider=provider).first()
    if key is None:
        raise NotFound(_("This team has no key for that provider."))
    return key


def key_manage_check(*, membership: Membership) -> None:
    """Only a team's owners and admins add, test, replace or remove its keys."""
    if not membership.can_manage_members:
        raise PermissionDenied(_("Only the team's owners and admins can change its provider keys."))


def team_key_providers(*, team_id: UUID) -> frozenset[str]:
    """The providers this team has its own key for (nothing decrypted): what the catalog
    shows as reachable with the team's key."""
    if not enabled():
        return frozenset()
    return frozenset(
        ProviderKey.objects.filter(team_id=team_id, provider__in=allowed_providers()).values_list(
            "provider", flat=True
        )
    )


def team_credentials(*, team_id: UUID) -> dict[str, TeamCredential]:
    """The team's usable credentials by provider, decrypted. A key no configured encryption key
    can read is left out (the platform's key, if any, serves instead) and logged by id."""
    if not enabled():
        return {}
    credentials: dict[str, TeamCredential] = {}
    for key in ProviderKey.objects.filter(team_id=team_id, provider__in=allowed_providers()):
        try:
            secret = secret_decrypt(key.secret_encrypted)
        except SecretUnreadable:
            logger.warning("provider_key.unreadable", key_id=str(key.pk), provider=key.provider)
            continue
        credentials[key.provider] = TeamCredential(
            key_id=key.pk,
            team_id=key.team_id,
            provider=key.provider,
            api_key=secret,
            base_url=key.base_url,
        )
    return credentials
