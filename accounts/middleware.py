"""Resolve the active team once per request, lazily: `request.team`.

Lazily, because DRF authenticates later than middleware: an API key wins over the session
cookie, and the team must be the key's, not the cookie's.
"""

from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from accounts.models import Team, User
from accounts.origin import origin_of, request_origin
from accounts.selectors import active_team_for_user
from accounts.services import user_setup_workspace


def _active_team(request: HttpRequest) -> Team | None:
    user = request.user
    if not user.is_authenticated:
        return None
    assert isinstance(user, User)
    team = active_team_for_user(user=user)
    # Accounts made outside sign-up (createsuperuser, admin) get their workspace on first use.
    team = team if team is not None else user_setup_workspace(user=user)
    # From here on every log line of the request names the team (docs/OPS.md).
    structlog.contextvars.bind_contextvars(team_id=str(team.pk))
    return team


def request_team(request: HttpRequest) -> Team | None:
    """The request's active team, resolved now (None when anonymous).

    Resolve it before reading `user.profile`: an account made outside sign-up gets its
    profile and personal team here.
    """
    team: Team | None = getattr(request, "team", None)
    # The lazy object is truthy exactly when it wraps a team.
    return team if team else None


def request_user(request: HttpRequest) -> User:
    """The signed-in user, in a view that requires one (login_required, or DRF's default
    IsAuthenticated permission)."""
    user = request.user
    assert isinstance(user, User)
    return user


def request_workspace(request: HttpRequest) -> tuple[User, Team]:
    """The signed-in user and their active team, resolved before anything reads the profile."""
    team = request_team(request)
    assert team is not None
    return request_user(request), team


class ActiveTeamMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.team = SimpleLazyObject(lambda: _active_team(request))  # type: ignore[attr-defined]
        # A session's team is known now: resolve it, so every line of the request carries
        # team_id. A request with an API key is authenticated later (DRF), and its team is
        # bound when the view first reads request.team.
        if request.user.is_authenticated and not _has_api_key(request):
            request_team(request)
        # Audit entries written while this request runs say where it came from.
        with request_origin(origin_of(request)):
            return self.get_response(request)


def _has_api_key(request: HttpRequest) -> bool:
    return "authorization" in request.headers or "x-api-key" in request.headers
