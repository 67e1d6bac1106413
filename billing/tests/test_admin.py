"""Billing in admin: plans editable, accounts read-mostly with audited edits, events read-only."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, Team, User
from billing.models import BillingAccount, Plan, StripeEventRecord
from billing.tests.factories import plan, put_on_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize("model", [Plan, BillingAccount, StripeEventRecord])
def test_changelist_and_change_pages_render(
    staff_client: Client, team: Team, model: type[object]
) -> None:
    put_on_plan(team, "pro")
    StripeEventRecord.objects.create(
        event_id="evt_1",
        event_type="invoice.paid",
        stripe_created=datetime(2026, 11, 3, tzinfo=UTC),
    )
    meta = model._meta  # type: ignore[attr-defined]
    obj = model.objects.first()  # type: ignore[attr-defined]
    changelist = staff_client.get(reverse(f"admin:billing_{meta.model_name}_changelist"))
    change = staff_client.get(reverse(f"admin:billing_{meta.model_name}_change", args=[obj.pk]))
    assert (changelist.status_code, change.status_code) == (200, 200)


def test_staff_set_a_plan_by_hand_and_it_is_audited(
    staff_client: Client, staff: User, team: Team
) -> None:
    account = put_on_plan(team, "free")
    url = reverse("admin:billing_billingaccount_change", args=[account.pk])
    response = staff_client.post(
        url,
        {
            "plan": plan("team").pk,
            "scheduled_plan": "",
            "scheduled_at_0": "",
            "scheduled_at_1": "",
            "grace_until_0": "",
            "grace_until_1": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.plan == plan("team")
    entry = AuditEntry.objects.get(action="billing.account_edited")
    assert entry.actor == staff
    assert entry.data == {"changes": {"plan": {"from": "free", "to": "team"}}}


def test_stripe_events_cannot_be_edited(staff_client: Client) -> None:
    record = StripeEventRecord.objects.create(
        event_id="evt_2",
        event_type="invoice.paid",
        stripe_created=datetime(2026, 11, 3, tzinfo=UTC),
    )
    url = reverse("admin:billing_stripeeventrecord_change", args=[record.pk])
    assert staff_client.post(url, {"event_id": "evt_3"}).status_code == 403
