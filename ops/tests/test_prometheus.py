"""The optional Prometheus endpoint's own figures: the Ops page's counters, as gauges."""

from typing import Any

import pytest
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest

from ops.breaker import breaker_acquire, breaker_record
from ops.health import CallSample, provider_stats_record
from ops.metrics import metric_increment
from ops.prometheus import OpsCollector

pytestmark = pytest.mark.django_db


def test_the_collector_exposes_counters_provider_figures_and_circuits() -> None:
    metric_increment(name="ratelimit.hit", label="free", amount=4)
    provider_stats_record(
        samples=[
            CallSample(provider="openai", model="gpt-x", ok=True, latency_ms=420, at=timezone.now())
        ]
    )
    breaker_record(
        permit=breaker_acquire(provider="openai", model="gpt-x"), ok=False, error_code="boom"
    )
    registry = CollectorRegistry()
    registry.register(OpsCollector())
    text = generate_latest(registry).decode()
    assert 'consultation_events_last_24h{label="free",name="ratelimit.hit"} 4.0' in text
    assert 'consultation_provider_calls_last_5m{model="gpt-x",provider="openai"} 2.0' in text
    assert 'consultation_provider_errors_last_5m{model="gpt-x",provider="openai"} 1.0' in text
    assert 'consultation_circuit_state{model="gpt-x",provider="openai"} 0.0' in text
    assert "consultation_provider_latency_p95_ms_last_1h" in text


def test_registering_the_collector_reads_no_database(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        CollectorRegistry().register(OpsCollector())


def test_the_metrics_view_serves_the_default_registry_in_prometheus_text(rf: Any) -> None:
    from prometheus_client import CONTENT_TYPE_LATEST

    from consultation.views import metrics

    response = metrics(rf.get("/metrics"))
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE_LATEST
    assert "python_info" in response.content.decode()
