"""Circuit breaker per (provider, model, scope), with its state in the database so every
process shares it (scope "" is the platform's keys; a team's own key has breakers of its own):
opens when the error rate over a sliding window passes a threshold (after a minimum
number of calls), stays open for a cool-down, then lets exactly one probe through (half-open);
the probe's outcome closes or re-opens it.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

import structlog
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultation.exceptions import ProviderUnavailable
from ops.health import CallSample, provider_stats_record, window_stats
from ops.models import CircuitBreaker, CircuitState, ProviderCall

logger = structlog.get_logger(__name__)


class CircuitOpenError(ProviderUnavailable):
    """The breaker of (provider, model) refuses calls for now: the call was never made.

    The one circuit-open error: the debate pipeline records it like a failed provider call
    (same `code`, `message` and `retryable` as a `ProviderError`), and an HTTP edge that lets it
    through renders a 503.
    """

    code = "circuit_open"
    default_detail = _("This model is failing right now; calls are paused for a moment.")
    # Retrying within the cool-down cannot help; the breaker says when to come back.
    retryable: ClassVar[bool] = False

    def __init__(self, *, provider: str, model: str, retry_after: int) -> None:
        super().__init__(provider=provider, model=model, retry_after=retry_after)
        self.provider = provider
        self.model = model
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return str(self.detail)

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}: {self.detail}"

    def __reduce__(self) -> tuple[object, ...]:
        # Exception pickling replays `args` positionally; this __init__ takes keywords only.
        return (_rebuild_circuit_open, (self.provider, self.model, self.retry_after))


def _rebuild_circuit_open(provider: str, model: str, retry_after: int) -> CircuitOpenError:
    return CircuitOpenError(provider=provider, model=model, retry_after=retry_after)


@dataclass(frozen=True)
class Permit:
    """Leave to make one call; `probe` marks the single trial call of a half-open breaker."""

    provider: str
    model: str
    probe: bool
    # "" for the platform's keys; "team:<id>" for a team's own (its own breaker and window).
    scope: str = ""


# Breakers this process saw closed, until a monotonic deadline: the hot path (every call to a
# healthy model) then needs no database read. Another process opening the breaker is seen
# within PROVIDER_HEALTH_CLOSED_CACHE_SECONDS; this process's own opening is seen at once.
_seen_closed: dict[tuple[str, str, str], float] = {}


def _remember_closed(provider: str, model: str, scope: str) -> None:
    ttl = settings.PROVIDER_HEALTH_CLOSED_CACHE_SECONDS
    if ttl > 0:
        _seen_closed[(provider, model, scope)] = time.monotonic() + ttl


async def abreaker_acquire(*, provider: str, model: str, scope: str = "") -> Permit:
    """breaker_acquire for async callers, skipping the database while a breaker is known
    closed."""
    if _seen_closed.get((provider, model, scope), 0.0) > time.monotonic():
        return Permit(provider, model, probe=False, scope=scope)
    return await sync_to_async(breaker_acquire)(provider=provider, model=model, scope=scope)


def _breaker(provider: str, model: str, scope: str = "") -> CircuitBreaker:
    breaker, _created = CircuitBreaker.objects.get_or_create(
        provider=provider, model=model, scope=scope
    )
    return breaker


def _probe_is_stale(breaker: CircuitBreaker, now: datetime) -> bool:
    timeout = timedelta(seconds=settings.PROVIDER_HEALTH_PROBE_TIMEOUT_SECONDS)
    return breaker.probe_started_at is None or breaker.probe_started_at < now - timeout


@transaction.atomic
def breaker_acquire(*, provider: str, model: str, scope: str = "") -> Permit:
    """Ask to call (provider, model) with the credentials of `scope` ("" for the platform's).
    Raises CircuitOpenError while that breaker refuses calls."""
    now = timezone.now()
    breaker = _breaker(provider, model, scope)
    if breaker.state == CircuitState.CLOSED:
        _remember_closed(provider, model, scope)
        return Permit(provider, model, probe=False, scope=scope)
    if breaker.state == CircuitState.OPEN and breaker.open_until and breaker.open_until > now:
        retry_after = int((breaker.open_until - now).total_seconds()) + 1
        raise CircuitOpenError(provider=provider, model=model, retry_after=retry_after)
    if breaker.state == CircuitState.HALF_OPEN and not _probe_is_stale(breaker, now):
        raise CircuitOpenError(provider=provider, model=model, retry_after=1)
    # Cool-down over (or the last probe vanished): claim the one probe. The conditional
    # update makes the claim atomic across processes: only one caller matches the old row.
    claimed = CircuitBreaker.objects.filter(
        pk=breaker.pk, state=breaker.state, probe_started_at=breaker.probe_started_at
    ).update(state=CircuitState.HALF_OPEN, probe_started_at=now, updated_at=now)
    if not claimed:
        raise CircuitOpenError(provider=provider, model=model, retry_after=1)
    logger.info(
        "circuit.half_open",
        provider=provider,
        model=model,
        circuit_state="half_open",
        breaker_scope=scope,
    )
    return Permit(provider, model, probe=True, scope=scope)


def _open(breaker: CircuitBreaker, *, now: datetime, error_code: str) -> None:
    _seen_closed.pop((breaker.provider, breaker.model, breaker.scope), None)
    breaker.state = CircuitState.OPEN
    breaker.opened_at = now
    breaker.open_until = now + timedelta(seconds=settings.PROVIDER_HEALTH_COOLDOWN_SECONDS)
    breaker.probe_started_at = None
    breaker.last_error = error_code
    breaker.times_opened += 1
    breaker.save()
    logger.warning(
        "circuit.opened",
        provider=breaker.provider,
        model=breaker.model,
        circuit_state="open",
        error_code=error_code,
        breaker_scope=breaker.scope,
    )


def breaker_record_successes(
    *,
    calls: list[tuple[Permit, int, datetime, int | None]],
    retries: dict[tuple[str, str], int] | None = None,
) -> None:
    """Record successful non-probe calls (permit, latency ms, finished at, time to first
    token ms) in one insert, and add them (and the retries counted meanwhile) to the
    per-minute health aggregates.

    A success never changes a breaker's state, so callers may batch them (the debate pipeline
    does, per stage); the window then counts them a few seconds late, which only errs towards
    an earlier opening while a stage runs. Calls made with a team's own key feed that team's
    breaker only, not the platform's health figures.
    """
    ProviderCall.objects.bulk_create(
        ProviderCall(
            provider=permit.provider,
            model=permit.model,
            scope=permit.scope,
            ok=True,
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            created_at=finished_at,
        )
        for permit, latency_ms, finished_at, ttft_ms in calls
    )
    provider_stats_record(
        samples=[
            CallSample(
                provider=permit.provider,
                model=permit.model,
                ok=True,
                latency_ms=latency_ms,
                ttft_ms=ttft_ms,
                at=finished_at,
            )
            for permit, latency_ms, finished_at, ttft_ms in calls
            if not permit.scope
        ],
        retries=retries,
    )


@transaction.atomic
def breaker_record(
    *,
    permit: Permit,
    ok: bool,
    latency_ms: int = 0,
    error_code: str = "",
    ttft_ms: int | None = None,
) -> None:
    """Record a call's outcome, then open, close or keep the breaker as the window says."""
    now = timezone.now()
    ProviderCall.objects.create(
        provider=permit.provider,
        model=permit.model,
        scope=permit.scope,
        ok=ok,
        error_code=error_code,
        latency_ms=latency_ms,
        ttft_ms=ttft_ms,
        created_at=now,
    )
    if not permit.scope:  # the platform's health figures count the platform's keys only
        provider_stats_record(
            samples=[
                CallSample(
                    provider=permit.provider,
                    model=permit.model,
                    ok=ok,
                    latency_ms=latency_ms,
                    error_code=error_code,
                    ttft_ms=ttft_ms,
                    at=now,
                )
            ]
        )
    if ok and not permit.probe:
        return  # a success never changes a breaker's state; only a probe's does
    breaker = CircuitBreaker.objects.select_for_update().get(
        provider=permit.provider, model=permit.model, scope=permit.scope
    )
    if breaker.state == CircuitState.HALF_OPEN and permit.probe:
        if ok:
            breaker.state = CircuitState.CLOSED
            breaker.open_until = breaker.probe_started_at = None
            breaker.save()
            logger.info(
                "circuit.closed",
                provider=permit.provider,
                model=permit.model,
                circuit_state="closed",
                reason="probe_succeeded",
                breaker_scope=permit.scope,
            )
        else:
            _open(breaker, now=now, error_code=error_code)
        return
    if breaker.state != CircuitState.CLOSED:
        return
    calls, failures = window_stats(
        provider=permit.provider, model=permit.model, scope=permit.scope, now=now
    )
    if (
        calls >= settings.PROVIDER_HEALTH_MIN_CALLS
        and failures / calls >= settings.PROVIDER_HEALTH_ERROR_THRESHOLD
    ):
        _open(breaker, now=now, error_code=error_code)


def breaker_reset(*, provider: str, model: str, scope: str = "") -> None:
    """Close a breaker by hand (staff, on the Ops page: the caller audits it)."""
    CircuitBreaker.objects.filter(provider=provider, model=model, scope=scope).update(
        state=CircuitState.CLOSED, open_until=None, probe_started_at=None, updated_at=timezone.now()
    )
    logger.info(
        "circuit.closed", provider=provider, model=model, circuit_state="closed", reason="reset"
    )


@transaction.atomic
def breaker_force_open(*, provider: str, model: str) -> None:
    """Open a breaker by hand for one cool-down (staff, on the Ops page: the caller audits
    it), e.g. to stop calls to a model the provider says is degraded."""
    breaker = CircuitBreaker.objects.select_for_update().filter(pk=_breaker(provider, model).pk)
    _open(breaker.get(), now=timezone.now(), error_code="forced_open")


def breaker_reset_scope(*, scope: str, provider: str) -> None:
    """Close every breaker of `provider` kept for `scope` (a team's key was replaced: the new
    one starts with a clean slate). The platform's breakers (scope "") are never touched."""
    if not scope:
        return
    CircuitBreaker.objects.filter(scope=scope, provider=provider).update(
        state=CircuitState.CLOSED, open_until=None, probe_started_at=None, updated_at=timezone.now()
    )
    ProviderCall.objects.filter(scope=scope, provider=provider).delete()
