"""The limits of a team's next debate: the product's bounds for every team until plans exist."""

import pytest

from accounts.models import Team, User
from billing.limits import DebateLimits, debate_limits_for_team


@pytest.mark.django_db
def test_limits_are_the_engines_until_billing(owner: User) -> None:
    team = Team.objects.get(created_by=owner, is_personal=True)
    limits = debate_limits_for_team(team=team)
    assert limits == DebateLimits()
    assert (limits.min_seats, limits.max_seats) == (2, 8)
    assert limits.round_choices == [1, 2, 3, 4, 5]
    assert (limits.min_question, limits.max_question) == (10, 5000)
    assert limits.source == "engine"
