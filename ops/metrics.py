"""Counters in one-minute buckets, shared by every process (they live in the database).

Callers count by name and label (`safety.pii_redacted` / `email`); ops shows what was counted
and knows nothing of who counts. Windows are read by summing the buckets they cover.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from ops.models import MetricBucket

BUCKET = timedelta(minutes=1)
WINDOWS: Mapping[str, timedelta] = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}


def bucket_start(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def metric_increment(
    *, name: str, label: str = "", amount: int = 1, at: datetime | None = None
) -> None:
    """Add `amount` to the counter `name`/`label` in the bucket of `at` (now)."""
    if amount <= 0:
        return
    bucket = bucket_start(at or timezone.now())
    counter = MetricBucket.objects.filter(name=name, label=label, bucket=bucket)
    if counter.update(count=F("count") + amount):
        return
    try:
        with transaction.atomic():
            MetricBucket.objects.create(name=name, label=label, bucket=bucket, count=amount)
    except IntegrityError:  # another process created the bucket first
        counter.update(count=F("count") + amount)


def metric_add_many(*, name: str, counts: Mapping[str, int], at: datetime | None = None) -> None:
    """Count several labels of one metric at once (e.g. redactions by kind)."""
    for label, amount in counts.items():
        metric_increment(name=name, label=label, amount=amount, at=at)


def metric_totals(*, name: str, since: datetime) -> dict[str, int]:
    """The counts of `name` since `since`, by label."""
    rows = (
        MetricBucket.objects.filter(name=name, bucket__gte=bucket_start(since))
        .values("label")
        .annotate(total=Sum("count"))
        .order_by("label")
    )
    return {row["label"]: row["total"] for row in rows}


def metric_windows(
    *, name: str, labels: Iterable[str] = (), now: datetime | None = None
) -> list[tuple[str, dict[str, int]]]:
    """(label, {window: count}) for every label seen in the widest window, plus `labels`."""
    now = now or timezone.now()
    by_window = {
        window: metric_totals(name=name, since=now - span) for window, span in WINDOWS.items()
    }
    seen = sorted(set(labels) | set(by_window["week"]))
    return [
        (label, {window: by_window[window].get(label, 0) for window in WINDOWS}) for label in seen
    ]
