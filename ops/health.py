"""Provider health: what the breakers' records say, for admin, the catalog API and the breaker
itself, and the per-minute aggregates (ProviderStat) behind the Ops page. Kept by name
(provider, model), like everything in ops."""

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from ops.metrics import bucket_start
from ops.models import CircuitBreaker, CircuitState, ProviderCall, ProviderStat

# Upper bounds (ms) of the latency histogram's bins; a last bin holds everything slower.
LATENCY_BOUNDS_MS: tuple[int, ...] = (
    50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000,
    20_000, 30_000, 60_000,
)  # fmt: skip
BINS = len(LATENCY_BOUNDS_MS) + 1
HEALTH_WINDOWS: Mapping[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
}


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


# --- Per-minute aggregates -------------------------------------------------------------------


@dataclass(frozen=True)
class CallSample:
    """One attempt's outcome, as the aggregates count it."""

    provider: str
    model: str
    ok: bool
    latency_ms: int
    at: datetime
    error_code: str = ""
    ttft_ms: int | None = None


def _bin(value_ms: int) -> int:
    return bisect.bisect_left(LATENCY_BOUNDS_MS, value_ms)


def _add(hist: list[int], value_ms: int) -> list[int]:
    hist = list(hist) if len(hist) == BINS else [0] * BINS
    hist[_bin(value_ms)] += 1
    return hist


@transaction.atomic
def _stat_locked(provider: str, model: str, bucket: datetime) -> ProviderStat:
    """The minute's row, locked for this transaction (created if missing)."""
    rows = ProviderStat.objects.select_for_update()
    row = rows.filter(provider=provider, model=model, bucket=bucket).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return ProviderStat.objects.create(
                provider=provider, model=model, bucket=bucket, latency_hist=[0] * BINS
            )
    except IntegrityError:  # another process created it first
        return rows.get(provider=provider, model=model, bucket=bucket)


@transaction.atomic
def provider_stats_record(
    *, samples: Iterable[CallSample] = (), retries: Mapping[tuple[str, str], int] | None = None
) -> None:
    """Add call outcomes (and retries by (provider, model), counted now) to their minutes."""
    grouped: dict[tuple[str, str, datetime], list[CallSample]] = {}
    for sample in samples:
        key = (sample.provider, sample.model, bucket_start(sample.at))
        grouped.setdefault(key, []).append(sample)
    now_bucket = bucket_start(timezone.now())
    for provider, model in retries or {}:
        grouped.setdefault((provider, model, now_bucket), [])
    for (provider, model, bucket), group in grouped.items():
        row = _stat_locked(provider, model, bucket)
        for sample in group:
            row.calls += 1
            row.latency_hist = _add(row.latency_hist, sample.latency_ms)
            row.latency_sum_ms += sample.latency_ms
            if sample.ttft_ms is not None:
                row.ttft_hist = _add(row.ttft_hist, sample.ttft_ms)
                row.ttft_count += 1
            if not sample.ok:
                row.errors += 1
                kind = sample.error_code or "error"
                row.errors_by_kind = {
                    **row.errors_by_kind,
                    kind: row.errors_by_kind.get(kind, 0) + 1,
                }
        if bucket == now_bucket:
            row.retries += (retries or {}).get((provider, model), 0)
        row.save()


def percentile(hist: Sequence[int], fraction: float) -> int | None:
    """The value (ms) below which `fraction` of the histogram's samples fall, interpolated
    linearly within its bin; None for an empty histogram."""
    total = sum(hist)
    if not total:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(hist):
        if count and seen + count >= rank:
            low = LATENCY_BOUNDS_MS[index - 1] if index else 0
            if index >= len(LATENCY_BOUNDS_MS):
                return low  # beyond the last bound: at least that slow
            high = LATENCY_BOUNDS_MS[index]
            return round(low + (high - low) * (rank - seen) / count)
        seen += count
    return LATENCY_BOUNDS_MS[-1]


@dataclass
class HealthWindow:
    calls: int = 0
    errors: int = 0
    retries: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    latency_hist: list[int] = field(default_factory=lambda: [0] * BINS)
    ttft_hist: list[int] = field(default_factory=lambda: [0] * BINS)

    def add(self, row: ProviderStat) -> None:
        self.calls += row.calls
        self.errors += row.errors
        self.retries += row.retries
        for kind, count in row.errors_by_kind.items():
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + count
        for hist, other in ((self.latency_hist, row.latency_hist), (self.ttft_hist, row.ttft_hist)):
            if len(other) == BINS:
                for index, count in enumerate(other):
                    hist[index] += count

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None

    @property
    def p50_ms(self) -> int | None:
        return percentile(self.latency_hist, 0.5)

    @property
    def p95_ms(self) -> int | None:
        return percentile(self.latency_hist, 0.95)

    @property
    def ttft_p50_ms(self) -> int | None:
        return percentile(self.ttft_hist, 0.5)


@dataclass
class ProviderHealth:
    provider: str
    model: str
    windows: dict[str, HealthWindow]
    circuit_state: str = CircuitState.CLOSED
    cooldown_s: int | None = None
    last_error: str = ""
    times_opened: int = 0


def provider_health(*, now: datetime | None = None) -> list[ProviderHealth]:
    """Every (provider, model) seen in 24 h or with a breaker: its windows and its breaker."""
    now = now or timezone.now()
    widest = max(HEALTH_WINDOWS.values())
    table: dict[tuple[str, str], ProviderHealth] = {}

    def entry(provider: str, model: str) -> ProviderHealth:
        key = (provider, model)
        if key not in table:
            windows = {name: HealthWindow() for name in HEALTH_WINDOWS}
            table[key] = ProviderHealth(provider=provider, model=model, windows=windows)
        return table[key]

    for row in ProviderStat.objects.filter(bucket__gte=bucket_start(now - widest)):
        health = entry(row.provider, row.model)
        for name, span in HEALTH_WINDOWS.items():
            if row.bucket >= bucket_start(now - span):
                health.windows[name].add(row)
    for breaker in CircuitBreaker.objects.all():
        health = entry(breaker.provider, breaker.model)
        health.circuit_state = breaker.state
        health.last_error = breaker.last_error
        health.times_opened = breaker.times_opened
        if breaker.state == CircuitState.OPEN and breaker.open_until is not None:
            health.cooldown_s = max(0, int((breaker.open_until - now).total_seconds()))
    return sorted(table.values(), key=lambda health: (health.provider, health.model))


def provider_trend(*, hours: int = 24, now: datetime | None = None) -> dict[str, object]:
    """Error rate and p95 latency per hour over the last `hours`, per (provider, model): the
    Ops page's charts."""
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    hours_list = [start + timedelta(hours=index) for index in range(hours)]
    per: dict[str, list[HealthWindow]] = {}
    for row in ProviderStat.objects.filter(bucket__gte=start, bucket__lt=end):
        slots = per.setdefault(f"{row.provider}:{row.model}", [HealthWindow() for _ in hours_list])
        slots[int((row.bucket - start).total_seconds() // 3600)].add(row)
    return {
        "labels": [moment.strftime("%H:%M") for moment in hours_list],
        "series": [
            {
                "name": name,
                "error_rate": [
                    round(slot.error_rate * 100, 1) if slot.error_rate is not None else None
                    for slot in slots
                ],
                "p95_ms": [slot.p95_ms for slot in slots],
            }
            for name, slots in sorted(per.items())
        ],
    }
