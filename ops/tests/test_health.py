"""Per-minute provider aggregates: histograms merge across minutes and writers, percentiles
read from them, error rates over the windows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.health import (
    BINS,
    LATENCY_BOUNDS_MS,
    CallSample,
    percentile,
    provider_health,
    provider_stats_record,
)
from ops.models import ProviderStat

pytestmark = pytest.mark.django_db


def sample(
    latency_ms: int, *, ok: bool = True, minutes_ago: int = 0, **extra: object
) -> CallSample:
    return CallSample(
        provider="openai",
        model="gpt-x",
        ok=ok,
        latency_ms=latency_ms,
        at=timezone.now() - timedelta(minutes=minutes_ago),
        error_code="" if ok else "provider_timeout",
        **extra,  # type: ignore[arg-type]
    )


def test_percentile_interpolates_within_a_bin() -> None:
    hist = [0] * BINS
    hist[LATENCY_BOUNDS_MS.index(1000)] = 10  # ten calls between 750 and 1000 ms
    assert percentile(hist, 0.5) == 875
    assert percentile(hist, 1.0) == 1000
    assert percentile([0] * BINS, 0.5) is None
    slow = [0] * BINS
    slow[-1] = 1
    assert percentile(slow, 0.95) == LATENCY_BOUNDS_MS[-1]


def test_calls_of_one_minute_share_a_row_and_add_up_across_writers() -> None:
    provider_stats_record(samples=[sample(120), sample(80, ttft_ms=30)])
    provider_stats_record(samples=[sample(5000, ok=False)], retries={("openai", "gpt-x"): 1})
    [row] = ProviderStat.objects.all()
    assert row.calls == 3
    assert row.errors == 1
    assert row.errors_by_kind == {"provider_timeout": 1}
    assert row.retries == 1
    assert sum(row.latency_hist) == 3
    assert row.ttft_count == 1
    assert row.latency_sum_ms == 5200


def test_windows_sum_their_minutes() -> None:
    provider_stats_record(
        samples=[sample(100, ok=False, minutes_ago=2), sample(100, minutes_ago=30)]
        + [sample(2000, minutes_ago=600) for _ in range(18)]
    )
    [health] = provider_health()
    assert (health.windows["5m"].calls, health.windows["5m"].error_rate) == (1, 1.0)
    assert health.windows["1h"].calls == 2
    assert health.windows["24h"].calls == 20
    # Interpolated inside the 1500-2000 ms bin where those 18 calls fell.
    assert 1500 < (health.windows["24h"].p95_ms or 0) <= 2000
    assert health.windows["1h"].p50_ms == 75  # halfway through the 50-100 ms bin
