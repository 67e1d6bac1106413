"""The Ops page's figures for Prometheus (PROMETHEUS_ENABLED): /metrics serves
prometheus-client's registry (its process metrics), and this collector adds ours, read from
the database at each scrape so every process's counts are included.

They are gauges over windows (last 24 h, last 5 min), not monotonic counters: the counts
live in one-minute buckets that retention deletes, so a lifetime total cannot be read back.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ops.health import provider_health
from ops.models import CircuitState, MetricBucket

CIRCUIT_VALUES = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}


_FAMILIES = (
    "consultation_events_last_24h",
    "consultation_provider_calls_last_5m",
    "consultation_provider_errors_last_5m",
    "consultation_provider_latency_p95_ms_last_1h",
    "consultation_circuit_state",
)


class OpsCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        """The names, without the data: registering must not query the database (it runs
        in AppConfig.ready, before any migration)."""
        for name in _FAMILIES:
            yield GaugeMetricFamily(name, name)

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        counters = GaugeMetricFamily(
            "consultation_events_last_24h",
            "Counts recorded by name and label over the last 24 hours (ops.metrics).",
            labels=["name", "label"],
        )
        totals: dict[tuple[str, str], int] = {}
        for name, label, count in MetricBucket.objects.filter(
            bucket__gte=now - timedelta(hours=24)
        ).values_list("name", "label", "count"):
            totals[(name, label)] = totals.get((name, label), 0) + count
        for (name, label), count in sorted(totals.items()):
            counters.add_metric([name, label], count)
        yield counters

        labels = ["provider", "model"]
        calls = GaugeMetricFamily(
            "consultation_provider_calls_last_5m", "Model calls in 5 minutes.", labels=labels
        )
        errors = GaugeMetricFamily(
            "consultation_provider_errors_last_5m",
            "Failed model calls in 5 minutes.",
            labels=labels,
        )
        p95 = GaugeMetricFamily(
            "consultation_provider_latency_p95_ms_last_1h",
            "p95 latency of model calls over 1 hour (ms).",
            labels=labels,
        )
        circuit = GaugeMetricFamily(
            "consultation_circuit_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
            labels=labels,
        )
        for row in provider_health(now=now):
            key = [row.provider, row.model]
            calls.add_metric(key, row.windows["5m"].calls)
            errors.add_metric(key, row.windows["5m"].errors)
            latency = row.windows["1h"].p95_ms
            if latency is not None:
                p95.add_metric(key, latency)
            circuit.add_metric(key, CIRCUIT_VALUES.get(CircuitState(row.circuit_state), 0))
        yield from (calls, errors, p95, circuit)
