from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from accounts.forms import TeamForm
from accounts.models import AuditEntry, Invitation, MemberRole, Membership, Profile, Team, User
from accounts.services import (
    INVITATION_TTL,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    language_set,
    membership_change_role,
    membership_remove,
    profile_update,
    team_create,
    team_switch,
    user_complete_signup,
    user_create,
    user_setup_workspace,
)
from accounts.tests.factories import make_user
from consultation.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from ops.metrics import metric_totals

pytestmark = pytest.mark.django_db


def _add(team: Team, email: str, role: str) -> User:
    user = make_user(email=email)
    Membership.objects.create(team=team, user=user, role=role)
    return user


def _role(team: Team, user: User) -> str:
    return Membership.objects.get(team=team, user=user).role


# --- Users and workspaces --------------------------------------------------------------------


def test_user_create_normalises_email_and_sets_up_workspace() -> None:
    user = user_create(email="  Ada@Example.COM ", password="pw", display_name="Ada")

    assert user.email == "ada@example.com"
    assert user.check_password("pw")
    assert user.profile.display_name == "Ada"
    assert user.profile.handle == "ada"
    personal = Team.objects.get(created_by=user, is_personal=True)
    assert user.profile.active_team == personal
    assert AuditEntry.objects.filter(action="user.created", actor=user).exists()


def test_user_create_refuses_duplicate_email_of_any_case(owner: User) -> None:
    with pytest.raises(Conflict):
        user_create(email="OWNER@example.com", password="pw")

    assert User.objects.filter(email__iexact="owner@example.com").count() == 1


def test_user_setup_workspace_is_idempotent(owner: User) -> None:
    first = user_setup_workspace(user=owner)
    second = user_setup_workspace(user=owner)

    assert first == second
    assert Team.objects.filter(created_by=owner, is_personal=True).count() == 1
    assert Membership.objects.filter(user=owner).count() == 1
    assert AuditEntry.objects.filter(action="team.created", actor=owner).count() == 1


def test_user_setup_workspace_keeps_a_chosen_active_team(owner: User, team: Team) -> None:
    user_setup_workspace(user=owner)

    assert Profile.objects.get(user=owner).active_team == team


def test_handles_stay_unique_for_the_same_local_part() -> None:
    users = [make_user(email=f"sam@{domain}.example") for domain in ("a", "b", "c")]

    handles = {user.profile.handle for user in users}
    assert len(handles) == 3
    assert "sam" in handles


def test_handle_falls_back_when_the_local_part_has_no_letters() -> None:
    user = make_user(email="+++@example.com")

    assert user.profile.handle == "member"


def test_user_complete_signup_sets_language_name_and_audits() -> None:
    user = User.objects.create_user(email="new@example.com", password="pw")

    team = user_complete_signup(
        user=user, language="tr", display_name="  Grace Hopper ", provider="google"
    )

    profile = Profile.objects.get(user=user)
    assert profile.locale == "tr"
    assert profile.display_name == "Grace Hopper"
    assert profile.active_team == team
    assert team.is_personal
    entry = AuditEntry.objects.get(action="user.signed_up")
    assert entry.data == {"provider": "google"}


def test_user_complete_signup_ignores_unknown_language() -> None:
    user = User.objects.create_user(email="new@example.com", password="pw")

    user_complete_signup(user=user, language="xx")

    assert Profile.objects.get(user=user).locale == "en"


# --- Profiles --------------------------------------------------------------------------------


def test_profile_update_saves_changed_fields_and_audits(owner: User) -> None:
    profile = profile_update(actor=owner, display_name="Olive", timezone="Asia/Tokyo", bio="")

    assert profile.display_name == "Olive"
    assert Profile.objects.get(user=owner).timezone == "Asia/Tokyo"
    entry = AuditEntry.objects.get(action="profile.updated")
    assert entry.data == {"fields": ["display_name", "timezone"]}


def test_profile_update_without_changes_writes_nothing(owner: User) -> None:
    profile_update(actor=owner, display_name="")

    assert not AuditEntry.objects.filter(action="profile.updated").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Nowhere/Land"), ("avatar_url", "ftp//bad"), ("handle", "Not A Slug!")],
)
def test_profile_update_refuses_invalid_values(owner: User, field: str, value: str) -> None:
    before = Profile.objects.values().get(user=owner)

    with pytest.raises(ValidationFailed) as error:
        profile_update(actor=owner, **{field: value})

    assert field in error.value.extra["fields"]
    assert Profile.objects.values().get(user=owner) == before


def test_profile_update_refuses_a_taken_handle(owner: User, outsider: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        profile_update(actor=owner, handle=outsider.profile.handle)

    assert "handle" in error.value.extra["fields"]


def test_profile_update_refuses_unknown_fields(owner: User) -> None:
    with pytest.raises(TypeError):
        profile_update(actor=owner, active_team=None)


def test_language_set_remembers_on_profile(owner: User) -> None:
    assert language_set(user=owner, language="tr") == "tr"

    assert Profile.objects.get(user=owner).locale == "tr"


def test_language_set_for_anonymous_only_validates() -> None:
    assert language_set(user=None, language="tr") == "tr"
    with pytest.raises(ValidationFailed):
        language_set(user=None, language="xx")


# --- Teams -----------------------------------------------------------------------------------


def test_team_create_makes_actor_owner_and_switches(owner: User) -> None:
    team = team_create(actor=owner, name=" Lab ")

    assert team.name == "Lab"
    assert team.created_by == owner
    assert _role(team, owner) == MemberRole.OWNER
    assert Profile.objects.get(user=owner).active_team == team
    entry = AuditEntry.objects.get(action="team.created", team=team)
    assert entry.data == {"name": "Lab"}


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_team_create_refuses_bad_names(owner: User, name: str) -> None:
    with pytest.raises(ValidationFailed):
        team_create(actor=owner, name=name)

    assert Team.objects.filter(created_by=owner).count() == 1


def test_team_switch_needs_membership(outsider: User, team: Team) -> None:
    with pytest.raises(NotFound):
        team_switch(user=outsider, team=team)

    assert Profile.objects.get(user=outsider).active_team != team


# --- Invitations -----------------------------------------------------------------------------


def test_invitation_create_sends_email_on_commit(
    owner: User, team: Team, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = invitation_create(actor=owner, team=team, email=" Ada@Example.com ")
        assert mail.outbox == []

    for callback in callbacks:
        callback()
    assert invitation.email == "ada@example.com"
    assert invitation.expires_at == pytest.approx(
        timezone.now() + INVITATION_TTL, abs=timedelta(minutes=1)
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    assert "owner@example.com" in mail.outbox[0].body


def test_invitation_create_refuses_bad_email(owner: User, team: Team) -> None:
    with pytest.raises(ValidationFailed):
        invitation_create(actor=owner, team=team, email="not an email")


def test_invitation_create_refuses_owner_role(owner: User, team: Team) -> None:
    with pytest.raises(ValidationFailed):
        invitation_create(actor=owner, team=team, email="x@example.com", role=MemberRole.OWNER)


def test_invitation_create_by_admin_is_limited_to_members(team: Team) -> None:
    admin = _add(team, "admin@example.com", MemberRole.ADMIN)

    invitation = invitation_create(actor=admin, team=team, email="m@example.com")
    assert invitation.role == MemberRole.MEMBER
    with pytest.raises(PermissionDenied):
        invitation_create(actor=admin, team=team, email="a@example.com", role=MemberRole.ADMIN)


def test_invitation_create_by_member_is_refused(member: User, team: Team) -> None:
    with pytest.raises(PermissionDenied):
        invitation_create(actor=member, team=team, email="x@example.com")


def test_invitation_create_by_outsider_is_not_found(outsider: User, team: Team) -> None:
    with pytest.raises(NotFound):
        invitation_create(actor=outsider, team=team, email="x@example.com")


def test_invitation_create_for_personal_team_is_refused(owner: User) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)

    with pytest.raises(PermissionDenied):
        invitation_create(actor=owner, team=personal, email="x@example.com")


def test_invitation_create_twice_is_conflict(owner: User, team: Team) -> None:
    invitation_create(actor=owner, team=team, email="x@example.com")

    with pytest.raises(Conflict):
        invitation_create(actor=owner, team=team, email="X@example.com")


def test_invitation_create_for_a_member_is_conflict(owner: User, team: Team, member: User) -> None:
    with pytest.raises(Conflict):
        invitation_create(actor=owner, team=team, email=member.email.upper())


def test_invitation_create_replaces_an_expired_invitation(owner: User, team: Team) -> None:
    old = invitation_create(actor=owner, team=team, email="x@example.com")

    with time_machine.travel(timezone.now() + INVITATION_TTL + timedelta(minutes=1)):
        new = invitation_create(actor=owner, team=team, email="x@example.com")

    old.refresh_from_db()
    assert old.revoked_at is not None
    assert new.is_open
    assert AuditEntry.objects.filter(action="invitation.created").first().data[  # type: ignore[union-attr]
        "replaces"
    ] == str(old.pk)


def test_invitation_create_after_revoke_is_allowed(owner: User, team: Team) -> None:
    old = invitation_create(actor=owner, team=team, email="x@example.com")
    invitation_revoke(actor=owner, invitation=old)

    new = invitation_create(actor=owner, team=team, email="x@example.com")

    assert new.pk != old.pk


def _token_invitation(owner: User, team: Team, email: str, role: str = MemberRole.MEMBER) -> str:
    """Create an invitation whose token the test knows (the real one only exists in the email)."""
    invitation = invitation_create(actor=owner, team=team, email=email, role=role)
    token = f"known-token-{email}"
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=Invitation.hash_token(token))
    return token


def test_invitation_accept_joins_with_the_invited_role(owner: User, team: Team) -> None:
    token = _token_invitation(owner, team, "new@example.com", MemberRole.ADMIN)
    invitee = make_user(email="New@Example.com")

    membership = invitation_accept(user=invitee, token=token)

    assert membership.role == MemberRole.ADMIN
    assert Profile.objects.get(user=invitee).active_team == team
    invitation = Invitation.objects.get(team=team)
    assert invitation.accepted_by == invitee
    assert not invitation.is_open


def test_invitation_accept_wrong_account_changes_nothing(
    owner: User, team: Team, outsider: User
) -> None:
    token = _token_invitation(owner, team, "new@example.com")

    with pytest.raises(PermissionDenied):
        invitation_accept(user=outsider, token=token)

    assert not Membership.objects.filter(team=team, user=outsider).exists()
    assert Invitation.objects.get(team=team).is_open


def test_invitation_accept_unknown_token_is_not_found(owner: User) -> None:
    with pytest.raises(NotFound):
        invitation_accept(user=owner, token="no-such-token")


def test_invitation_accept_twice_is_conflict(owner: User, team: Team) -> None:
    token = _token_invitation(owner, team, "new@example.com")
    invitee = make_user(email="new@example.com")
    invitation_accept(user=invitee, token=token)

    with pytest.raises(Conflict):
        invitation_accept(user=invitee, token=token)


def test_invitation_accept_expired_is_conflict(owner: User, team: Team) -> None:
    token = _token_invitation(owner, team, "new@example.com")
    invitee = make_user(email="new@example.com")

    with (
        time_machine.travel(timezone.now() + INVITATION_TTL + timedelta(seconds=1)),
        pytest.raises(Conflict),
    ):
        invitation_accept(user=invitee, token=token)

    assert not Membership.objects.filter(team=team, user=invitee).exists()


def test_invitation_accept_revoked_is_conflict(owner: User, team: Team) -> None:
    token = _token_invitation(owner, team, "new@example.com")
    invitation_revoke(actor=owner, invitation=Invitation.objects.get(team=team))
    invitee = make_user(email="new@example.com")

    with pytest.raises(Conflict):
        invitation_accept(user=invitee, token=token)


def test_invitation_revoke_by_member_is_refused(owner: User, team: Team, member: User) -> None:
    invitation = invitation_create(actor=owner, team=team, email="x@example.com")

    with pytest.raises(PermissionDenied):
        invitation_revoke(actor=member, invitation=invitation)


# --- Roles and membership --------------------------------------------------------------------


def test_change_role_by_owner(owner: User, team: Team, member: User) -> None:
    membership = Membership.objects.get(team=team, user=member)

    membership_change_role(actor=owner, membership=membership, role=MemberRole.OWNER)

    assert _role(team, member) == MemberRole.OWNER
    entry = AuditEntry.objects.get(action="membership.role_changed")
    assert entry.data == {"user": member.email, "from": "member", "to": "owner"}


def test_change_role_to_the_same_role_writes_nothing(owner: User, team: Team, member: User) -> None:
    membership = Membership.objects.get(team=team, user=member)

    membership_change_role(actor=owner, membership=membership, role=MemberRole.MEMBER)

    assert not AuditEntry.objects.filter(action="membership.role_changed").exists()


def test_change_role_unknown_role_is_refused(owner: User, team: Team, member: User) -> None:
    membership = Membership.objects.get(team=team, user=member)

    with pytest.raises(ValidationFailed):
        membership_change_role(actor=owner, membership=membership, role="emperor")


def test_last_owner_cannot_be_demoted(owner: User, team: Team) -> None:
    membership = Membership.objects.get(team=team, user=owner)

    with pytest.raises(Conflict):
        membership_change_role(actor=owner, membership=membership, role=MemberRole.ADMIN)

    assert _role(team, owner) == MemberRole.OWNER


@pytest.mark.parametrize(
    ("target_role", "new_role"),
    [
        (
            MemberRole.MEMBER,
            MemberRole.ADMIN,
        ),  # an admin must not grant admin (as with invitations)
        (MemberRole.MEMBER, MemberRole.OWNER),
        (MemberRole.ADMIN, MemberRole.MEMBER),
        (MemberRole.OWNER, MemberRole.MEMBER),
    ],
)
def test_admin_cannot_change_roles(
    owner: User, team: Team, target_role: str, new_role: str
) -> None:
    admin = _add(team, "admin@example.com", MemberRole.ADMIN)
    target = owner if target_role == MemberRole.OWNER else _add(team, "t@example.com", target_role)
    membership = Membership.objects.get(team=team, user=target)

    with pytest.raises(PermissionDenied):
        membership_change_role(actor=admin, membership=membership, role=new_role)

    assert _role(team, target) == target_role


def test_member_cannot_change_roles(owner: User, team: Team, member: User) -> None:
    membership = Membership.objects.get(team=team, user=member)

    with pytest.raises(PermissionDenied):
        membership_change_role(actor=member, membership=membership, role=MemberRole.ADMIN)


def test_remove_member_by_owner_and_admin(owner: User, team: Team, member: User) -> None:
    admin = _add(team, "admin@example.com", MemberRole.ADMIN)
    other = _add(team, "other@example.com", MemberRole.MEMBER)

    membership_remove(actor=owner, membership=Membership.objects.get(team=team, user=member))
    membership_remove(actor=admin, membership=Membership.objects.get(team=team, user=other))

    assert set(Membership.objects.filter(team=team).values_list("user__email", flat=True)) == {
        "owner@example.com",
        "admin@example.com",
    }
    assert AuditEntry.objects.filter(action="membership.removed").count() == 2


def test_admin_cannot_remove_owners_or_admins(owner: User, team: Team) -> None:
    admin = _add(team, "admin@example.com", MemberRole.ADMIN)
    other_admin = _add(team, "admin2@example.com", MemberRole.ADMIN)

    for target in (owner, other_admin):
        with pytest.raises(PermissionDenied):
            membership_remove(
                actor=admin, membership=Membership.objects.get(team=team, user=target)
            )

    assert Membership.objects.filter(team=team).count() == 3


def test_member_cannot_remove_others(owner: User, team: Team, member: User) -> None:
    with pytest.raises(PermissionDenied):
        membership_remove(actor=member, membership=Membership.objects.get(team=team, user=owner))


def test_leave_team_resets_active_team(team: Team, member: User) -> None:
    team_switch(user=member, team=team)

    membership_remove(actor=member, membership=Membership.objects.get(team=team, user=member))

    assert not Membership.objects.filter(team=team, user=member).exists()
    assert Profile.objects.get(user=member).active_team is None
    assert AuditEntry.objects.filter(action="membership.left", actor=member).exists()


def test_last_owner_cannot_leave(owner: User, team: Team, member: User) -> None:
    with pytest.raises(Conflict):
        membership_remove(actor=owner, membership=Membership.objects.get(team=team, user=owner))


def test_owner_can_leave_when_another_owner_remains(owner: User, team: Team, member: User) -> None:
    Membership.objects.filter(team=team, user=member).update(role=MemberRole.OWNER)

    membership_remove(actor=owner, membership=Membership.objects.get(team=team, user=owner))

    assert list(Membership.objects.filter(team=team).values_list("user", flat=True)) == [member.pk]


def test_nobody_leaves_a_personal_team(owner: User) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)

    with pytest.raises(PermissionDenied):
        membership_remove(actor=owner, membership=Membership.objects.get(team=personal))


# --- Invitation limits and team names (issue 9) ------------------------------------------------


def test_invitation_create_is_limited_per_team_per_hour(
    owner: User, team: Team, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INVITATIONS_PER_TEAM_PER_HOUR = 3
    # The plan's member limit (billing) is not what this tests: a team without one.
    settings.TEAM_SIZE_CHECK = "accounts.tests.factories.any_team_size"
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(3):
            invitation_create(actor=owner, team=team, email=f"guest{number}@example.com")
    with pytest.raises(RateLimited) as refused:
        invitation_create(actor=owner, team=team, email="one-too-many@example.com")
    assert refused.value.extra["limit"] == 3
    assert 1 <= refused.value.extra["retry_after"] <= 3601
    assert len(mail.outbox) == 3
    assert not Invitation.objects.filter(email="one-too-many@example.com").exists()
    since = timezone.now() - timedelta(minutes=5)
    assert metric_totals(name="invitation.refused", since=since) == {"rate_limited": 1}
    assert metric_totals(name="invitation.created", since=since) == {"": 3}
    # An hour later the team may invite again.
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        invitation_create(actor=owner, team=team, email="later@example.com")


def test_invitation_limit_counts_each_team_apart(owner: User, team: Team, settings: Any) -> None:
    settings.INVITATIONS_PER_TEAM_PER_HOUR = 1
    other = team_create(actor=owner, name="Other team")
    invitation_create(actor=owner, team=team, email="a@example.com")
    invitation_create(actor=owner, team=other, email="a@example.com")


@pytest.mark.parametrize("name", ["Evil\r\nBcc: x@example.com", "Tab\there", "Nul\x00", "A\u2028B"])
def test_team_create_refuses_control_characters(owner: User, name: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        team_create(actor=owner, name=name)
    assert "name" in refused.value.extra["fields"]


def test_invitation_to_a_team_with_a_line_break_in_its_name_is_refused(
    owner: User, team: Team
) -> None:
    # A team named before names were checked: nothing is saved and no mail goes out.
    Team.objects.filter(pk=team.pk).update(name="Evil\r\nBcc: x@example.com")
    team.refresh_from_db()
    with pytest.raises(ValidationFailed):
        invitation_create(actor=owner, team=team, email="guest@example.com")
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_team_form_refuses_control_characters() -> None:
    form = TeamForm({"name": "Evil\r\nBcc: x@example.com"})
    assert not form.is_valid()
    assert "name" in form.errors
