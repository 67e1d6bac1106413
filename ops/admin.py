from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from ops.health import window_stats
from ops.metrics import WINDOWS, metric_windows
from ops.models import CircuitBreaker, CircuitState, MetricBucket, ProviderCall, ProviderStat


@admin.register(CircuitBreaker)
class CircuitBreakerAdmin(admin.ModelAdmin[CircuitBreaker]):
    """Provider health: breaker state, error rate over the window, cool-down remaining."""

    list_display = [
        "provider",
        "model",
        "scope",
        "state",
        "error_rate",
        "cooldown_remaining",
        "times_opened",
        "last_error",
        "updated_at",
    ]
    list_filter = ["state", "provider", "scope"]
    readonly_fields = [f.name for f in CircuitBreaker._meta.fields]
    # Resetting or forcing a breaker open is audited, and the audit log is not ops' to write:
    # the buttons are on the Ops page (/admin/ops/, consultation/ops_dashboard.py).
    actions = None

    @admin.display(description="errors in window")
    def error_rate(self, breaker: CircuitBreaker) -> str:
        calls, failures = window_stats(
            provider=breaker.provider, model=breaker.model, scope=breaker.scope
        )
        if not calls:
            return f"no calls in {settings.PROVIDER_HEALTH_WINDOW_SECONDS}s"
        return f"{failures}/{calls} ({failures / calls:.0%})"

    @admin.display(description="cool-down left")
    def cooldown_remaining(self, breaker: CircuitBreaker) -> str:
        if breaker.state != CircuitState.OPEN or breaker.open_until is None:
            return "-"
        return f"{max(0, int((breaker.open_until - timezone.now()).total_seconds()))}s"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ProviderCall)
class ProviderCallAdmin(admin.ModelAdmin[ProviderCall]):
    list_display = ["created_at", "provider", "model", "ok", "error_code", "latency_ms"]
    list_filter = ["ok", "provider", "error_code"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Metrics that a safety or limits change makes visible here, with their flags where they have
# any. ops records by name: callers choose the names (see docs/SAFETY.md, docs/OPS.md).
SHOWN_METRICS: tuple[tuple[str, str], ...] = (
    ("safety.pii_redacted", "Personal data redacted, by kind"),
    ("safety.injection_suspected", "Suspected prompt injections"),
)
SAFETY_FLAGS = (
    "SAFETY_PII_REGIONS",
    "SAFETY_PII_NAMES",
    "SAFETY_PII_ADDRESSES",
    "SAFETY_PII_CARDS",
    "SAFETY_PII_IBANS",
    "SAFETY_INJECTION_MODE",
    "SAFETY_INJECTION_THRESHOLD",
)


@admin.register(MetricBucket)
class MetricBucketAdmin(admin.ModelAdmin[MetricBucket]):
    """Counters by minute; the list page leads with the last hour, day and week of each."""

    change_list_template = "admin/ops/metricbucket/change_list.html"
    list_display = ["bucket", "name", "label", "count"]
    list_filter = ["name"]
    date_hierarchy = "bucket"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        summaries = [
            {"name": name, "title": title, "rows": metric_windows(name=name)}
            for name, title in SHOWN_METRICS
        ]
        flags = [(name, getattr(settings, name, None)) for name in SAFETY_FLAGS]
        context = {
            **(extra_context or {}),
            "summaries": summaries,
            "windows": list(WINDOWS),
            "flags": flags,
        }
        response = super().changelist_view(request, extra_context=context)
        assert isinstance(response, TemplateResponse)
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProviderStat)
class ProviderStatAdmin(admin.ModelAdmin[ProviderStat]):
    """Per-minute provider figures, read-only (the Ops page reads them as windows)."""

    list_display = ["bucket", "provider", "model", "calls", "errors", "retries"]
    list_filter = ["provider"]
    date_hierarchy = "bucket"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
