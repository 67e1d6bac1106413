"""Breakers per scope: a team's own key ("team:<id>") and the platform's keys ("") never share
a window, a state or the health figures."""

from typing import Any

import pytest

from ops.breaker import CircuitOpenError, breaker_acquire, breaker_record, breaker_reset_scope
from ops.health import circuit_states, circuits_open, window_stats
from ops.models import CircuitBreaker, CircuitState, ProviderStat

pytestmark = pytest.mark.django_db

P, M, TEAM = "openai", "gpt-test", "team:1234"


@pytest.fixture(autouse=True)
def _breaker_settings(settings: Any) -> None:
    settings.PROVIDER_HEALTH_WINDOW_SECONDS = 60
    settings.PROVIDER_HEALTH_ERROR_THRESHOLD = 0.5
    settings.PROVIDER_HEALTH_MIN_CALLS = 2
    settings.PROVIDER_HEALTH_COOLDOWN_SECONDS = 30


def fail(scope: str) -> None:
    permit = breaker_acquire(provider=P, model=M, scope=scope)
    breaker_record(permit=permit, ok=False, error_code="provider_auth_failed")


def test_a_teams_failures_open_its_breaker_only() -> None:
    fail(TEAM)
    fail(TEAM)
    with pytest.raises(CircuitOpenError):
        breaker_acquire(provider=P, model=M, scope=TEAM)
    assert not breaker_acquire(provider=P, model=M).probe  # the platform's is closed
    assert window_stats(provider=P, model=M, scope=TEAM) == (2, 2)
    assert window_stats(provider=P, model=M) == (0, 0)
    assert circuits_open() == set()
    assert circuits_open(scope=TEAM) == {(P, M)}
    assert circuit_states(scope=TEAM) == {(P, M): CircuitState.OPEN}
    # The platform's health figures count the platform's keys only.
    assert not ProviderStat.objects.exists()


def test_the_platforms_failures_leave_the_teams_breaker_closed() -> None:
    fail("")
    fail("")
    with pytest.raises(CircuitOpenError):
        breaker_acquire(provider=P, model=M)
    assert not breaker_acquire(provider=P, model=M, scope=TEAM).probe
    assert ProviderStat.objects.get().errors == 2


def test_resetting_a_scope_never_touches_the_platform() -> None:
    for scope in (TEAM, TEAM, "", ""):
        fail(scope)
    breaker_reset_scope(scope=TEAM, provider=P)
    breaker_reset_scope(scope="", provider=P)  # no-op: the platform's are staff's to reset
    states = dict(CircuitBreaker.objects.values_list("scope", "state"))
    assert states == {TEAM: CircuitState.CLOSED, "": CircuitState.OPEN}
