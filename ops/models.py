"""Operational records, kept by name (provider, model) so ops knows no domain app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderCall(models.Model):
    """One call to a model provider: the sliding window of the circuit breaker and the health
    figures in admin are computed from these rows."""

    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=120)
    # Whose credentials made the call: "" for the platform's keys, "team:<id>" for a team's own
    # (its breaker is its own, so a bad team key never opens the platform's breaker).
    scope = models.CharField(max_length=64, blank=True, default="")
    ok = models.BooleanField()
    error_code = models.CharField(max_length=64, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    # Time to the first streamed token; NULL for a call that did not stream.
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["provider", "model", "scope", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.provider}:{self.model} {'ok' if self.ok else self.error_code}"


class CircuitState(models.TextChoices):
    CLOSED = "closed", _("Closed")
    OPEN = "open", _("Open")
    HALF_OPEN = "half_open", _("Half-open")


class CircuitBreaker(models.Model):
    """Breaker state per (provider, model, scope), shared by every web and worker process.
    `scope` is "" for the platform's keys and "team:<id>" for a team's own key."""

    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=120)
    scope = models.CharField(max_length=64, blank=True, default="")
    state = models.CharField(
        max_length=10, choices=CircuitState.choices, default=CircuitState.CLOSED
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    open_until = models.DateTimeField(null=True, blank=True)
    probe_started_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=64, blank=True)
    times_opened = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "model", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "model", "scope"], name="ops_breaker_unique_scoped"
            ),
        ]

    def __str__(self) -> str:
        scope = f" [{self.scope}]" if self.scope else ""
        return f"{self.provider}:{self.model}{scope} {self.state}"


class MetricBucket(models.Model):
    """One counter (name, label) for one minute: the figures in admin are sums of these."""

    name = models.CharField(max_length=64)
    label = models.CharField(max_length=64, blank=True)
    bucket = models.DateTimeField(help_text=_("Start of the minute counted."))
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-bucket", "name", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "label", "bucket"], name="ops_metricbucket_unique"
            ),
        ]
        indexes = [models.Index(fields=["name", "bucket"])]

    def __str__(self) -> str:
        return f"{self.name}[{self.label}] {self.bucket:%Y-%m-%d %H:%M}: {self.count}"


class ProviderStat(models.Model):
    """Every call to (provider, model) in one minute, aggregated: what the Ops page's health
    table and charts read.

    Latency and time to first token are kept as histograms over fixed bounds
    (`ops.health.LATENCY_BOUNDS_MS`), so any window's p50/p95 is read by summing the minutes'
    histograms: counts merge exactly across minutes and processes, which percentiles of
    percentiles would not. Rows are updated under a row lock, so concurrent writers add up.
    """

    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=120)
    bucket = models.DateTimeField(help_text=_("Start of the minute counted."))
    calls = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    # {error code: count}, e.g. {"provider_timeout": 2}.
    errors_by_kind = models.JSONField(default=dict, blank=True)
    retries = models.PositiveIntegerField(default=0)
    latency_hist = models.JSONField(default=list, blank=True)
    latency_sum_ms = models.PositiveBigIntegerField(default=0)
    ttft_hist = models.JSONField(default=list, blank=True)
    ttft_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-bucket", "provider", "model"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "model", "bucket"], name="ops_providerstat_unique"
            ),
        ]
        indexes = [models.Index(fields=["bucket"])]

    def __str__(self) -> str:
        return f"{self.provider}:{self.model} {self.bucket:%Y-%m-%d %H:%M}: {self.calls}"
