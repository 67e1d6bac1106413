"""Writes of the apikeys app: create (the full key returned once) and revoke, each audited."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import MANAGER_ROLES, Team, User
from accounts.selectors import membership_get
from accounts.services import audit_record
from apikeys.models import APIKey, Scope
from apikeys.selectors import apikey_cache_forget, apikey_cache_refresh
from apikeys.tokens import key_digest, key_generate
from consultation.exceptions import PermissionDenied, ValidationFailed

logger = structlog.get_logger(__name__)

MAX_NAME = 80
# last_used_at moves at most this often: a read-mostly row, not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def key_group(key_id: object) -> str:
    """The channel-layer group of a key's open WebSockets and streams (closed on revoke)."""
    return f"apikey.{key_id}"


@dataclass(frozen=True)
class CreatedKey:
    api_key: APIKey
    key: str  # the full key: shown to its creator once, stored nowhere


def _require_manager(*, team: Team, user: User) -> None:
    if membership_get(team=team, user=user).role not in MANAGER_ROLES:
        raise PermissionDenied(_("Only team owners and admins can manage API keys."))


def _clean_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValidationFailed(fields={"scopes": [_("Choose at least one of the scopes.")]})
    return [scope for scope in Scope.values if scope in scopes]


@transaction.atomic
def apikey_create(
    *,
    actor: User,
    team: Team,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
) -> CreatedKey:
    """A new key of `team`, acting as `actor` within it. Owners and admins only."""
    _require_manager(team=team, user=actor)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed(fields={"name": [_("Give the key a name (at most 80 characters).")]})
    clean_scopes = _clean_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(fields={"expires_at": [_("The expiry must be in the future.")]})
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise ValidationFailed(
            fields={"rate_limit_per_minute": [_("At least one request per minute.")]}
        )
    minted = key_generate(live=settings.APIKEY_LIVE)
    api_key = APIKey.objects.create(
        team=team,
        name=name,
        created_by=actor,
        prefix=minted.prefix,
        lookup_id=minted.lookup_id,
        key_hash=key_digest(minted.key, pepper=settings.APIKEY_PEPPER),
        scopes=clean_scopes,
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    audit_record(
        actor=actor,
        action="apikey.created",
        team=team,
        target=api_key,
        data={
            "name": name,
            "prefix": api_key.display_prefix,
            "scopes": clean_scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "rate_limit_per_minute": rate_limit_per_minute,
        },
    )
    logger.info(
        "apikey.created",
        apikey_id=str(api_key.pk),
        team_id=str(team.pk),
        prefix=api_key.display_prefix,
        scopes=clean_scopes,
    )
    return CreatedKey(api_key=api_key, key=minted.key)


def _close_connections(key_id: str) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(key_group(key_id), {"type": "apikey.revoked"})


@transaction.atomic
def apikey_revoke(*, actor: User, api_key: APIKey) -> APIKey:
    """Revoke at once: the next request with it is 401, and its open WebSockets and streams
    are closed when the revocation commits. Revoking twice changes nothing."""
    _require_manager(team=api_key.team, user=actor)
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=actor,
        action="apikey.revoked",
        team=api_key.team,
        target=api_key,
        data={"name": api_key.name, "prefix": api_key.display_prefix},
    )
    logger.info("apikey.revoked", apikey_id=str(api_key.pk), team_id=str(api_key.team_id))
    key_id, lookup_id = str(api_key.pk), api_key.lookup_id
    # Now, and again once committed (a request in between may have cached the old row).
    apikey_cache_forget(lookup_id=lookup_id)
    transaction.on_commit(lambda: apikey_cache_forget(lookup_id=lookup_id))
    transaction.on_commit(lambda: _close_connections(key_id))
    return api_key


@transaction.atomic
def apikey_revoke_for_departure(*, user: User, teams: list[Team]) -> list[APIKey]:
    """Revoke, as the system, every live key `user` created (in any team) and every live key
    of `teams` (the workspaces closing with their account): a deleted account leaves no key
    that still works. Each revocation is audited like one made by hand, with the reason."""
    keys = list(
        APIKey.objects.select_for_update()
        .filter(Q(created_by=user) | Q(team__in=teams), revoked_at__isnull=True)
        .select_related("team")
    )
    now = timezone.now()
    for api_key in keys:
        api_key.revoked_at = now
        api_key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=user,
            action="apikey.revoked",
            team=api_key.team,
            target=api_key,
            data={
                "name": api_key.name,
                "prefix": api_key.display_prefix,
                "reason": "account_deleted",
            },
        )
        logger.info("apikey.revoked", apikey_id=str(api_key.pk), team_id=str(api_key.team_id))
        apikey_cache_forget(lookup_id=api_key.lookup_id)
    lookups = [api_key.lookup_id for api_key in keys]
    key_ids = [str(api_key.pk) for api_key in keys]
    transaction.on_commit(lambda: _forget_and_close(lookups, key_ids))
    return keys


def _forget_and_close(lookup_ids: list[str], key_ids: list[str]) -> None:
    for lookup_id in lookup_ids:
        apikey_cache_forget(lookup_id=lookup_id)
    for key_id in key_ids:
        _close_connections(key_id)


def apikey_touch(*, api_key: APIKey, now: datetime) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION: most requests write nothing, and
    of concurrent ones only the first conditional UPDATE matches."""
    stale = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at > stale:
        return
    APIKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=api_key.pk
    ).update(last_used_at=now)
    api_key.last_used_at = now
    apikey_cache_refresh(api_key=api_key)
