"""Stripe webhooks: dj-stripe's delivery log and signature check, our event handling.

Every delivery is recorded as dj-stripe's `WebhookEventTrigger` (valid, processed, exception
and traceback: browsable in dj-stripe's admin) against a `WebhookEndpoint` row kept in step
with the settings (STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_VERIFY), and verified by
dj-stripe's own check (Stripe's signature scheme, with its replay tolerance). A verified event
then goes to `billing.subscriptions.stripe_event_apply`.

Why not dj-stripe's view (`djstripe.urls`, one `stripe/webhook/<uuid>/` URL per endpoint row)
and its event handlers: they re-fetch every object from Stripe's API to mirror it (one or
more calls per event, plus the account), inside the same transaction, and know nothing of
teams; the only hook that skips them, DJSTRIPE_WEBHOOK_EVENT_CALLBACK, is deprecated (a system
check warns on every command). Ours read the signed payload, so a webhook needs no other round
trip (a completed checkout reads the subscription it created) and the tests no network.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from traceback import format_exc
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from djstripe.enums import WebhookEndpointValidation
from djstripe.models import WebhookEndpoint, WebhookEventTrigger

from billing.subscriptions import EventResult, stripe_event_apply
from ops.metrics import metric_increment

logger = structlog.get_logger(__name__)

# The local endpoint row that mirrors the settings (not an object on Stripe's side).
SETTINGS_ENDPOINT_ID = "we_consultation_settings"


def webhook_configured() -> bool:
    """A webhook can be verified (a secret is set), or verification is off (DEBUG only:
    consultation.checks refuses it elsewhere)."""
    return bool(settings.STRIPE_WEBHOOK_SECRET) or not settings.STRIPE_WEBHOOK_VERIFY


@transaction.atomic
def webhook_endpoint_sync() -> WebhookEndpoint:
    """The endpoint row our webhook records deliveries against, created or updated from the
    settings."""
    validation = (
        WebhookEndpointValidation.verify_signature
        if settings.STRIPE_WEBHOOK_VERIFY
        else WebhookEndpointValidation.none
    )
    wanted: dict[str, Any] = {
        "secret": settings.STRIPE_WEBHOOK_SECRET,
        "djstripe_validation_method": validation,
        "livemode": settings.STRIPE_LIVE_MODE,
    }
    endpoint = WebhookEndpoint.objects.select_for_update().filter(id=SETTINGS_ENDPOINT_ID).first()
    if endpoint is None:
        return WebhookEndpoint.objects.create(
            id=SETTINGS_ENDPOINT_ID,
            url=f"{settings.SITE_URL}/stripe/webhook/",
            enabled_events=["*"],
            status="enabled",
            metadata={"mirrors": "STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_VERIFY"},
            **wanted,
        )
    stale = {name: value for name, value in wanted.items() if getattr(endpoint, name) != value}
    if stale:
        for name, value in stale.items():
            setattr(endpoint, name, value)
        endpoint.save(update_fields=list(stale))
    return endpoint


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery's outcome: `valid` false means a bad signature (answer 400)."""

    valid: bool
    trigger_id: int
    result: EventResult | None = None
    # Applying the event failed (rolled back): answer 500, Stripe delivers it again.
    failed: bool = False


def webhook_receive(*, body: str, headers: Mapping[str, str], remote_ip: str) -> Delivery:
    """Record a delivery, verify its signature, apply the event. A failure to apply it is
    recorded on the delivery (its traceback too), logged and counted: the answer is a 500
    and Stripe delivers the event again."""
    endpoint = webhook_endpoint_sync()
    trigger = WebhookEventTrigger.objects.create(
        headers=dict(headers), body=body, remote_ip=remote_ip, webhook_endpoint=endpoint
    )
    trigger.valid = trigger.validate(secret=endpoint.secret, api_key="")
    if not trigger.valid:
        trigger.save(update_fields=["valid", "updated"])
        # The body is unverified: its type is a claim, not counted as an event type.
        logger.warning(
            "billing.webhook_failed",
            reason="invalid_signature",
            trigger_id=trigger.pk,
            claimed_type=_event_type(trigger.json_body),
        )
        metric_increment(name="billing.webhook_failed", label="invalid_signature")
        return Delivery(valid=False, trigger_id=trigger.pk)
    event = trigger.json_body
    try:
        result = stripe_event_apply(event=event)
    except Exception as error:  # whatever it was, Stripe must retry: answer 500, keep the trace
        trigger.exception = str(error)[:128]
        trigger.traceback = format_exc()
        trigger.save(update_fields=["valid", "exception", "traceback", "updated"])
        logger.exception(
            "billing.webhook_failed",
            reason="processing_error",
            event_id=event.get("id") if isinstance(event, Mapping) else None,
            event_type=_event_type(event),
            error=type(error).__name__,
        )
        metric_increment(name="billing.webhook_failed", label=_event_type(event))
        return Delivery(valid=True, trigger_id=trigger.pk, failed=True)
    trigger.processed = True
    trigger.save(update_fields=["valid", "processed", "updated"])
    return Delivery(valid=True, trigger_id=trigger.pk, result=result)


def _event_type(body: Any) -> str:
    return str(body.get("type") or "") if isinstance(body, Mapping) else ""
