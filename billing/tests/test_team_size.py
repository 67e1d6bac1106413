"""A team grows only as far as its plan's members: open invitations hold a place."""

from typing import Any

import pytest
from django.core import mail

from accounts.models import Membership, Team, User
from accounts.services import invitation_accept, invitation_create
from accounts.tests.factories import make_user
from billing.models import Plan
from billing.tests.factories import put_on_plan
from consultation.exceptions import PlanRestriction

pytestmark = pytest.mark.django_db


def test_invitations_beyond_the_plans_members_are_refused(owner: User, team: Team) -> None:
    # Free: 3 members. The owner is one; two invitations fill the team.
    invitation_create(actor=owner, team=team, email="a@example.com")
    invitation_create(actor=owner, team=team, email="b@example.com")
    with pytest.raises(PlanRestriction) as refused:
        invitation_create(actor=owner, team=team, email="c@example.com")
    assert refused.value.extra["required_plan"] == "pro"
    assert "The Free plan allows 3 members in a team" in str(refused.value.detail)
    put_on_plan(team, "pro")
    invitation_create(actor=owner, team=team, email="c@example.com")


def test_accepting_is_refused_when_a_downgrade_left_no_room(
    owner: User, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    put_on_plan(team, "pro")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=owner, team=team, email="late@example.com")
    token = mail.outbox[-1].body.split("/invitations/")[1].split("/")[0]
    for n in range(2):
        Membership.objects.create(team=team, user=make_user(email=f"m{n}@example.com"))
    Plan.objects.filter(slug="pro").update(max_team_members=3)
    late = make_user(email="late@example.com")
    with pytest.raises(PlanRestriction):
        invitation_accept(user=late, token=token)
    assert not Membership.objects.filter(team=team, user=late).exists()


def test_a_plan_without_a_member_limit_never_refuses(owner: User, team: Team) -> None:
    Plan.objects.filter(slug="free").update(max_team_members=None)
    for n in range(6):
        invitation_create(actor=owner, team=team, email=f"x{n}@example.com")
