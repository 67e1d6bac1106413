"""Factories build through the services, so test data obeys the same rules as real data."""

from typing import Any

from accounts.models import MemberRole, Membership, Team, User
from accounts.services import team_create, user_create


def make_user(*, email: str, password: str | None = "pw-for-tests-only", **fields: Any) -> User:
    user = user_create(email=email, password=password)
    if fields:
        User.objects.filter(pk=user.pk).update(**fields)
        user.refresh_from_db()
    return user


def make_team(*, owner: User, name: str = "Team", members: dict[User, str] | None = None) -> Team:
    team = team_create(actor=owner, name=name)
    for user, role in (members or {}).items():
        Membership.objects.create(team=team, user=user, role=role or MemberRole.MEMBER)
    return team


def any_team_size(**_kwargs: Any) -> None:
    """A TEAM_SIZE_CHECK that allows any size: for tests of other invitation rules."""
