"""API keys for tests, made through the service (so they obey the same rules as real ones)."""

from datetime import datetime

from accounts.models import Team, User
from apikeys.models import Scope
from apikeys.services import CreatedKey, apikey_create

ALL_SCOPES = list(Scope.values)


def make_key(
    *,
    actor: User,
    team: Team,
    name: str = "CI script",
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
) -> CreatedKey:
    return apikey_create(
        actor=actor,
        team=team,
        name=name,
        scopes=ALL_SCOPES if scopes is None else scopes,
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
    )
