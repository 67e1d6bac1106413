"""Retention and erasure of Stripe's webhook deliveries: dj-stripe's `WebhookEventTrigger`
rows (each delivery's raw body and headers, customers' names and e-mail addresses among them)
older than RETAIN_WEBHOOKS_DAYS are deleted (debates.services.retention audits it), and so are
those that name someone whose account is deleted (privacy.services.account_delete). What an
event changed stays where it was applied (the team's billing account, its usage); Stripe keeps
its own copy of every event."""

from datetime import datetime

from djstripe.models import WebhookEventTrigger


def webhook_deliveries_purge(*, before: datetime, dry_run: bool = False) -> int:
    """Delete (or, dry, count) the webhook deliveries received before `before`."""
    deliveries = WebhookEventTrigger.objects.filter(created__lt=before)
    # dj-stripe's models are untyped: the counts come back as Any.
    return int(deliveries.count() if dry_run else deliveries.delete()[0])


def webhook_deliveries_erase(*, email: str) -> int:
    """Delete the webhook deliveries whose body holds `email` (any case): a deleted account's
    address must not wait out the retention period in them."""
    if not email:
        return 0
    return int(WebhookEventTrigger.objects.filter(body__icontains=email).delete()[0])
