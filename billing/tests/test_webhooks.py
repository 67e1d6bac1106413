"""Stripe's webhook, end to end: recorded event payloads, signed with a test secret the way
Stripe signs them, posted to the real endpoint; the team's plan and limits change (or not)."""

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from djstripe.models import WebhookEventTrigger
from structlog.testing import capture_logs

from accounts.models import AuditEntry, Team
from billing.limits import debate_limits_for_team, plan_for_team
from billing.models import BillingAccount, StripeEventRecord, SubscriptionStatus
from billing.tests.conftest import PostEvent, signature, stripe_event, stripe_vcr
from billing.tests.factories import plan, put_on_plan
from ops.models import MetricBucket

pytestmark = pytest.mark.django_db

# The recorded subscription: bought on 3 November 2026, paid to 3 December.
BOUGHT = datetime(2026, 11, 3, 10, 15, 50, tzinfo=UTC)
CANCELLED = datetime(2026, 11, 20, 16, 2, 15, tzinfo=UTC)
PERIOD_END = datetime(2026, 12, 3, 10, 15, 42, tzinfo=UTC)
RENEWAL_FAILED = datetime(2026, 12, 3, 11, 16, 10, tzinfo=UTC)
RETRY_PAID = datetime(2026, 12, 6, 11, 20, 20, tzinfo=UTC)
CUSTOMER = "cus_TJq4Xw9bLk2MzR"
SUBSCRIPTION = "sub_1SPq8ZLkdIwHu7ixQm4Yt2Rb"


def account(team: Team) -> BillingAccount:
    return BillingAccount.objects.select_related("plan", "scheduled_plan").get(team=team)


def audits(team: Team, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(team=team, action=action).order_by("created_at"))


def failures(label: str) -> int:
    return sum(
        MetricBucket.objects.filter(name="billing.webhook_failed", label=label).values_list(
            "count", flat=True
        )
    )


def subscribe(post_event: PostEvent, team: Team) -> None:
    with time_machine.travel(BOUGHT, tick=False):
        response = post_event(stripe_event("customer_subscription_created", team=team))
    assert response.status_code == 200, response.content


def test_subscription_created_moves_the_team_to_pro_and_its_limits_at_once(
    team: Team, post_event: PostEvent
) -> None:
    assert plan_for_team(team=team).slug == "free"
    assert debate_limits_for_team(team=team).max_seats == 5

    with capture_logs() as logs:
        subscribe(post_event, team)

    limits = debate_limits_for_team(team=team)
    assert (limits.plan_slug, limits.max_seats, limits.max_rounds) == ("pro", 8, 5)
    [processed] = [log for log in logs if log["event"] == "billing.webhook_processed"]
    assert processed["event_id"] == "evt_1SPq8cLkdIwHu7ixW3nVd0Kc"
    assert processed["event_type"] == "customer.subscription.created"
    assert (processed["team_id"], processed["outcome"]) == (str(team.pk), "upgraded")
    assert limits.concurrent_debates == 3
    assert "advanced" in limits.allowed_tiers
    billing = account(team)
    assert billing.status == SubscriptionStatus.ACTIVE
    assert (billing.stripe_customer_id, billing.stripe_subscription_id) == (CUSTOMER, SUBSCRIPTION)
    assert billing.current_period_start == datetime(2026, 11, 3, 10, 15, 42, tzinfo=UTC)
    assert billing.current_period_end == PERIOD_END
    [changed] = audits(team, "billing.plan_changed")
    assert changed.actor is None
    assert changed.data == {
        "event_id": "evt_1SPq8cLkdIwHu7ixW3nVd0Kc",
        "event_type": "customer.subscription.created",
        "from": "free",
        "to": "pro",
    }
    trigger = WebhookEventTrigger.objects.get()
    assert (trigger.valid, trigger.processed) == (True, True)


def test_subscription_deleted_returns_the_team_to_free_at_the_period_end(
    team: Team, post_event: PostEvent
) -> None:
    subscribe(post_event, team)
    deleted = stripe_event("customer_subscription_deleted", team=team)

    with time_machine.travel(CANCELLED, tick=False):
        response = post_event(deleted)
        assert response.status_code == 200
        # Paid to the period's end: still Pro until then, Free scheduled for it.
        assert plan_for_team(team=team).slug == "pro"
        assert debate_limits_for_team(team=team).max_seats == 8
    billing = account(team)
    assert billing.status == SubscriptionStatus.CANCELED
    assert billing.scheduled_plan == plan("free")
    assert billing.scheduled_at == PERIOD_END
    [scheduled] = audits(team, "billing.plan_change_scheduled")
    assert (scheduled.data["to"], scheduled.data["at"]) == ("free", PERIOD_END.isoformat())

    assert plan_for_team(team=team, now=PERIOD_END - timedelta(seconds=1)).slug == "pro"
    assert plan_for_team(team=team, now=PERIOD_END).slug == "free"
    with time_machine.travel(PERIOD_END + timedelta(minutes=1), tick=False):
        limits = debate_limits_for_team(team=team)
        assert (limits.plan_slug, limits.max_seats, limits.max_rounds) == ("free", 5, 3)

        # The same event again (Stripe redelivers): nothing changes.
        entries = AuditEntry.objects.filter(team=team).count()
        response = post_event(deleted)
        assert response.status_code == 200
    assert AuditEntry.objects.filter(team=team).count() == entries
    assert account(team).scheduled_at == PERIOD_END
    assert StripeEventRecord.objects.filter(event_id=deleted["id"]).count() == 1


def test_a_replayed_event_is_processed_once(team: Team, post_event: PostEvent) -> None:
    event = stripe_event("customer_subscription_created", team=team)
    with time_machine.travel(BOUGHT, tick=False):
        first = post_event(event)
        again = post_event(event)

    assert (first.status_code, again.status_code) == (200, 200)
    assert StripeEventRecord.objects.filter(event_id=event["id"]).count() == 1
    assert len(audits(team, "billing.plan_changed")) == 1
    # Both deliveries are on record, each verified.
    assert WebhookEventTrigger.objects.filter(valid=True, processed=True).count() == 2


def test_a_bad_signature_gets_400_and_changes_nothing(team: Team, post_event: PostEvent) -> None:
    event = stripe_event("customer_subscription_created", team=team)
    with time_machine.travel(BOUGHT, tick=False):
        response = post_event(event, signed_with="whsec_someone_elses_secret")

    assert response.status_code == 400
    assert plan_for_team(team=team).slug == "free"
    assert not BillingAccount.objects.filter(team=team, stripe_customer_id=CUSTOMER).exists()
    assert not StripeEventRecord.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="billing.").exists()
    # The delivery is on record (dj-stripe's admin shows it), marked invalid, and counted.
    assert WebhookEventTrigger.objects.get().valid is False
    assert failures("invalid_signature") == 1


def test_a_signature_over_another_body_or_too_old_gets_400(
    team: Team, post_event: PostEvent, client: Any
) -> None:
    event = stripe_event("customer_subscription_created", team=team)
    genuine = json.dumps(event)
    tampered = genuine.replace('"status": "active"', '"status": "trialing"', 1)
    with time_machine.travel(BOUGHT, tick=False):
        swapped = client.post(
            "/stripe/webhook/",
            data=tampered,
            content_type="application/json",
            headers={"Stripe-Signature": signature(genuine)},
        )
        stale = client.post(
            "/stripe/webhook/",
            data=genuine,
            content_type="application/json",
            # Recorded ten minutes ago: beyond Stripe's five-minute tolerance.
            headers={"Stripe-Signature": signature(genuine, at=int(BOUGHT.timestamp()) - 600)},
        )
        unsigned = client.post("/stripe/webhook/", data=genuine, content_type="application/json")

    assert (swapped.status_code, stale.status_code, unsigned.status_code) == (400, 400, 400)
    assert plan_for_team(team=team).slug == "free"
    assert not StripeEventRecord.objects.exists()


def test_without_a_webhook_secret_nothing_is_accepted(
    team: Team, post_event: PostEvent, settings: Any
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    with time_machine.travel(BOUGHT, tick=False):
        response = post_event(stripe_event("customer_subscription_created", team=team))
    assert response.status_code == 400
    assert plan_for_team(team=team).slug == "free"


def test_payment_failed_starts_a_grace_period_and_a_paid_invoice_ends_it(
    team: Team, post_event: PostEvent
) -> None:
    subscribe(post_event, team)

    with time_machine.travel(RENEWAL_FAILED, tick=False):
        assert post_event(stripe_event("invoice_payment_failed", team=team)).status_code == 200
    billing = account(team)
    assert billing.status == SubscriptionStatus.PAST_DUE
    assert billing.grace_until == RENEWAL_FAILED + timedelta(days=7)
    # The plan holds through the grace period, and ends with it.
    assert plan_for_team(team=team, now=RENEWAL_FAILED + timedelta(days=6)).slug == "pro"
    assert plan_for_team(team=team, now=RENEWAL_FAILED + timedelta(days=7)).slug == "free"
    [grace] = audits(team, "billing.grace_started")
    assert grace.data["event_id"] == "evt_1SaDf3LkdIwHu7ixHn5Tq2Wc"

    with time_machine.travel(RETRY_PAID, tick=False):
        assert post_event(stripe_event("invoice_paid", team=team)).status_code == 200
    billing = account(team)
    assert (billing.status, billing.grace_until) == (SubscriptionStatus.ACTIVE, None)
    assert plan_for_team(team=team, now=RENEWAL_FAILED + timedelta(days=8)).slug == "pro"
    assert len(audits(team, "billing.grace_ended")) == 1


def test_a_failed_payment_without_a_paid_plan_starts_no_grace(
    team: Team, post_event: PostEvent
) -> None:
    put_on_plan(team, "free", status=SubscriptionStatus.NONE)
    with time_machine.travel(RENEWAL_FAILED, tick=False):
        assert post_event(stripe_event("invoice_payment_failed", team=team)).status_code == 200
    assert (account(team).status, account(team).grace_until) == (SubscriptionStatus.NONE, None)


def test_a_second_failure_never_extends_the_grace(team: Team, post_event: PostEvent) -> None:
    subscribe(post_event, team)
    failed = stripe_event("invoice_payment_failed", team=team)
    with time_machine.travel(RENEWAL_FAILED, tick=False):
        post_event(failed)
    retry = copy.deepcopy(failed)
    retry["id"] = "evt_1SbG7jLkdIwHu7ixAttempt2"
    with time_machine.travel(RENEWAL_FAILED + timedelta(days=3), tick=False):
        assert post_event(retry).status_code == 200
    assert account(team).grace_until == RENEWAL_FAILED + timedelta(days=7)


def test_an_upgrade_applies_at_once_and_a_downgrade_at_the_period_end(
    team: Team, post_event: PostEvent
) -> None:
    subscribe(post_event, team)
    upgraded = stripe_event("customer_subscription_updated", team=team)
    with time_machine.travel(CANCELLED, tick=False):
        assert post_event(upgraded).status_code == 200
    assert plan_for_team(team=team).slug == "team"
    assert debate_limits_for_team(team=team).concurrent_debates == 10

    # Back to Pro, in the portal: a cheaper plan waits for the paid period to end.
    downgraded = stripe_event("customer_subscription_created", team=team)
    downgraded["id"] = "evt_1SVb9QLkdIwHu7ixDowngrade"
    downgraded["type"] = "customer.subscription.updated"
    downgraded["created"] = upgraded["created"] + 60
    with time_machine.travel(CANCELLED + timedelta(minutes=1), tick=False):
        assert post_event(downgraded).status_code == 200
        assert plan_for_team(team=team).slug == "team"
    billing = account(team)
    assert billing.scheduled_plan == plan("pro")
    assert billing.scheduled_at == PERIOD_END
    assert plan_for_team(team=team, now=PERIOD_END).slug == "pro"


def test_an_older_subscription_event_arriving_late_changes_nothing(
    team: Team, post_event: PostEvent
) -> None:
    with time_machine.travel(CANCELLED, tick=False):
        upgraded = post_event(stripe_event("customer_subscription_updated", team=team))
        assert upgraded.status_code == 200
        # customer.subscription.created (3 November) delivered after the update (20th).
        late = post_event(stripe_event("customer_subscription_created", team=team))
    assert late.status_code == 200
    assert plan_for_team(team=team).slug == "team"
    assert StripeEventRecord.objects.get(event_id="evt_1SPq8cLkdIwHu7ixW3nVd0Kc").outcome == "stale"


def test_a_subscription_without_team_metadata_is_matched_by_its_customer(
    team: Team, post_event: PostEvent
) -> None:
    BillingAccount.objects.create(team=team, stripe_customer_id=CUSTOMER)
    event = stripe_event("customer_subscription_created", team=team)
    event["data"]["object"]["metadata"] = {}
    with time_machine.travel(BOUGHT, tick=False):
        assert post_event(event).status_code == 200
    assert plan_for_team(team=team).slug == "pro"


def test_an_event_about_no_team_of_ours_is_acknowledged_and_ignored(
    team: Team, post_event: PostEvent
) -> None:
    event = stripe_event("customer_subscription_created", team=team)
    event["data"]["object"]["metadata"] = {"team_id": "not-one-of-ours"}
    event["data"]["object"]["customer"] = "cus_SomeoneElse00"
    with time_machine.travel(BOUGHT, tick=False):
        assert post_event(event).status_code == 200
    assert StripeEventRecord.objects.get(event_id=event["id"]).outcome == "no_team"
    assert plan_for_team(team=team).slug == "free"


def test_a_price_of_no_plan_fails_the_delivery_so_stripe_retries_it(
    team: Team, post_event: PostEvent, settings: Any
) -> None:
    settings.STRIPE_PRICE_IDS = {}
    event = stripe_event("customer_subscription_created", team=team)
    with time_machine.travel(BOUGHT, tick=False), capture_logs() as logs:
        failed = post_event(event)
    assert failed.status_code == 500
    [logged] = [log for log in logs if log["event"] == "billing.webhook_failed"]
    assert (logged["event_type"], logged["error"]) == (
        "customer.subscription.created",
        "UnknownPrice",
    )
    assert plan_for_team(team=team).slug == "free"
    assert not StripeEventRecord.objects.exists()  # rolled back: the retry is not a duplicate
    assert failures("customer.subscription.created") == 1
    assert "price_1SPq1aLkdIwHu7ixPro0Mnth" in WebhookEventTrigger.objects.get().exception

    settings.STRIPE_PRICE_IDS = {"pro": "price_1SPq1aLkdIwHu7ixPro0Mnth"}
    with time_machine.travel(BOUGHT + timedelta(minutes=1), tick=False):
        assert post_event(event).status_code == 200
    assert plan_for_team(team=team).slug == "pro"


def test_checkout_completed_links_the_customer_and_applies_its_subscription(
    team: Team, post_event: PostEvent
) -> None:
    put_on_plan(team, "free", status=SubscriptionStatus.NONE)
    with (
        time_machine.travel(BOUGHT, tick=False),
        stripe_vcr.use_cassette("subscription_retrieve.yaml") as cassette,
    ):
        response = post_event(stripe_event("checkout_session_completed", team=team))
    assert response.status_code == 200
    assert cassette.all_played
    billing = account(team)
    assert (billing.stripe_customer_id, billing.stripe_subscription_id) == (CUSTOMER, SUBSCRIPTION)
    assert plan_for_team(team=team).slug == "pro"
    assert StripeEventRecord.objects.get().outcome == "upgraded"
