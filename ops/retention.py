"""Retention of ops' own records: counters, provider calls and their per-minute figures older
than RETAIN_METRICS_DAYS are deleted. The caller (debates.services.retention) audits it."""

from datetime import datetime

from django.db import transaction

from ops.models import MetricBucket, ProviderCall, ProviderStat


@transaction.atomic
def ops_purge(*, before: datetime, dry_run: bool = False) -> dict[str, int]:
    """Delete (or, dry, count) what ops recorded before `before`, by kind."""
    targets = {
        "metric_buckets": MetricBucket.objects.filter(bucket__lt=before),
        "provider_stats": ProviderStat.objects.filter(bucket__lt=before),
        "provider_calls": ProviderCall.objects.filter(created_at__lt=before),
    }
    if dry_run:
        return {name: rows.count() for name, rows in targets.items()}
    return {name: rows.delete()[0] for name, rows in targets.items()}
