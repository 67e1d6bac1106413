from typing import Any

from django.http import HttpRequest

from accounts.middleware import request_team
from accounts.models import User
from accounts.selectors import team_list_for_user


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The active team and the teams to switch to, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    assert isinstance(user, User)
    # The active team first: resolving it may create the workspace the team list shows.
    active_team = request_team(request)
    return {"active_team": active_team, "user_teams": team_list_for_user(user=user)}
