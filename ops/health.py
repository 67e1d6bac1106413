"""Provider health: what the breakers' records say, for admin, the catalog API and the breaker
itself, and the per-minute aggregates (ProviderStat) behind the Ops page. Kept by name
(provider, model), like everything in ops."""

import bisect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

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


def window_stats(
    *, provider: str, model: str, scope: str = "", now: datetime | None = None
) -> tuple[int, int]:
    """(calls, failures) of (provider, model) with the credentials of `scope` ("" for the
    platform's keys) within the sliding window."""
    since = (now or timezone.now()) - timedelta(seconds=settings.PROVIDER_HEALTH_WINDOW_SECONDS)
    stats = ProviderCall.objects.filter(
        provider=provider, model=model, scope=scope, created_at__gte=since
    ).aggregate(calls=Count("id"), failures=Count("id", filter=Q(ok=False)))
    return stats["calls"], stats["failures"]


def circuit_states(*, scope: str = "") -> dict[tuple[str, str], str]:
    """Each known breaker's state by (provider, model), for the credentials of `scope` (""
    for the platform's keys); a pair missing here is closed."""
    return {
        (provider, model): state
        for provider, model, state in CircuitBreaker.objects.filter(scope=scope).values_list(
            "provider", "model", "state"
        )
    }


def circuits_open(*, scope: str = "", now: datetime | None = None) -> set[tuple[str, str]]:
    """(provider, model) pairs whose breaker (for the credentials of `scope`) refuses every
    call right now: open, cool-down not over. A half-open breaker is not here: its probe may
    well succeed."""
    return set(
        CircuitBreaker.objects.filter(
            scope=scope, state=CircuitState.OPEN, open_until__gt=now or timezone.now()
        ).values_list("provider", "model")
    )


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


class StatRow(NamedTuple):
    """The columns of a ProviderStat row that windows read (tuples: ~3x faster to load than
    model instances, which matters with 24 h x models of minute rows)."""

    provider: str
    model: str
    bucket: datetime
    calls: int
    errors: int
    retries: int
    errors_by_kind: dict[str, int]
    latency_hist: list[int]
    ttft_hist: list[int]


def stat_rows(*, since: datetime) -> list[StatRow]:
    """The minute rows from `since` on: load them once for both provider_health and
    provider_trend (24 h of 10 busy models is 14,400 rows, most of a second to load)."""
    rows = ProviderStat.objects.filter(bucket__gte=since).order_by()
    return [StatRow(*values) for values in rows.values_list(*StatRow._fields)]


def day_of_rows(now: datetime) -> list[StatRow]:
    """What provider_health and provider_trend read, both."""
    return stat_rows(since=bucket_start(now - max(HEALTH_WINDOWS.values())))


@dataclass
class HealthWindow:
    calls: int = 0
    errors: int = 0
    retries: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    latency_hist: list[int] = field(default_factory=lambda: [0] * BINS)
    ttft_hist: list[int] = field(default_factory=lambda: [0] * BINS)

    def add(self, row: StatRow) -> None:
        self.calls += row.calls
        self.errors += row.errors
        self.retries += row.retries
        for kind, count in row.errors_by_kind.items():
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + count
        if len(row.latency_hist) == BINS:
            self.latency_hist = [
                a + b for a, b in zip(self.latency_hist, row.latency_hist, strict=True)
            ]
        if len(row.ttft_hist) == BINS:
            self.ttft_hist = [a + b for a, b in zip(self.ttft_hist, row.ttft_hist, strict=True)]

    def merge(self, other: "HealthWindow") -> None:
        self.calls += other.calls
        self.errors += other.errors
        self.retries += other.retries
        for kind, count in other.errors_by_kind.items():
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + count
        self.latency_hist = [
            a + b for a, b in zip(self.latency_hist, other.latency_hist, strict=True)
        ]
        self.ttft_hist = [a + b for a, b in zip(self.ttft_hist, other.ttft_hist, strict=True)]

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


def provider_health(
    *, now: datetime | None = None, rows: list[StatRow] | None = None
) -> list[ProviderHealth]:
    """Every (provider, model) seen in 24 h or with a breaker: its windows and its breaker.
    `rows`: from day_of_rows(now), when the caller reads the trend too."""
    now = now or timezone.now()
    widest = max(HEALTH_WINDOWS.values())
    table: dict[tuple[str, str], ProviderHealth] = {}

    def entry(provider: str, model: str) -> ProviderHealth:
        key = (provider, model)
        if key not in table:
            windows = {name: HealthWindow() for name in HEALTH_WINDOWS}
            table[key] = ProviderHealth(provider=provider, model=model, windows=windows)
        return table[key]

    # Each row is added once, to the narrowest window holding it; wider windows then take in
    # the narrower ones (the windows are nested: 5 min within 1 h within 24 h).
    spans = sorted(HEALTH_WINDOWS.items(), key=lambda item: item[1])
    starts = [(name, bucket_start(now - span)) for name, span in spans]
    for row in day_of_rows(now) if rows is None else rows:
        if row.bucket < bucket_start(now - widest):
            continue
        health = entry(row.provider, row.model)
        name = next(name for name, start in starts if row.bucket >= start)
        health.windows[name].add(row)
    for health in table.values():
        for (narrow, _start), (wide, _wide_start) in itertools.pairwise(starts):
            health.windows[wide].merge(health.windows[narrow])
    # The platform's breakers: a team's own key has breakers of its own, not shown here.
    for breaker in CircuitBreaker.objects.filter(scope=""):
        health = entry(breaker.provider, breaker.model)
        health.circuit_state = breaker.state
        health.last_error = breaker.last_error
        health.times_opened = breaker.times_opened
        if breaker.state == CircuitState.OPEN and breaker.open_until is not None:
            health.cooldown_s = max(0, int((breaker.open_until - now).total_seconds()))
    return sorted(table.values(), key=lambda health: (health.provider, health.model))


def provider_trend(
    *, hours: int = 24, now: datetime | None = None, rows: list[StatRow] | None = None
) -> dict[str, object]:
    """Error rate and p95 latency per hour over the last `hours`, per (provider, model): the
    Ops page's charts. `rows` must cover them (day_of_rows(now) does for 24 h)."""
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    hours_list = [start + timedelta(hours=index) for index in range(hours)]
    per: dict[str, list[HealthWindow]] = {}
    for row in stat_rows(since=start) if rows is None else rows:
        if not start <= row.bucket < end:
            continue
        name = f"{row.provider}:{row.model}"
        slots = per.get(name)
        if slots is None:
            slots = per[name] = [HealthWindow() for _ in hours_list]
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
