"""Reads of the apikeys app: a team's keys, one of them, and the key behind a request."""

from datetime import datetime
from uuid import UUID

import structlog
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Team
from apikeys.models import APIKey
from apikeys.tokens import digest_matches, key_parse
from consultation.exceptions import InvalidAPIKey, NotFound

logger = structlog.get_logger(__name__)


def apikey_list_for_team(*, team: Team) -> QuerySet[APIKey]:
    return APIKey.objects.filter(team=team).select_related("created_by")


def apikey_get_for_team(*, team: Team, key_id: UUID | str) -> APIKey:
    try:
        return APIKey.objects.select_related("team").get(team=team, pk=key_id)
    except (APIKey.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound(_("API key not found.")) from exc


def _refuse(reason: str, *, lookup_id: str = "", key_id: str = "") -> InvalidAPIKey:
    # Never the key: its public lookup id at most, to tell which key is failing.
    logger.info("apikey.auth_failed", reason=reason, lookup_id=lookup_id, apikey_id=key_id or None)
    return InvalidAPIKey()


# A key's row (with its team and creator) is kept this long in the cache, so most requests
# authenticate without a query. Revoking deletes it (apikey_revoke), so a revoked key is
# refused at once; a creator removed from the team loses the key's access within this time.
AUTH_CACHE_SECONDS = 30


def auth_cache_key(lookup_id: str) -> str:
    return f"apikeys:auth:{lookup_id}"


def _apikey_for_auth(lookup_id: str) -> APIKey | None:
    cached: APIKey | None = cache.get(auth_cache_key(lookup_id))
    if cached is not None:
        return cached
    api_key = _apikey_from_db(lookup_id)
    if api_key is not None:
        cache.set(auth_cache_key(lookup_id), api_key, AUTH_CACHE_SECONDS)
    return api_key


def apikey_cache_refresh(*, api_key: APIKey) -> None:
    """Keep the cached copy in step (its last_used_at), so the next request need not write."""
    cache.set(auth_cache_key(api_key.lookup_id), api_key, AUTH_CACHE_SECONDS)


def apikey_cache_forget(*, lookup_id: str) -> None:
    cache.delete(auth_cache_key(lookup_id))


def _apikey_from_db(lookup_id: str) -> APIKey | None:
    # One indexed query (lookup_id is unique); no ordering to compile.
    found = list(
        APIKey.objects.select_related("team", "created_by")
        .filter(
            lookup_id=lookup_id,
            created_by__is_active=True,
            team__memberships__user=F("created_by"),
        )
        .order_by()[:1]
    )
    return found[0] if found else None


def apikey_authenticate(*, raw: str, now: datetime) -> APIKey:
    """The live key `raw` is, with its team and creator; InvalidAPIKey otherwise.

    A malformed key (wrong prefix, length, alphabet or checksum) is refused before the
    database and the cache. A key whose creator has left the team stops working with them.
    """
    parsed = key_parse(raw.strip(), live=settings.APIKEY_LIVE)
    if parsed is None:
        raise _refuse("malformed")
    api_key = _apikey_for_auth(parsed.lookup_id)
    if api_key is None or not digest_matches(
        parsed.key, api_key.key_hash, pepper=settings.APIKEY_PEPPER
    ):
        raise _refuse("unknown", lookup_id=parsed.lookup_id)
    if api_key.revoked_at is not None:
        raise _refuse("revoked", lookup_id=parsed.lookup_id, key_id=str(api_key.pk))
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise _refuse("expired", lookup_id=parsed.lookup_id, key_id=str(api_key.pk))
    return api_key


def apikey_is_live(*, key_id: UUID | str, now: datetime) -> bool:
    """Whether the key still works (not revoked, not expired, creator still in the team): the
    periodic re-check of long-lived connections, for a revocation whose close message could
    not reach this process."""
    return (
        APIKey.objects.filter(
            pk=key_id,
            revoked_at__isnull=True,
            created_by__is_active=True,
            team__memberships__user=F("created_by"),
        )
        .exclude(expires_at__lte=now)
        .exists()
    )
