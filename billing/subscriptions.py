"""A team's plan from its Stripe subscription: the webhook events that change the team's
BillingAccount (starting a checkout or the portal: billing.checkout).

The rules:
- an upgrade (a dearer plan) applies at once;
- a downgrade (a cheaper price, a cancellation at the period's end, a deleted subscription)
  is scheduled for the end of the paid period (`scheduled_plan`, `scheduled_at`);
- a failed payment starts a grace period (`BILLING_GRACE_DAYS`): the plan holds, every page
  says so, and a paid invoice ends it;
- each event applies once (its id is recorded), and a subscription event older than one
  already applied for the same subscription changes nothing (Stripe does not promise order).

Every change writes an audit entry (actor None: Stripe did it) carrying the event's id.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Team, User
from accounts.services import audit_record
from billing import stripe as stripe_client
from billing.limits import default_plan
from billing.models import BillingAccount, Plan, StripeEventRecord, SubscriptionStatus
from billing.offers import plan_for_price
from billing.services import billing_account_ensure
from billing.stripe_objects import (
    StripeObject,
    Subscription,
    invoice_subscription,
    object_id,
    timestamp,
)

logger = structlog.get_logger(__name__)

SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)
# Stripe statuses that keep the subscription's plan (past_due: during the grace period).
GRANTING = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.TRIALING,
    "past_due": SubscriptionStatus.PAST_DUE,
}
# The subscription is over: the default plan from the period's end.
ENDED = frozenset({"canceled", "incomplete_expired"})
# Stripe stopped collecting without cancelling: the plan ends at once.
STOPPED = frozenset({"unpaid", "paused"})


class UnknownPrice(LookupError):
    """A subscription's price is no plan's: the webhook fails (500), so Stripe retries it
    after STRIPE_PRICE_IDS (or the plan's price id in admin) is fixed."""


def _team_for(*, team_id: str, customer_id: str) -> Team | None:
    """The team an event is about: the team id we sent to Stripe, else the Stripe customer
    we know it by."""
    if team_id:
        try:
            team = Team.objects.filter(pk=team_id).first()
        except ValidationError:  # not a UUID: some other system's metadata
            team = None
        if team is not None:
            return team
    if customer_id:
        account = (
            BillingAccount.objects.select_related("team")
            .filter(stripe_customer_id=customer_id)
            .first()
        )
        if account is not None:
            return account.team
    return None


def _locked_account(team: Team) -> BillingAccount:
    billing_account_ensure(team=team)
    # Lock the account row only: PostgreSQL refuses FOR UPDATE on the nullable side of the
    # outer joins that select_related makes for the optional plans.
    return (
        BillingAccount.objects.select_for_update(of=("self",))
        .select_related("plan", "scheduled_plan")
        .get(team=team)
    )


# --- Changing the account ----------------------------------------------------------------------


@dataclass(frozen=True)
class _State:
    plan: str
    scheduled_plan: str | None
    scheduled_at: datetime | None
    status: str
    grace_until: datetime | None


def _state(account: BillingAccount) -> _State:
    return _State(
        plan=(account.plan or default_plan()).slug,
        scheduled_plan=account.scheduled_plan.slug if account.scheduled_plan else None,
        scheduled_at=account.scheduled_at,
        status=account.status,
        grace_until=account.grace_until,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _audit_changes(
    account: BillingAccount, before: _State, *, event_id: str, event_type: str
) -> list[str]:
    """One audit entry per kind of change; returns the actions written."""
    after = _state(account)
    base = {"event_id": event_id, "event_type": event_type}
    entries: list[tuple[str, dict[str, Any]]] = []
    if after.plan != before.plan:
        entries.append(("billing.plan_changed", {"from": before.plan, "to": after.plan}))
    if (after.scheduled_plan, after.scheduled_at) != (before.scheduled_plan, before.scheduled_at):
        entries.append(
            (
                "billing.plan_change_scheduled",
                {
                    "from": after.plan,
                    "to": after.scheduled_plan,
                    "at": _iso(after.scheduled_at),
                    "previously": before.scheduled_plan,
                },
            )
        )
    if after.status != before.status:
        entries.append(("billing.status_changed", {"from": before.status, "to": after.status}))
    if after.grace_until != before.grace_until:
        action = "billing.grace_started" if after.grace_until else "billing.grace_ended"
        entries.append((action, {"until": _iso(after.grace_until or before.grace_until)}))
    for action, data in entries:
        audit_record(actor=None, action=action, team=account.team, target=account, data=base | data)
    return [action for action, _data in entries]


def _rank(plan: Plan) -> tuple[Any, int]:
    return (plan.price_usd, plan.sort_order)


def _settle_due_schedule(account: BillingAccount, now: datetime) -> None:
    """A scheduled downgrade whose date has passed becomes the plan."""
    if account.scheduled_plan is not None and account.scheduled_at and account.scheduled_at <= now:
        account.plan = account.scheduled_plan
        account.scheduled_plan = None
        account.scheduled_at = None


def _schedule(account: BillingAccount, plan: Plan, at: datetime) -> None:
    account.scheduled_plan = plan
    account.scheduled_at = at


def _unschedule(account: BillingAccount) -> None:
    account.scheduled_plan = None
    account.scheduled_at = None


def _grace_start(account: BillingAccount, now: datetime) -> None:
    """Past due: the plan holds until the grace period ends. A later failure (Stripe's
    retries) never extends it."""
    account.status = SubscriptionStatus.PAST_DUE
    if account.grace_until is None:
        account.grace_until = now + timedelta(days=settings.BILLING_GRACE_DAYS)


def _subscription_apply(
    account: BillingAccount, sub: Subscription, *, deleted: bool, now: datetime
) -> str:
    """Bring the account in line with one state of its Stripe subscription."""
    _settle_due_schedule(account, now)
    ending = deleted or sub.status in ENDED or sub.status in STOPPED
    other = bool(account.stripe_subscription_id) and account.stripe_subscription_id != sub.id
    if other and (ending or sub.status not in GRANTING):
        # A replaced subscription's leftovers: the team's current one stands.
        return "other_subscription"
    if sub.customer:
        account.stripe_customer_id = sub.customer
    account.stripe_subscription_id = sub.id
    if sub.period_start and sub.period_end:
        account.current_period_start = sub.period_start
        account.current_period_end = sub.period_end
    free = default_plan()
    if ending:
        # Paid up: the plan lasts to the end of the paid period. Unpaid: it ends now.
        unpaid = account.status == SubscriptionStatus.PAST_DUE or sub.status in STOPPED
        ends = now if unpaid or sub.period_end is None else max(sub.period_end, now)
        if (account.plan or free).pk != free.pk:
            _schedule(account, free, ends)
        account.status = SubscriptionStatus.CANCELED
        account.grace_until = None
        return "ended"
    if sub.status not in GRANTING:  # incomplete: the first payment is not through yet
        return "pending"
    plan = plan_for_price(sub.price_id)
    if plan is None:
        raise UnknownPrice(f"No plan is sold at Stripe price {sub.price_id!r}.")
    current = account.plan or free
    if _rank(plan) > _rank(current):
        account.plan = plan  # an upgrade: at once
        _unschedule(account)
        outcome = "upgraded"
    elif plan.pk == current.pk:
        _unschedule(account)  # renewed, or a scheduled change was taken back
        outcome = "unchanged"
    else:
        _schedule(account, plan, sub.period_end or now)
        outcome = "downgrade_scheduled"
    if sub.cancel_at is not None:  # cancels at the period's end: the default plan from then
        _schedule(account, free, max(sub.cancel_at, now))
        outcome = "cancel_scheduled"
    account.status = GRANTING[sub.status]
    if account.status == SubscriptionStatus.PAST_DUE:
        _grace_start(account, now)
    else:
        account.grace_until = None
    return outcome


def _is_stale(sub_id: str, created: datetime) -> bool:
    """A newer event about the same subscription was applied already."""
    return StripeEventRecord.objects.filter(
        object_id=sub_id, event_type__in=SUBSCRIPTION_EVENTS, stripe_created__gt=created
    ).exists()


# What a handler did: the team, an outcome word, and the changed account with its state
# before (None when nothing changed).
Handled = tuple[Team | None, str, tuple[BillingAccount, _State] | None]


@dataclass(frozen=True)
class EventResult:
    event_id: str
    event_type: str
    team_id: str | None
    outcome: str
    changes: tuple[str, ...] = ()


def _on_subscription(event: StripeObject, obj: StripeObject, created: datetime) -> Handled:
    sub = Subscription.parse(obj)
    team = _team_for(team_id=sub.team_id, customer_id=sub.customer)
    if team is None:
        return None, "no_team", None
    if _is_stale(sub.id, created):
        return team, "stale", None
    account = _locked_account(team)
    before = _state(account)
    deleted = event["type"] == "customer.subscription.deleted"
    outcome = _subscription_apply(account, sub, deleted=deleted, now=timezone.now())
    return team, outcome, (account, before)


def _on_checkout_completed(event: StripeObject, obj: StripeObject, created: datetime) -> Handled:
    if obj.get("mode") != "subscription":
        return None, "ignored", None
    team_id = str(
        obj.get("client_reference_id") or (obj.get("metadata") or {}).get("team_id") or ""
    )
    customer_id = object_id(obj.get("customer"))
    team = _team_for(team_id=team_id, customer_id=customer_id)
    if team is None:
        return None, "no_team", None
    account = _locked_account(team)
    before = _state(account)
    subscription_id = object_id(obj.get("subscription"))
    if customer_id:
        account.stripe_customer_id = customer_id
    outcome = "linked"
    if subscription_id:
        # The session names the subscription but not its price: read it (the
        # customer.subscription.created event may have come first, or may come later).
        if isinstance(obj.get("subscription"), Mapping):
            data: StripeObject = obj["subscription"]
        else:
            data = stripe_client.subscription_retrieve(subscription_id=subscription_id)
        # Retrieved now, it is the subscription's latest state: never stale.
        sub = Subscription.parse(data)
        outcome = _subscription_apply(account, sub, deleted=False, now=timezone.now())
    return team, outcome, (account, before)


def _on_invoice(event: StripeObject, obj: StripeObject, created: datetime) -> Handled:
    subscription_id, team_id = invoice_subscription(obj)
    team = _team_for(team_id=team_id, customer_id=object_id(obj.get("customer")))
    if team is None:
        return None, "no_team", None
    account = _locked_account(team)
    if subscription_id and account.stripe_subscription_id not in ("", subscription_id):
        return team, "other_subscription", None
    before = _state(account)
    now = timezone.now()
    if event["type"] == "invoice.payment_failed":
        if (account.plan or default_plan()).pk == default_plan().pk:
            return team, "nothing_to_hold", None  # no paid plan: no grace, no banner
        _grace_start(account, now)
        outcome = "grace"
    else:  # invoice.paid
        if account.status == SubscriptionStatus.PAST_DUE:
            account.status = SubscriptionStatus.ACTIVE
        account.grace_until = None
        outcome = "paid"
    return team, outcome, (account, before)


HANDLERS: dict[str, Callable[[StripeObject, StripeObject, datetime], Handled]] = {
    "checkout.session.completed": _on_checkout_completed,
    "customer.subscription.created": _on_subscription,
    "customer.subscription.updated": _on_subscription,
    "customer.subscription.deleted": _on_subscription,
    "invoice.paid": _on_invoice,
    "invoice.payment_failed": _on_invoice,
}


@transaction.atomic
def stripe_event_apply(*, event: StripeObject) -> EventResult:
    """Apply one verified Stripe event to the team it is about, once.

    Redelivered events (the same id) change nothing; unknown event types and events about no
    team of ours are recorded and ignored. Raises (and records nothing) when the event cannot
    be applied, so Stripe delivers it again."""
    event_id, event_type = str(event["id"]), str(event["type"])
    obj: StripeObject = event["data"]["object"]
    created = timestamp(event.get("created")) or timezone.now()
    try:
        with transaction.atomic():
            record = StripeEventRecord.objects.create(
                event_id=event_id,
                event_type=event_type,
                object_id=str(obj.get("id") or ""),
                stripe_created=created,
            )
    except IntegrityError:
        result = EventResult(event_id, event_type, None, "duplicate")
        logger.info("billing.webhook_processed", **_log_fields(result))
        return result
    handler = HANDLERS.get(event_type)
    team, outcome, change = (
        handler(event, obj, created) if handler is not None else (None, "ignored", None)
    )
    changes: list[str] = []
    if change is not None:
        account, before = change
        account.save()
        changes = _audit_changes(account, before, event_id=event_id, event_type=event_type)
    record.team = team
    record.outcome = outcome
    record.save(update_fields=["team", "outcome"])
    result = EventResult(
        event_id, event_type, str(team.pk) if team else None, outcome, tuple(changes)
    )
    logger.info("billing.webhook_processed", **_log_fields(result))
    return result


def _log_fields(result: EventResult) -> dict[str, Any]:
    return {
        "event_id": result.event_id,
        "event_type": result.event_type,
        "team_id": result.team_id,
        "outcome": result.outcome,
        "changes": list(result.changes),
    }


# --- Cancelling ----------------------------------------------------------------------------------


def subscription_cancel_for_team(*, team: Team, actor: User | None, reason: str) -> bool:
    """Cancel the team's Stripe subscription at the end of the paid period, and audit it.
    False when there is nothing to cancel (no subscription, or one already over). The plan
    itself changes when Stripe's webhook about the cancellation arrives, as for a
    cancellation in Stripe's portal. Not atomic on purpose: no transaction is held open while
    Stripe answers; the audit entry is written once Stripe has."""
    account = BillingAccount.objects.filter(team=team).first()
    if (
        account is None
        or not account.stripe_subscription_id
        or account.status in (SubscriptionStatus.NONE, SubscriptionStatus.CANCELED)
    ):
        return False
    if not stripe_client.billing_configured():
        # A subscription id with no key to reach Stripe: nothing this server can cancel.
        logger.warning("billing_cancel_skipped", team_id=str(team.pk), reason="not_configured")
        return False
    stripe_client.subscription_cancel_at_period_end(subscription_id=account.stripe_subscription_id)
    audit_record(
        actor=actor,
        action="billing.cancel_requested",
        team=team,
        target=account,
        data={"subscription": account.stripe_subscription_id, "reason": reason},
    )
    logger.info("billing.cancel_requested", team_id=str(team.pk), reason=reason)
    return True


# --- Staff -------------------------------------------------------------------------------------


@transaction.atomic
def billing_account_admin_save(
    *, actor: User, account: BillingAccount, fields: list[str]
) -> BillingAccount:
    """Save staff's edit of an account (admin), with an audit entry of what changed."""
    before = BillingAccount.objects.select_related("plan", "scheduled_plan").get(pk=account.pk)
    account.save()
    changes = {
        name: {"from": _plain(getattr(before, name)), "to": _plain(getattr(account, name))}
        for name in fields
    }
    if changes:
        audit_record(
            actor=actor,
            action="billing.account_edited",
            team=account.team,
            target=account,
            data={"changes": changes},
        )
    return account


def _plain(value: Any) -> Any:
    if isinstance(value, Plan):
        return value.slug
    if isinstance(value, datetime):
        return value.isoformat()
    return value
