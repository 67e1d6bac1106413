"""Which providers a team reaches with its own key (providerkeys), for the catalog, the
new-debate form, the estimate and debate creation. The pipeline decrypts the keys themselves
when it loads a debate (debates.orchestration.state)."""

from uuid import UUID

from providerkeys.credentials import scope_for_team
from providerkeys.selectors import team_key_providers

__all__ = ["scope_for_team", "team_own_providers"]


def team_own_providers(*, team_id: UUID) -> frozenset[str]:
    """Providers the team has its own key for: its debates call them with that key."""
    return team_key_providers(team_id=team_id)
