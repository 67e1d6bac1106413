from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEntry, Invitation, MemberRole, Membership, Profile, Team, User

pytestmark = pytest.mark.django_db


def test_create_user_lowercases_email_and_has_no_username() -> None:
    user = User.objects.create_user(email="Ada@Example.COM", password="pw")

    assert user.email == "ada@example.com"
    assert User.USERNAME_FIELD == "email"
    assert not user.is_staff
    assert not user.is_superuser
    assert str(user) == "ada@example.com"


def test_create_user_requires_email() -> None:
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email="", password="pw")


def test_create_superuser_is_staff_and_superuser() -> None:
    user = User.objects.create_superuser(email="root@example.com", password="pw")

    assert user.is_staff
    assert user.is_superuser
    assert user.check_password("pw")


def test_email_is_unique_whatever_the_case() -> None:
    User.objects.create_user(email="ada@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ADA@example.com")


def test_user_clean_lowercases_email() -> None:
    user = User(email=" Ada@Example.com ")

    user.clean()

    assert user.email == "ada@example.com"


def test_one_personal_team_per_user(owner: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="Second", is_personal=True, created_by=owner)


def test_membership_is_unique_and_role_checked(owner: User, team: Team) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(team=team, user=owner, role=MemberRole.MEMBER)
    Membership.objects.filter(team=team, user=owner).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(team=team, user=owner, role="emperor")


def test_membership_can_manage_members(owner: User, team: Team, member: User) -> None:
    assert Membership.objects.get(team=team, user=owner).can_manage_members
    assert not Membership.objects.get(team=team, user=member).can_manage_members


def _invitation(team: Team, **fields: object) -> Invitation:
    values: dict[str, object] = {
        "email": "x@example.com",
        "token_hash": Invitation.hash_token(str(fields)),
        "expires_at": timezone.now() + timedelta(days=1),
    }
    values.update(fields)
    return Invitation.objects.create(team=team, **values)


def test_invitation_is_open_until_expired_accepted_or_revoked(team: Team) -> None:
    assert _invitation(team).is_open
    assert not _invitation(team, expires_at=timezone.now(), email="a@example.com").is_open
    assert not _invitation(team, accepted_at=timezone.now(), email="b@example.com").is_open
    assert not _invitation(team, revoked_at=timezone.now(), email="c@example.com").is_open


def test_one_unanswered_invitation_per_email(team: Team) -> None:
    _invitation(team)

    with pytest.raises(IntegrityError), transaction.atomic():
        _invitation(team, token_hash="other")


def test_invitation_hash_token_is_sha256() -> None:
    assert Invitation.hash_token("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_profile_name_falls_back_to_handle(owner: User) -> None:
    profile = Profile.objects.get(user=owner)

    assert profile.name == profile.handle == str(profile)
    profile.display_name = "Olive"
    assert profile.name == "Olive"


def test_profile_rejects_unknown_timezone(owner: User) -> None:
    profile = Profile.objects.get(user=owner)
    profile.timezone = "Mars/Base"

    with pytest.raises(ValidationError) as error:
        profile.full_clean()

    assert "timezone" in error.value.message_dict


def _entry(owner: User) -> AuditEntry:
    return AuditEntry.objects.create(actor=owner, actor_email=owner.email, action="test.done")


def test_audit_entry_cannot_be_changed(owner: User) -> None:
    entry = _entry(owner)
    entry.action = "test.rewritten"

    with pytest.raises(ValueError, match="append-only"):
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).action == "test.done"


def test_audit_entry_cannot_be_deleted(owner: User) -> None:
    entry = _entry(owner)

    with pytest.raises(ValueError, match="append-only"):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_entry_outlives_its_actor(owner: User) -> None:
    entry = _entry(owner)

    User.objects.filter(pk=owner.pk).delete()

    entry.refresh_from_db()
    assert entry.actor is None
    assert entry.actor_email == "owner@example.com"
    assert "owner@example.com test.done" in str(entry)
