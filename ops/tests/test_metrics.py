"""Counters in minute buckets and their windows; the admin page that shows them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from ops.metrics import metric_add_many, metric_increment, metric_windows
from ops.models import MetricBucket

pytestmark = pytest.mark.django_db


def test_increments_in_one_minute_share_a_bucket() -> None:
    now = timezone.now().replace(second=10)
    metric_increment(name="safety.pii_redacted", label="email", at=now)
    metric_increment(
        name="safety.pii_redacted", label="email", amount=2, at=now + timedelta(seconds=30)
    )
    metric_increment(name="safety.pii_redacted", label="email", at=now + timedelta(minutes=1))
    assert list(MetricBucket.objects.order_by("bucket").values_list("count", flat=True)) == [3, 1]


def test_nothing_is_counted_for_zero() -> None:
    metric_increment(name="x", amount=0)
    assert not MetricBucket.objects.exists()


def test_windows_sum_the_buckets_they_cover() -> None:
    now = timezone.now()
    metric_add_many(name="m", counts={"email": 2, "phone": 1}, at=now - timedelta(minutes=5))
    metric_increment(name="m", label="email", amount=10, at=now - timedelta(hours=3))
    metric_increment(name="m", label="phone", amount=100, at=now - timedelta(days=3))
    metric_increment(name="m", label="old", amount=7, at=now - timedelta(days=9))
    assert metric_windows(name="m", labels=["card"], now=now) == [
        ("card", {"hour": 0, "day": 0, "week": 0}),
        ("email", {"hour": 2, "day": 12, "week": 12}),
        ("phone", {"hour": 1, "day": 1, "week": 101}),
    ]


def test_admin_shows_the_windows_and_the_flags(staff: User) -> None:
    metric_add_many(name="safety.pii_redacted", counts={"email": 4})
    client = Client()
    client.force_login(staff)
    html = client.get("/admin/ops/metricbucket/").content.decode()
    assert "Personal data redacted" in html
    assert "<td>email</td><td>4</td><td>4</td><td>4</td>" in html
    assert "SAFETY_INJECTION_MODE" in html


def test_admin_metrics_are_for_staff_only(owner_client: Client) -> None:
    assert owner_client.get("/admin/ops/metricbucket/").status_code == 302
