import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import AuditEntry, Invitation, Membership, Profile, Team, User
from accounts.services import invitation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize("model", [User, Team, Invitation, Profile, AuditEntry])
def test_changelist_and_change_pages_render(
    staff_client: Client, owner: User, team: Team, model: type[object]
) -> None:
    invitation_create(actor=owner, team=team, email="x@example.com")
    meta = model._meta  # type: ignore[attr-defined]
    obj = model.objects.first()  # type: ignore[attr-defined]

    changelist = staff_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    change = staff_client.get(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )

    assert changelist.status_code == 200
    assert change.status_code == 200


def test_changelist_search_works(staff_client: Client, owner: User, team: Team) -> None:
    for model in ("user", "team", "invitation", "profile", "auditentry"):
        response = staff_client.get(reverse(f"admin:accounts_{model}_changelist"), {"q": "owner"})
        assert response.status_code == 200, model


def test_team_admin_shows_memberships_inline(
    staff_client: Client, team: Team, member: User
) -> None:
    response = staff_client.get(reverse("admin:accounts_team_change", args=[team.pk]))

    assert response.status_code == 200
    assert Membership.objects.filter(team=team).count() == 2
    assert 'name="memberships-TOTAL_FORMS" value="2"' in response.content.decode()


def test_invitation_admin_never_shows_the_token_hash(
    staff_client: Client, owner: User, team: Team
) -> None:
    invitation = invitation_create(actor=owner, team=team, email="x@example.com")

    response = staff_client.get(reverse("admin:accounts_invitation_change", args=[invitation.pk]))

    assert invitation.token_hash not in response.content.decode()


def test_audit_entry_admin_is_read_only(staff_client: Client, staff: User, owner: User) -> None:
    entry = AuditEntry.objects.filter(actor=owner).first()
    assert entry is not None
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/")
    request.user = staff

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert staff_client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
    assert (
        staff_client.post(
            reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    # Staff can still read it.
    response = staff_client.get(reverse("admin:accounts_auditentry_change", args=[entry.pk]))
    assert response.status_code == 200


def test_user_add_lowercases_email_and_refuses_duplicates(
    staff_client: Client, owner: User
) -> None:
    url = reverse("admin:accounts_user_add")
    password = "a-long-admin-passphrase-7"

    created = staff_client.post(
        url, {"email": "Added@Example.com", "password1": password, "password2": password}
    )
    duplicate = staff_client.post(
        url, {"email": "OWNER@example.com", "password1": password, "password2": password}
    )

    assert created.status_code == 302
    user = User.objects.get(email="added@example.com")
    assert user.check_password(password)
    assert duplicate.status_code == 200
    assert "email" in duplicate.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="owner@example.com").count() == 1


def test_admin_needs_staff(owner_client: Client) -> None:
    response = owner_client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
