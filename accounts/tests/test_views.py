import hashlib
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, Invitation, MemberRole, Membership, Profile, Team, User
from accounts.services import invitation_create, invitation_revoke
from accounts.tests.factories import make_team, make_user
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _active_team(user: User) -> Team | None:
    return Profile.objects.get(user=user).active_team


def _membership(team: Team, user: User) -> Membership:
    return Membership.objects.get(team=team, user=user)


def _invite(
    client: Client,
    team: Team,
    capture: CaptureOnCommit,
    *,
    email: str = "invitee@example.com",
    role: str = MemberRole.MEMBER,
) -> tuple[Any, str]:
    """POST the invitation form; return the response and the token from the email sent."""
    with capture(execute=True):
        response = client.post(
            reverse("team-invite", args=[team.pk]), {"email": email, "role": role}
        )
    assert len(mail.outbox) == 1
    match = re.search(r"http://testserver/invitations/([^/\s]+)/", str(mail.outbox[0].body))
    assert match is not None
    return response, match.group(1)


# --- Dashboard and workspace -----------------------------------------------------------------


def test_dashboard_requires_login(anon_client: Client) -> None:
    response = anon_client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_dashboard_shows_active_team_and_teams(owner_client: Client, team: Team) -> None:
    response = owner_client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert response.context["active_team"] == team
    assert "Acme Research" in response.content.decode()


def test_superuser_gets_personal_team_on_first_request() -> None:
    admin = User.objects.create_superuser(email="Root@Example.com", password=PASSWORD)
    assert not Team.objects.filter(created_by=admin).exists()

    response = _client_for(admin).get(reverse("dashboard"))

    assert response.status_code == 200
    personal = Team.objects.get(created_by=admin, is_personal=True)
    assert _membership(personal, admin).role == MemberRole.OWNER
    assert _active_team(admin) == personal
    assert response.context["active_team"] == personal
    assert Profile.objects.get(user=admin).handle == "root"


def test_superuser_workspace_is_created_once() -> None:
    admin = User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    client = _client_for(admin)

    client.get(reverse("team-list"))
    client.get(reverse("dashboard"))

    assert Team.objects.filter(created_by=admin).count() == 1
    assert Profile.objects.filter(user=admin).count() == 1


# --- Profile ---------------------------------------------------------------------------------


def _profile_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "display_name": "Ada Lovelace",
        "handle": "ada",
        "bio": "Analyst.",
        "avatar_url": "https://example.com/ada.png",
        "locale": "en",
        "timezone": "Europe/Istanbul",
        "is_public": "on",
    }
    data.update(overrides)
    return data


def test_profile_edit_renders(owner_client: Client, owner: User) -> None:
    response = owner_client.get(reverse("profile-edit"))

    assert response.status_code == 200
    assert response.context["form"].instance == owner.profile
    assert owner.email in response.content.decode()


def test_profile_edit_saves_and_audits(owner_client: Client, owner: User) -> None:
    response = owner_client.post(reverse("profile-edit"), _profile_data(locale="tr"))

    assert response.status_code == 302
    assert response["Location"] == reverse("profile-edit")
    profile = Profile.objects.get(user=owner)
    assert profile.display_name == "Ada Lovelace"
    assert profile.handle == "ada"
    assert profile.timezone == "Europe/Istanbul"
    assert profile.locale == "tr"
    assert profile.is_public is True
    assert response.cookies["consultation_language"].value == "tr"
    entry = AuditEntry.objects.get(action="profile.updated")
    assert entry.actor == owner
    assert "handle" in entry.data["fields"]


def test_profile_edit_unchecked_box_makes_profile_private(
    owner_client: Client, owner: User
) -> None:
    Profile.objects.filter(user=owner).update(is_public=True)
    data = _profile_data()
    del data["is_public"]

    owner_client.post(reverse("profile-edit"), data)

    assert Profile.objects.get(user=owner).is_public is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("avatar_url", "javascript:alert(1)"),
        ("avatar_url", "not a url"),
        ("handle", "no spaces allowed"),
        ("locale", "xx"),
    ],
)
def test_profile_edit_invalid_field_changes_nothing(
    owner_client: Client, owner: User, field: str, value: str
) -> None:
    before = Profile.objects.values().get(user=owner)

    response = owner_client.post(reverse("profile-edit"), _profile_data(**{field: value}))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Profile.objects.values().get(user=owner) == before
    assert not AuditEntry.objects.filter(action="profile.updated").exists()


def test_profile_edit_taken_handle_is_a_field_error(
    owner_client: Client, owner: User, outsider: User
) -> None:
    taken = Profile.objects.get(user=outsider).handle
    before = Profile.objects.values().get(user=owner)

    response = owner_client.post(reverse("profile-edit"), _profile_data(handle=taken))

    assert response.status_code == 200
    assert "handle" in response.context["form"].errors
    assert Profile.objects.values().get(user=owner) == before


def test_profile_edit_empty_post_shows_errors(owner_client: Client, owner: User) -> None:
    before = Profile.objects.values().get(user=owner)

    response = owner_client.post(reverse("profile-edit"), {})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Profile.objects.values().get(user=owner) == before


# --- Public profile --------------------------------------------------------------------------


def test_public_profile_shows_public_profile(anon_client: Client, owner: User) -> None:
    Profile.objects.filter(user=owner).update(is_public=True, display_name="Ada", bio="Hi <b>")

    response = anon_client.get(reverse("public-profile", args=[owner.profile.handle]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Ada" in content
    assert "Hi &lt;b&gt;" in content
    # The email address is never shown on a public page.
    assert owner.email not in content


def test_public_profile_private_is_404(anon_client: Client, owner: User) -> None:
    response = anon_client.get(reverse("public-profile", args=[owner.profile.handle]))

    assert response.status_code == 404


def test_public_profile_unknown_is_404(anon_client: Client) -> None:
    response = anon_client.get(reverse("public-profile", args=["nobody-here"]))

    assert response.status_code == 404


# --- Teams -----------------------------------------------------------------------------------


def test_team_list_renders(owner_client: Client, team: Team) -> None:
    response = owner_client.get(reverse("team-list"))

    assert response.status_code == 200
    assert list(response.context["teams"])[-1] == team


def test_team_create_makes_creator_owner_and_active(owner_client: Client, owner: User) -> None:
    response = owner_client.post(reverse("team-list"), {"name": "  Lab  "})

    team = Team.objects.get(name="Lab")
    assert response.status_code == 302
    assert response["Location"] == reverse("team-detail", args=[team.pk])
    assert team.is_personal is False
    assert _membership(team, owner).role == MemberRole.OWNER
    assert _active_team(owner) == team
    assert AuditEntry.objects.filter(action="team.created", team=team, actor=owner).exists()
    # The next request works in the new team.
    assert owner_client.get(reverse("dashboard")).context["active_team"] == team


def test_team_create_without_name_shows_error(owner_client: Client, owner: User) -> None:
    response = owner_client.post(reverse("team-list"), {"name": "   "})

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert Team.objects.filter(created_by=owner).count() == 1


def test_team_detail_renders_for_member(member_client: Client, team: Team) -> None:
    response = member_client.get(reverse("team-detail", args=[team.pk]))

    assert response.status_code == 200
    assert response.context["membership"].role == MemberRole.MEMBER
    content = response.content.decode()
    assert "member@example.com" in content
    # Members see no invitation form.
    assert reverse("team-invite", args=[team.pk]) not in content


def test_team_detail_renders_for_owner(
    owner_client: Client, owner: User, team: Team, member: User
) -> None:
    invitation_create(actor=owner, team=team, email="pending@example.com")

    response = owner_client.get(reverse("team-detail", args=[team.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("team-invite", args=[team.pk]) in content
    assert "pending@example.com" in content
    assert "invited pending@example.com as member." in content  # a sentence, not a code


def test_personal_team_detail_renders(owner_client: Client, owner: User) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)

    response = owner_client.get(reverse("team-detail", args=[personal.pk]))

    assert response.status_code == 200
    assert reverse("team-invite", args=[personal.pk]) not in response.content.decode()


def test_team_pages_are_404_for_outsider(
    outsider_client: Client, owner: User, team: Team, member: User
) -> None:
    membership = _membership(team, member)
    invitation = invitation_create(actor=owner, team=team, email="pending@example.com")
    urls = {
        "get": [reverse("team-detail", args=[team.pk])],
        "post": [
            reverse("team-invite", args=[team.pk]),
            reverse("team-switch", args=[team.pk]),
            reverse("member-role", args=[team.pk, membership.pk]),
            reverse("member-remove", args=[team.pk, membership.pk]),
            reverse("invitation-revoke", args=[team.pk, invitation.pk]),
        ],
    }

    for url in urls["get"]:
        assert outsider_client.get(url).status_code == 404, url
    for url in urls["post"]:
        response = outsider_client.post(url, {"email": "x@example.com", "role": MemberRole.OWNER})
        assert response.status_code == 404, url

    assert _membership(team, member).role == MemberRole.MEMBER
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None
    assert not Membership.objects.filter(team=team, user__email="outsider@example.com").exists()


def test_member_of_another_team_cannot_reach_its_members(
    owner: User, team: Team, member: User, outsider: User
) -> None:
    """A membership id from team A is 404 when addressed through team B, even for B's owner."""
    other = make_team(owner=outsider, name="Other")
    membership = _membership(team, member)

    response = _client_for(outsider).post(reverse("member-remove", args=[other.pk, membership.pk]))

    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_team_detail_unknown_id_is_404(owner_client: Client) -> None:
    response = owner_client.get("/teams/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


# --- Switching the active team ---------------------------------------------------------------


def test_team_switch_follows_next(owner_client: Client, owner: User, team: Team) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)

    response = owner_client.post(
        reverse("team-switch", args=[personal.pk]), {"next": reverse("team-list")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("team-list")
    assert _active_team(owner) == personal
    assert owner_client.get(reverse("dashboard")).context["active_team"] == personal


@pytest.mark.parametrize(
    "target",
    [
        "http://evil.example/",
        "https://evil.example/steal",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_team_switch_refuses_open_redirect(
    owner_client: Client, owner: User, team: Team, target: str
) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)

    response = owner_client.post(reverse("team-switch", args=[personal.pk]), {"next": target})

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert _active_team(owner) == personal


def test_team_switch_refuses_open_redirect_through_referer(
    owner_client: Client, owner: User, team: Team
) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)

    response = owner_client.post(
        reverse("team-switch", args=[personal.pk]), headers={"referer": "http://evil.example/"}
    )

    assert response["Location"] == reverse("dashboard")


def test_team_switch_requires_post(owner_client: Client, team: Team) -> None:
    response = owner_client.get(reverse("team-switch", args=[team.pk]))

    assert response.status_code == 405


# --- Invitations -----------------------------------------------------------------------------


def test_invite_sends_email_with_token_and_stores_only_its_hash(
    owner_client: Client,
    owner: User,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    response, token = _invite(owner_client, team, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("team-detail", args=[team.pk])
    message = mail.outbox[0]
    assert message.to == ["invitee@example.com"]
    assert "Acme Research" in str(message.subject)
    invitation = Invitation.objects.get(team=team)
    assert invitation.email == "invitee@example.com"
    assert invitation.role == MemberRole.MEMBER
    assert invitation.invited_by == owner
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(value) for value in Invitation.objects.values().get().values())
    assert token not in stored
    entry = AuditEntry.objects.get(action="invitation.created")
    assert token not in str(entry.data)


def test_invitee_accepts_and_becomes_member(
    owner_client: Client,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    _response, token = _invite(
        owner_client, team, django_capture_on_commit_callbacks, email="Invitee@Example.com"
    )
    invitee = make_user(email="invitee@example.com")
    client = _client_for(invitee)

    shown = client.get(reverse("invitation-accept", args=[token]))
    assert shown.status_code == 200
    assert "Acme Research" in shown.content.decode()
    assert not Membership.objects.filter(team=team, user=invitee).exists()

    response = client.post(reverse("invitation-accept", args=[token]))

    assert response.status_code == 302
    assert response["Location"] == reverse("team-detail", args=[team.pk])
    assert _membership(team, invitee).role == MemberRole.MEMBER
    assert _active_team(invitee) == team
    invitation = Invitation.objects.get(team=team)
    assert invitation.accepted_by == invitee
    assert invitation.accepted_at is not None
    assert AuditEntry.objects.filter(action="membership.joined", actor=invitee).exists()


def test_invitation_accept_asks_anonymous_to_log_in(
    owner_client: Client,
    anon_client: Client,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    _response, token = _invite(owner_client, team, django_capture_on_commit_callbacks)
    url = reverse("invitation-accept", args=[token])

    response = anon_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


def test_invitation_accept_by_wrong_account_changes_nothing(
    owner_client: Client,
    outsider_client: Client,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    _response, token = _invite(owner_client, team, django_capture_on_commit_callbacks)

    response = outsider_client.post(reverse("invitation-accept", args=[token]))

    assert response.status_code == 403
    assert "invitee@example.com" in response.content.decode()
    assert not Membership.objects.filter(team=team, user__email="outsider@example.com").exists()
    assert Invitation.objects.get(team=team).accepted_at is None


def test_invitation_unknown_token_is_404(owner_client: Client) -> None:
    assert owner_client.get(reverse("invitation-accept", args=["nope"])).status_code == 404
    assert owner_client.post(reverse("invitation-accept", args=["nope"])).status_code == 404


def test_invitation_expired_is_refused(
    owner_client: Client,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    _response, token = _invite(owner_client, team, django_capture_on_commit_callbacks)
    invitee = make_user(email="invitee@example.com")
    client = _client_for(invitee)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        shown = client.get(reverse("invitation-accept", args=[token]))
        response = client.post(reverse("invitation-accept", args=[token]), follow=True)

    assert "expired" in shown.content.decode()
    assert any("expired" in message for message in _messages(response))
    assert not Membership.objects.filter(team=team, user=invitee).exists()


def test_invitation_revoked_is_refused(
    owner_client: Client,
    owner: User,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    _response, token = _invite(owner_client, team, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(team=team)
    revoke = owner_client.post(reverse("invitation-revoke", args=[team.pk, invitation.pk]))
    assert revoke.status_code == 302
    assert AuditEntry.objects.filter(action="invitation.revoked").exists()
    invitee = make_user(email="invitee@example.com")

    response = _client_for(invitee).post(reverse("invitation-accept", args=[token]))

    assert response.status_code == 302
    assert not Membership.objects.filter(team=team, user=invitee).exists()


def test_invitation_used_is_refused(
    owner_client: Client,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    _response, token = _invite(owner_client, team, django_capture_on_commit_callbacks)
    invitee = make_user(email="invitee@example.com")
    client = _client_for(invitee)
    client.post(reverse("invitation-accept", args=[token]))
    Membership.objects.filter(team=team, user=invitee).delete()

    response = client.post(reverse("invitation-accept", args=[token]), follow=True)

    assert any("already used" in message for message in _messages(response))
    assert not Membership.objects.filter(team=team, user=invitee).exists()


def test_admin_invites_member(
    team: Team, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    admin = make_user(email="admin@example.com")
    Membership.objects.create(team=team, user=admin, role=MemberRole.ADMIN)

    response, _token = _invite(_client_for(admin), team, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert Invitation.objects.get(team=team).role == MemberRole.MEMBER


def test_admin_cannot_invite_admin(team: Team) -> None:
    admin = make_user(email="admin@example.com")
    Membership.objects.create(team=team, user=admin, role=MemberRole.ADMIN)

    response = _client_for(admin).post(
        reverse("team-invite", args=[team.pk]), {"email": "x@example.com", "role": MemberRole.ADMIN}
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_owner_invites_admin(
    owner_client: Client, team: Team, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    _invite(owner_client, team, django_capture_on_commit_callbacks, role=MemberRole.ADMIN)

    assert Invitation.objects.get(team=team).role == MemberRole.ADMIN


def test_invite_cannot_grant_owner(owner_client: Client, team: Team) -> None:
    response = owner_client.post(
        reverse("team-invite", args=[team.pk]), {"email": "x@example.com", "role": MemberRole.OWNER}
    )

    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_member_cannot_invite(member_client: Client, team: Team) -> None:
    response = member_client.post(
        reverse("team-invite", args=[team.pk]),
        {"email": "x@example.com", "role": MemberRole.MEMBER},
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_personal_team_cannot_invite(owner_client: Client, owner: User) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)

    response = owner_client.post(
        reverse("team-invite", args=[personal.pk]), {"email": "x@example.com", "role": "member"}
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_invite_invalid_email_shows_error(owner_client: Client, team: Team) -> None:
    url = reverse("team-detail", args=[team.pk])

    response = owner_client.post(
        reverse("team-invite", args=[team.pk]),
        {"email": "not-an-email", "role": MemberRole.MEMBER},
        headers={"referer": f"http://testserver{url}"},
        follow=True,
    )

    assert response.redirect_chain[-1][0].endswith(url)
    assert any("valid email" in message for message in _messages(response))
    assert not Invitation.objects.exists()


def test_duplicate_open_invitation_is_conflict(
    owner_client: Client,
    owner: User,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    _invite(owner_client, team, django_capture_on_commit_callbacks)

    response = owner_client.post(
        reverse("team-invite", args=[team.pk]),
        {"email": "INVITEE@example.com", "role": MemberRole.MEMBER},
        follow=True,
    )

    assert any("open invitation" in message for message in _messages(response))
    assert Invitation.objects.filter(team=team).count() == 1


def test_invite_existing_member_is_conflict(owner_client: Client, team: Team, member: User) -> None:
    response = owner_client.post(
        reverse("team-invite", args=[team.pk]),
        {"email": "Member@Example.com", "role": MemberRole.MEMBER},
        follow=True,
    )

    assert any("already a member" in message for message in _messages(response))
    assert not Invitation.objects.exists()


# --- Roles, removal, leaving -----------------------------------------------------------------


def test_owner_changes_member_role(
    owner_client: Client, owner: User, team: Team, member: User
) -> None:
    membership = _membership(team, member)

    response = owner_client.post(
        reverse("member-role", args=[team.pk, membership.pk]), {"role": MemberRole.ADMIN}
    )

    assert response.status_code == 302
    assert _membership(team, member).role == MemberRole.ADMIN
    entry = AuditEntry.objects.get(action="membership.role_changed")
    assert entry.data == {"user": member.email, "from": "member", "to": "admin"}


def test_last_owner_cannot_be_demoted(owner_client: Client, owner: User, team: Team) -> None:
    membership = _membership(team, owner)

    response = owner_client.post(
        reverse("member-role", args=[team.pk, membership.pk]),
        {"role": MemberRole.MEMBER},
        follow=True,
    )

    assert any("at least one owner" in message for message in _messages(response))
    assert _membership(team, owner).role == MemberRole.OWNER


def test_owner_can_step_down_when_another_owner_exists(
    owner_client: Client, owner: User, team: Team, member: User
) -> None:
    Membership.objects.filter(team=team, user=member).update(role=MemberRole.OWNER)

    owner_client.post(
        reverse("member-role", args=[team.pk, _membership(team, owner).pk]),
        {"role": MemberRole.ADMIN},
    )

    assert _membership(team, owner).role == MemberRole.ADMIN


def test_member_cannot_change_roles(member_client: Client, owner: User, team: Team) -> None:
    response = member_client.post(
        reverse("member-role", args=[team.pk, _membership(team, owner).pk]),
        {"role": MemberRole.MEMBER},
    )

    assert response.status_code == 403
    assert _membership(team, owner).role == MemberRole.OWNER


def test_invalid_role_is_refused(owner_client: Client, team: Team, member: User) -> None:
    response = owner_client.post(
        reverse("member-role", args=[team.pk, _membership(team, member).pk]),
        {"role": "emperor"},
        follow=True,
    )

    assert response.status_code == 200
    assert _membership(team, member).role == MemberRole.MEMBER


def test_owner_removes_member(owner_client: Client, team: Team, member: User) -> None:
    Profile.objects.filter(user=member).update(active_team=team)

    response = owner_client.post(
        reverse("member-remove", args=[team.pk, _membership(team, member).pk])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("team-detail", args=[team.pk])
    assert not Membership.objects.filter(team=team, user=member).exists()
    assert AuditEntry.objects.filter(action="membership.removed").exists()
    # The removed member works in their personal team again, and the team is gone for them.
    member_client = _client_for(member)
    personal = Team.objects.get(created_by=member, is_personal=True)
    assert member_client.get(reverse("dashboard")).context["active_team"] == personal
    assert member_client.get(reverse("team-detail", args=[team.pk])).status_code == 404


def test_admin_cannot_remove_owner(owner: User, team: Team) -> None:
    admin = make_user(email="admin@example.com")
    Membership.objects.create(team=team, user=admin, role=MemberRole.ADMIN)

    response = _client_for(admin).post(
        reverse("member-remove", args=[team.pk, _membership(team, owner).pk])
    )

    assert response.status_code == 403
    assert Membership.objects.filter(team=team, user=owner).exists()


def test_admin_removes_member(team: Team, member: User) -> None:
    admin = make_user(email="admin@example.com")
    Membership.objects.create(team=team, user=admin, role=MemberRole.ADMIN)

    _client_for(admin).post(reverse("member-remove", args=[team.pk, _membership(team, member).pk]))

    assert not Membership.objects.filter(team=team, user=member).exists()


def test_member_cannot_remove_others(member_client: Client, owner: User, team: Team) -> None:
    response = member_client.post(
        reverse("member-remove", args=[team.pk, _membership(team, owner).pk])
    )

    assert response.status_code == 403
    assert Membership.objects.filter(team=team, user=owner).exists()


def test_member_leaves_team(member_client: Client, member: User, team: Team) -> None:
    Profile.objects.filter(user=member).update(active_team=team)

    response = member_client.post(
        reverse("member-remove", args=[team.pk, _membership(team, member).pk])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("team-list")
    assert not Membership.objects.filter(team=team, user=member).exists()
    assert AuditEntry.objects.filter(action="membership.left", actor=member).exists()
    personal = Team.objects.get(created_by=member, is_personal=True)
    assert member_client.get(reverse("dashboard")).context["active_team"] == personal


def test_last_owner_cannot_leave(owner_client: Client, owner: User, team: Team) -> None:
    response = owner_client.post(
        reverse("member-remove", args=[team.pk, _membership(team, owner).pk]), follow=True
    )

    assert any("at least one owner" in message for message in _messages(response))
    assert Membership.objects.filter(team=team, user=owner).exists()


def test_nobody_leaves_their_personal_team(owner_client: Client, owner: User) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)

    response = owner_client.post(
        reverse("member-remove", args=[personal.pk, _membership(personal, owner).pk])
    )

    assert response.status_code == 403
    assert Membership.objects.filter(team=personal, user=owner).exists()


def test_invitation_revoke_by_member_is_refused(
    member_client: Client, owner: User, team: Team
) -> None:
    invitation = invitation_create(actor=owner, team=team, email="x@example.com")

    response = member_client.post(reverse("invitation-revoke", args=[team.pk, invitation.pk]))

    assert response.status_code == 403
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def test_invitation_revoke_twice_is_conflict(owner_client: Client, owner: User, team: Team) -> None:
    invitation = invitation_create(actor=owner, team=team, email="x@example.com")
    invitation_revoke(actor=owner, invitation=invitation)

    response = owner_client.post(
        reverse("invitation-revoke", args=[team.pk, invitation.pk]), follow=True
    )

    assert any("no longer open" in message for message in _messages(response))


# --- Language --------------------------------------------------------------------------------


def test_language_switch_sets_cookie_and_profile(owner_client: Client, owner: User) -> None:
    response = owner_client.post(
        reverse("language-switch"), {"language": "tr", "next": reverse("team-list")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("team-list")
    assert response.cookies["consultation_language"].value == "tr"
    assert Profile.objects.get(user=owner).locale == "tr"


def test_language_switch_for_anonymous_refuses_open_redirect(anon_client: Client) -> None:
    response = anon_client.post(
        reverse("language-switch"), {"language": "tr", "next": "http://evil.example/"}
    )

    assert response["Location"] == "/"
    assert response.cookies["consultation_language"].value == "tr"


def test_language_switch_unknown_language_changes_nothing(
    owner_client: Client, owner: User
) -> None:
    response = owner_client.post(reverse("language-switch"), {"language": "xx"})

    assert response.status_code == 302
    assert "consultation_language" not in response.cookies
    assert Profile.objects.get(user=owner).locale == "en"


def test_invitation_page_warns_a_different_account(
    owner_client: Client,
    outsider_client: Client,
    team: Team,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    _response, token = _invite(owner_client, team, django_capture_on_commit_callbacks)

    response = outsider_client.get(reverse("invitation-accept", args=[token]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "invitee@example.com" in content
    assert "outsider@example.com" in content
    assert "owner@example.com invited you as Member." in content


def test_team_detail_for_admin_offers_only_what_admins_may_do(
    owner: User, team: Team, member: User
) -> None:
    admin = make_user(email="admin@example.com")
    Membership.objects.create(team=team, user=admin, role=MemberRole.ADMIN)

    response = _client_for(admin).get(reverse("team-detail", args=[team.pk]))

    content = response.content.decode()
    owner_row = _membership(team, owner).pk
    member_row = _membership(team, member).pk
    assert reverse("member-remove", args=[team.pk, member_row]) in content
    assert reverse("member-remove", args=[team.pk, owner_row]) not in content
    assert reverse("member-role", args=[team.pk, member_row]) not in content
    assert reverse("team-invite", args=[team.pk]) in content


def test_team_detail_for_owner_offers_role_changes(
    owner_client: Client, owner: User, team: Team, member: User
) -> None:
    response = owner_client.get(reverse("team-detail", args=[team.pk]))

    content = response.content.decode()
    member_row = _membership(team, member).pk
    assert reverse("member-role", args=[team.pk, member_row]) in content
    assert reverse("member-remove", args=[team.pk, member_row]) in content
    # No role form for yourself; leaving is offered instead.
    assert reverse("member-role", args=[team.pk, _membership(team, owner).pk]) not in content
