"""Operational records, kept by name (provider, model) so ops knows no domain app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderCall(models.Model):
    """One call to a model provider: the sliding window of the circuit breaker and the health
    figures in admin are computed from these rows."""

    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=120)
    ok = models.BooleanField()
    error_code = models.CharField(max_length=64, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["provider", "model", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.provider}:{self.model} {'ok' if self.ok else self.error_code}"


class CircuitState(models.TextChoices):
    CLOSED = "closed", _("Closed")
    OPEN = "open", _("Open")
    HALF_OPEN = "half_open", _("Half-open")


class CircuitBreaker(models.Model):
    """Breaker state per (provider, model), shared by every web and worker process."""

    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=120)
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
        ordering = ["provider", "model"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "model"], name="ops_breaker_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.model} {self.state}"


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
