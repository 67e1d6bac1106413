from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from ops.breaker import breaker_reset
from ops.health import window_stats
from ops.models import CircuitBreaker, CircuitState, ProviderCall


@admin.register(CircuitBreaker)
class CircuitBreakerAdmin(admin.ModelAdmin[CircuitBreaker]):
    """Provider health: breaker state, error rate over the window, cool-down remaining."""

    list_display = [
        "provider",
        "model",
        "state",
        "error_rate",
        "cooldown_remaining",
        "times_opened",
        "last_error",
        "updated_at",
    ]
    list_filter = ["state", "provider"]
    readonly_fields = [f.name for f in CircuitBreaker._meta.fields]
    actions = ["reset"]

    @admin.display(description="errors in window")
    def error_rate(self, breaker: CircuitBreaker) -> str:
        calls, failures = window_stats(provider=breaker.provider, model=breaker.model)
        if not calls:
            return f"no calls in {settings.PROVIDER_HEALTH_WINDOW_SECONDS}s"
        return f"{failures}/{calls} ({failures / calls:.0%})"

    @admin.display(description="cool-down left")
    def cooldown_remaining(self, breaker: CircuitBreaker) -> str:
        if breaker.state != CircuitState.OPEN or breaker.open_until is None:
            return "-"
        return f"{max(0, int((breaker.open_until - timezone.now()).total_seconds()))}s"

    @admin.action(description="Close the selected breakers")
    def reset(self, request: HttpRequest, queryset: QuerySet[CircuitBreaker]) -> None:
        for breaker in queryset:
            breaker_reset(provider=breaker.provider, model=breaker.model)

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
