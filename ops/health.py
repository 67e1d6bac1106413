"""Provider health reads: what the breakers' records say, for admin, the catalog API and the
breaker itself. Kept by name (provider, model), like everything in ops."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from ops.models import CircuitBreaker, CircuitState, ProviderCall


def window_stats(*, provider: str, model: str, now: datetime | None = None) -> tuple[int, int]:
    """(calls, failures) of (provider, model) within the sliding window."""
    since = (now or timezone.now()) - timedelta(seconds=settings.PROVIDER_HEALTH_WINDOW_SECONDS)
    stats = ProviderCall.objects.filter(
        provider=provider, model=model, created_at__gte=since
    ).aggregate(calls=Count("id"), failures=Count("id", filter=Q(ok=False)))
    return stats["calls"], stats["failures"]


def circuit_states() -> dict[tuple[str, str], str]:
    """Each known breaker's state by (provider, model); a pair missing here is closed."""
    return {
        (provider, model): state
        for provider, model, state in CircuitBreaker.objects.values_list(
            "provider", "model", "state"
        )
    }


def circuits_open(*, now: datetime | None = None) -> set[tuple[str, str]]:
    """(provider, model) pairs whose breaker refuses every call right now: open, cool-down not
    over. A half-open breaker is not here: its probe may well succeed."""
    return set(
        CircuitBreaker.objects.filter(
            state=CircuitState.OPEN, open_until__gt=now or timezone.now()
        ).values_list("provider", "model")
    )
