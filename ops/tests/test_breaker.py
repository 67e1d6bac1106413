"""The circuit breaker: sliding window, minimum calls, cool-down, one half-open probe."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ops.breaker import CircuitOpenError, breaker_acquire, breaker_record, breaker_reset
from ops.health import window_stats
from ops.models import CircuitBreaker, CircuitState, ProviderCall

pytestmark = pytest.mark.django_db

P, M = "openai", "gpt-test"


@pytest.fixture(autouse=True)
def _breaker_settings(settings: Any) -> None:
    settings.PROVIDER_HEALTH_WINDOW_SECONDS = 60
    settings.PROVIDER_HEALTH_ERROR_THRESHOLD = 0.5
    settings.PROVIDER_HEALTH_MIN_CALLS = 4
    settings.PROVIDER_HEALTH_COOLDOWN_SECONDS = 30
    settings.PROVIDER_HEALTH_PROBE_TIMEOUT_SECONDS = 120


def call(ok: bool) -> None:
    permit = breaker_acquire(provider=P, model=M)
    breaker_record(permit=permit, ok=ok, error_code="" if ok else "provider_timeout")


def state() -> str:
    return CircuitBreaker.objects.get(provider=P, model=M).state


def test_breaker_stays_closed_below_minimum_calls() -> None:
    for _ in range(3):
        call(ok=False)
    assert state() == CircuitState.CLOSED


def test_breaker_opens_at_error_rate_over_window() -> None:
    call(ok=True)
    call(ok=True)
    call(ok=False)
    assert state() == CircuitState.CLOSED
    call(ok=False)  # 2 of 4 = 50%: at the threshold
    assert state() == CircuitState.OPEN
    with pytest.raises(CircuitOpenError) as raised:
        breaker_acquire(provider=P, model=M)
    assert raised.value.extra["retry_after"] > 0
    assert raised.value.code == "circuit_open"


def test_old_failures_leave_the_window() -> None:
    with time_machine.travel(timezone.now() - timedelta(minutes=5), tick=False):
        for _ in range(3):
            call(ok=False)
    call(ok=True)
    call(ok=False)
    assert window_stats(provider=P, model=M) == (2, 1)
    assert state() == CircuitState.CLOSED


def open_breaker() -> None:
    for _ in range(4):
        call(ok=False)
    assert state() == CircuitState.OPEN


def test_half_open_lets_exactly_one_probe_through_then_closes() -> None:
    open_breaker()
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        probe = breaker_acquire(provider=P, model=M)
        assert probe.probe
        assert state() == CircuitState.HALF_OPEN
        with pytest.raises(CircuitOpenError):
            breaker_acquire(provider=P, model=M)
        breaker_record(permit=probe, ok=True)
        assert state() == CircuitState.CLOSED
        assert not breaker_acquire(provider=P, model=M).probe


def test_failed_probe_reopens_for_another_cooldown() -> None:
    open_breaker()
    later = timezone.now() + timedelta(seconds=31)
    with time_machine.travel(later, tick=False):
        probe = breaker_acquire(provider=P, model=M)
        breaker_record(permit=probe, ok=False, error_code="provider_unavailable")
        breaker = CircuitBreaker.objects.get(provider=P, model=M)
        assert breaker.state == CircuitState.OPEN
        assert breaker.times_opened == 2
        assert breaker.open_until is not None
        assert breaker.open_until > later + timedelta(seconds=29)


def test_a_vanished_probe_is_replaced_after_the_probe_timeout() -> None:
    open_breaker()
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        breaker_acquire(provider=P, model=M)  # this probe's process dies
    with time_machine.travel(timezone.now() + timedelta(seconds=200), tick=False):
        assert breaker_acquire(provider=P, model=M).probe


def test_reset_closes_by_hand() -> None:
    open_breaker()
    breaker_reset(provider=P, model=M)
    assert state() == CircuitState.CLOSED


def test_every_call_is_recorded_for_health_figures() -> None:
    call(ok=True)
    call(ok=False)
    assert ProviderCall.objects.filter(provider=P, model=M).count() == 2
    assert ProviderCall.objects.filter(ok=False).get().error_code == "provider_timeout"


def test_a_closed_breaker_is_remembered_briefly_and_forgotten_when_opened(
    settings: Any, django_assert_num_queries: Any
) -> None:
    from asgiref.sync import async_to_sync

    from ops.breaker import abreaker_acquire

    settings.PROVIDER_HEALTH_CLOSED_CACHE_SECONDS = 60
    call(ok=True)  # seen closed
    with django_assert_num_queries(0):
        assert not async_to_sync(abreaker_acquire)(provider=P, model=M).probe
    for _ in range(3):  # 3 failures of 4 calls: opens
        call(ok=False)
    assert state() == CircuitState.OPEN
    with pytest.raises(CircuitOpenError):
        async_to_sync(abreaker_acquire)(provider=P, model=M)


def test_batched_successes_count_in_the_window() -> None:
    from ops.breaker import Permit, breaker_record_successes

    permit = Permit(P, M, probe=False)
    breaker_record_successes(
        calls=[(permit, 120, timezone.now(), None), (permit, 80, timezone.now(), 40)]
    )
    call(ok=False)
    assert window_stats(provider=P, model=M) == (3, 1)
    assert state() == CircuitState.CLOSED


def test_circuit_open_survives_pickling() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(CircuitOpenError(provider=P, model=M, retry_after=5)))  # noqa: S301
    assert (error.provider, error.model, error.retry_after) == (P, M, 5)
    assert error.code == "circuit_open"
    assert not error.retryable
