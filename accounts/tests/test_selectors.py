import uuid

import pytest

from accounts import selectors
from accounts.models import AuditEntry, Invitation, MemberRole, Membership, Profile, Team, User
from accounts.services import (
    invitation_create,
    invitation_revoke,
    membership_remove,
    team_switch,
)
from accounts.tests.factories import make_team
from consultation.exceptions import NotFound

pytestmark = pytest.mark.django_db


def test_team_list_for_user_personal_first_then_by_name(owner: User, team: Team) -> None:
    zeta = make_team(owner=owner, name="Zeta")
    alpha = make_team(owner=owner, name="Alpha")

    teams = list(selectors.team_list_for_user(user=owner))

    assert teams[0].is_personal
    assert teams[1:] == [team, alpha, zeta]


def test_team_list_for_user_excludes_other_teams(outsider: User, team: Team) -> None:
    teams = list(selectors.team_list_for_user(user=outsider))

    assert len(teams) == 1
    assert teams[0].is_personal


def test_team_get_for_user_returns_team_and_membership(team: Team, member: User) -> None:
    found, membership = selectors.team_get_for_user(user=member, team_id=team.pk)

    assert found == team
    assert membership.role == MemberRole.MEMBER


@pytest.mark.parametrize("team_id", [uuid.uuid4(), "not-a-uuid"])
def test_team_get_for_user_unknown_is_not_found(owner: User, team_id: object) -> None:
    with pytest.raises(NotFound):
        selectors.team_get_for_user(user=owner, team_id=team_id)  # type: ignore[arg-type]


def test_team_get_for_user_outsider_is_not_found(outsider: User, team: Team) -> None:
    with pytest.raises(NotFound):
        selectors.team_get_for_user(user=outsider, team_id=team.pk)


def test_membership_get_outsider_is_not_found(outsider: User, team: Team) -> None:
    with pytest.raises(NotFound):
        selectors.membership_get(team=team, user=outsider)


def test_member_get_is_scoped_to_the_team(owner: User, team: Team, member: User) -> None:
    membership = Membership.objects.get(team=team, user=member)
    personal = Team.objects.get(created_by=owner, is_personal=True)

    assert selectors.member_get(team=team, membership_id=membership.pk) == membership
    with pytest.raises(NotFound):
        selectors.member_get(team=personal, membership_id=membership.pk)


def test_team_members_in_joining_order(owner: User, team: Team, member: User) -> None:
    emails = [m.user.email for m in selectors.team_members(team=team)]

    assert emails == ["owner@example.com", "member@example.com"]


def test_invitation_list_open_hides_answered(owner: User, team: Team) -> None:
    keep = invitation_create(actor=owner, team=team, email="keep@example.com")
    gone = invitation_create(actor=owner, team=team, email="gone@example.com")
    invitation_revoke(actor=owner, invitation=gone)

    assert list(selectors.invitation_list_open(team=team)) == [keep]


def test_invitation_get_is_scoped_to_the_team(owner: User, team: Team) -> None:
    invitation = invitation_create(actor=owner, team=team, email="x@example.com")
    personal = Team.objects.get(created_by=owner, is_personal=True)

    assert selectors.invitation_get(team=team, invitation_id=invitation.pk) == invitation
    with pytest.raises(NotFound):
        selectors.invitation_get(team=personal, invitation_id=invitation.pk)


def test_invitation_get_by_token(owner: User, team: Team) -> None:
    invitation = invitation_create(actor=owner, team=team, email="x@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=Invitation.hash_token("tok"))

    assert selectors.invitation_get_by_token(token="tok") == invitation
    with pytest.raises(NotFound):
        selectors.invitation_get_by_token(token="other")


def test_active_team_is_the_saved_choice(owner: User, team: Team) -> None:
    assert selectors.active_team_for_user(user=owner) == team


def test_active_team_falls_back_to_personal_after_leaving(team: Team, member: User) -> None:
    team_switch(user=member, team=team)
    membership_remove(actor=member, membership=Membership.objects.get(team=team, user=member))

    assert selectors.active_team_for_user(user=member) == Team.objects.get(
        created_by=member, is_personal=True
    )


def test_active_team_falls_back_when_membership_vanished(team: Team, member: User) -> None:
    Profile.objects.filter(user=member).update(active_team=team)
    Membership.objects.filter(team=team, user=member).delete()

    active = selectors.active_team_for_user(user=member)

    assert active is not None
    assert active.is_personal


def test_active_team_without_profile_is_none() -> None:
    user = User.objects.create_user(email="bare@example.com")

    assert selectors.active_team_for_user(user=user) is None


def test_profile_get_public(owner: User) -> None:
    handle = owner.profile.handle
    with pytest.raises(NotFound):
        selectors.profile_get_public(handle=handle)

    Profile.objects.filter(user=owner).update(is_public=True)

    assert selectors.profile_get_public(handle=handle).user == owner


def test_audit_list_for_team_newest_first_and_limited(owner: User, team: Team) -> None:
    for number in range(3):
        AuditEntry.objects.create(actor=owner, team=team, action=f"test.{number}")

    entries = list(selectors.audit_list_for_team(team=team, limit=2))

    assert [entry.action for entry in entries] == ["test.2", "test.1"]
