"""The team's audit log: owners and admins see it, as sentences with where each action came
from, filtered; members get 404; entries are append-only; key revocations and plan changes
are in it."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditEntry, MemberRole, Membership, Team, User
from accounts.services import audit_record
from apikeys.services import apikey_revoke
from apikeys.tests.factories import make_key
from billing.tests.conftest import PostEvent, post_event, stripe_event, stripe_on  # noqa: F401

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0"


def audit_url(team: Team) -> str:
    return f"/teams/{team.pk}/audit/"


def test_a_member_gets_404_and_sees_no_activity_on_the_team_page(
    member_client: Client, team: Team, member: User
) -> None:
    assert member_client.get(audit_url(team)).status_code == 404
    page = member_client.get(f"/teams/{team.pk}/")
    assert page.status_code == 200
    assert b"Recent activity" not in page.content
    assert audit_url(team).encode() not in page.content


def test_an_outsider_gets_404(outsider_client: Client, team: Team) -> None:
    assert outsider_client.get(audit_url(team)).status_code == 404


def test_an_owner_sees_a_key_revocation_with_who_and_from_where(owner: User, team: Team) -> None:
    client = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.7")
    client.force_login(owner)
    key = make_key(actor=owner, team=team, name="Nightly export").api_key
    response = client.post(f"/settings/api-keys/{key.pk}/revoke/")
    assert response.status_code in (200, 302)
    entry = AuditEntry.objects.get(action="apikey.revoked", team=team)
    assert (entry.ip_address, entry.user_agent) == ("203.0.113.7", UA)

    page = client.get(audit_url(team)).content.decode()
    assert "owner@example.com revoked the API key “Nightly export”" in page
    assert "203.0.113.7" in page
    assert "AuditTest/1.0" in page
    assert "apikey.revoked</td>" not in page  # a sentence, not the code


def test_an_admin_sees_a_plan_change_made_by_stripe(
    owner: User,
    member: User,
    team: Team,
    post_event: PostEvent,  # noqa: F811
) -> None:
    Membership.objects.filter(team=team, user=member).update(role=MemberRole.ADMIN)
    assert post_event(stripe_event("customer_subscription_created", team=team)).status_code == 200
    assert AuditEntry.objects.filter(action="billing.plan_changed", team=team).exists()
    client = Client()
    client.force_login(member)
    page = client.get(audit_url(team), {"kind": "billing", "period": "all"}).content.decode()
    assert "Stripe changed the plan from Free to Pro." in page
    assert "created the team" not in page  # filtered out: a member action


def test_filters_by_member_and_period(owner: User, member: User, team: Team) -> None:
    Membership.objects.filter(team=team, user=member).update(role=MemberRole.ADMIN)
    audit_record(actor=member, action="profile.updated", team=team)
    old = audit_record(actor=owner, action="invitation.revoked", team=team, data={"email": "a@b.c"})
    AuditEntry.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(year=2020))
    client = Client()
    client.force_login(owner)
    mine = client.get(audit_url(team), {"actor": member.pk}).content.decode()
    assert "member@example.com updated their profile." in mine
    assert "owner@example.com created the team." not in mine
    recent = client.get(audit_url(team), {"period": "30d"}).content.decode()
    assert "withdrew the invitation" not in recent
    everything = client.get(audit_url(team), {"period": "all", "kind": "nonsense"})
    assert "withdrew the invitation of a@b.c" in everything.content.decode()


def test_in_turkish_the_sentences_are_turkish(owner: User, team: Team) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="tr")
    client.force_login(owner)
    client.cookies["django_language"] = "tr"
    page = client.get(audit_url(team)).content.decode()
    assert "ekibi oluşturdu" in page


def test_entries_are_append_only_and_read_only_in_admin(
    staff: User, owner: User, team: Team
) -> None:
    entry = AuditEntry.objects.filter(team=team).first()
    assert entry is not None
    entry.action = "team.renamed"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    admin = Client()
    admin.force_login(staff)
    listing = admin.get("/admin/accounts/auditentry/")
    assert listing.status_code == 200
    change = admin.get(f"/admin/accounts/auditentry/{entry.pk}/change/")
    assert change.status_code == 200
    assert b'name="action"' not in change.content  # read-only
    assert admin.post(f"/admin/accounts/auditentry/{entry.pk}/delete/").status_code == 403


def test_revoking_through_the_service_records_no_origin_outside_a_request(
    owner: User, team: Team, settings: Any
) -> None:
    key = make_key(actor=owner, team=team).api_key
    apikey_revoke(actor=owner, api_key=key)
    entry = AuditEntry.objects.get(action="apikey.revoked")
    assert (entry.ip_address, entry.user_agent) == (None, "")
