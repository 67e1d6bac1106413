"""A team's own key in its debates, end to end over real HTTP: the pipeline calls the team's
OpenAI-compatible endpoint (the fake provider server on 127.0.0.1) with the team's key, meters
the usage as "own key" outside the token and cost quotas, reports a key the provider refuses,
and keeps the team's breaker apart from the platform's. No network beyond loopback."""

import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from accounts.models import AuditEntry, Team, User
from accounts.tests.factories import make_user
from bench.fakellm import FakeLLMConfig, FakeLLMServer
from billing.models import Plan, QuotaReservation, ReservationStatus, UsageRecord
from consultation.exceptions import QuotaExceeded, ValidationFailed
from debates.models import Debate, DebateEvent, DebateModelUsage, DebateStatus, LLMModel
from debates.orchestration.engine import DebatePipeline
from debates.providers.registry import clear_provider_cache
from debates.services.running import debate_run
from debates.tests import factories
from debates.tests.conftest import every_event_is_typed  # noqa: F401  (a fixture)
from ops.breaker import breaker_force_open
from ops.models import CircuitBreaker, CircuitState, ProviderCall
from providerkeys.credentials import scope_for_team
from providerkeys.models import KeyStatus, ProviderKey
from providerkeys.services import key_save

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("every_event_is_typed")]

TEAM_KEY = "sk-team-own-0123456789abcdefSECRET"
WRONG_KEY = "sk-team-wrong-9876543210zyxwvuSECRET"
PLATFORM_KEY = "sk-platform-key-00000000000000000"
MODEL = "openai_compat:llama3.1:8b"
SEATS = [MODEL, MODEL]


@pytest.fixture
def team_server() -> Iterator[FakeLLMServer]:
    """The team's own endpoint: only the team's key is accepted (another gets a real 401)."""
    with FakeLLMServer(FakeLLMConfig(api_key=TEAM_KEY, seed=3)) as running:
        yield running


@pytest.fixture
def platform_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(FakeLLMConfig(api_key=PLATFORM_KEY, seed=5)) as running:
        yield running


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> Iterator[None]:
    settings.LLM_PROVIDERS = ["demo"]
    settings.LLM_TIMEOUT_SECONDS = 5.0
    settings.LLM_RETRY_ATTEMPTS = 1
    settings.PROVIDER_HEALTH_MIN_CALLS = 1000
    # The catalog's local model gets a price, so that its cost is something a quota can count.
    LLMModel.objects.filter(key=MODEL).update(
        price_in_per_mtok=Decimal("5.00"), price_out_per_mtok=Decimal("15.00")
    )
    Plan.objects.update(is_default=False)
    Plan.objects.filter(slug="pro").update(is_default=True)
    clear_provider_cache()
    yield
    clear_provider_cache()


@pytest.fixture
def team(owner: User) -> Team:
    return factories.personal_team(owner)


def run(debate: Debate) -> str | None:
    pipeline = DebatePipeline(heartbeat_s=3600)
    return async_to_sync(debate_run)(debate.pk, pipeline=pipeline)


def make(owner: User, team: Team, **options: Any) -> Debate:
    return factories.make_debate(
        owner, team=team, models=SEATS, rounds=1, judges=(MODEL,), chair=MODEL, **options
    )


def test_own_key_reaches_a_model_the_platform_cannot(
    owner: User, team: Team, team_server: FakeLLMServer
) -> None:
    with pytest.raises(ValidationFailed):
        make(owner, team)
    key_save(
        actor=owner,
        team=team,
        provider="openai_compat",
        secret=TEAM_KEY,
        base_url=team_server.openai_base_url,
    )

    debate = make(owner, team)
    assert run(debate) == DebateStatus.COMPLETED

    assert team_server.counters.completed + team_server.counters.streamed > 0
    assert team_server.counters.auth_failures == 0
    lines = DebateModelUsage.objects.filter(debate=debate)
    assert lines.count() == 1
    assert lines.get().own_key
    assert lines.get().calls > 0
    record = UsageRecord.objects.get(debate_id=debate.pk)
    assert record.own_key
    assert record.cost_usd > 0
    # Metered, but not counted against the token and cost quotas; the debate still counts.
    reservation = QuotaReservation.objects.get(debate_id=debate.pk)
    assert reservation.status == ReservationStatus.SETTLED
    assert reservation.tokens == 0
    assert reservation.cost_usd == Decimal(0)
    # The team's calls feed the team's breaker window, not the platform's.
    assert ProviderCall.objects.filter(scope=scope_for_team(team.pk)).exists()
    assert not ProviderCall.objects.filter(scope="").exists()


def test_own_key_usage_is_not_refused_by_a_spent_cost_quota(
    owner: User,
    team: Team,
    team_server: FakeLLMServer,
    platform_server: FakeLLMServer,
    settings: Any,
) -> None:
    settings.LLM_PROVIDERS = ["demo", "openai_compat"]
    settings.PROVIDER_CREDENTIALS = {**settings.PROVIDER_CREDENTIALS, "openai_compat": "x"}
    settings.OPENAI_COMPAT_BASE_URL = platform_server.openai_base_url
    settings.OPENAI_COMPAT_API_KEY = PLATFORM_KEY
    Plan.objects.filter(slug="pro").update(
        cost_per_month_usd=Decimal("0.0001"), tokens_per_month=10
    )
    # On the platform's key this panel costs more than the plan allows ...
    with pytest.raises(QuotaExceeded):
        make(owner, team)
    # ... with the team's own key it reserves nothing of those quotas.
    key_save(
        actor=owner,
        team=team,
        provider="openai_compat",
        secret=TEAM_KEY,
        base_url=team_server.openai_base_url,
    )
    debate = make(owner, team)
    assert run(debate) == DebateStatus.COMPLETED
    assert platform_server.counters.requests == 0
    assert team_server.counters.requests > 0
    assert UsageRecord.objects.get(debate_id=debate.pk).own_key


def test_rejected_key_is_reported_and_opens_only_the_teams_breaker(
    owner: User,
    team: Team,
    team_server: FakeLLMServer,
    platform_server: FakeLLMServer,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.PROVIDER_HEALTH_MIN_CALLS = 1
    settings.PROVIDER_HEALTH_ERROR_THRESHOLD = 0.5
    key = key_save(
        actor=owner,
        team=team,
        provider="openai_compat",
        secret=WRONG_KEY,
        base_url=team_server.openai_base_url,
    )

    debate = make(owner, team)
    assert run(debate) == DebateStatus.FAILED

    key.refresh_from_db()
    assert key.status == KeyStatus.REJECTED
    assert key.last_error_code == "provider_auth_failed"
    assert key.last_error == "Invalid API key (fakellm)."
    assert key.last_error_at is not None
    scope = scope_for_team(team.pk)
    team_breaker = CircuitBreaker.objects.get(provider="openai_compat", scope=scope)
    assert team_breaker.state == CircuitState.OPEN
    assert not CircuitBreaker.objects.filter(scope="", state=CircuitState.OPEN).exists()

    # Another team on the platform's key is not held back by this team's open breaker.
    settings.LLM_PROVIDERS = ["demo", "openai_compat"]
    settings.OPENAI_COMPAT_BASE_URL = platform_server.openai_base_url
    settings.OPENAI_COMPAT_API_KEY = PLATFORM_KEY
    someone = make_user(email="other@example.com")
    other_debate = make(someone, factories.personal_team(someone))
    assert run(other_debate) == DebateStatus.COMPLETED
    assert platform_server.counters.completed + platform_server.counters.streamed > 0
    assert not UsageRecord.objects.filter(debate_id=other_debate.pk, own_key=True).exists()

    # The wrong key went nowhere it could be read back: logs, events, audit, stored reason.
    _assert_secret_nowhere(WRONG_KEY, caplog)


def test_platform_breaker_open_does_not_stop_the_teams_own_key(
    owner: User, team: Team, team_server: FakeLLMServer, settings: Any
) -> None:
    settings.LLM_PROVIDERS = ["demo", "openai_compat"]
    settings.OPENAI_COMPAT_BASE_URL = "http://127.0.0.1:9/v1"  # never called
    breaker_force_open(provider="openai_compat", model="llama3.1:8b")
    key_save(
        actor=owner,
        team=team,
        provider="openai_compat",
        secret=TEAM_KEY,
        base_url=team_server.openai_base_url,
    )
    debate = make(owner, team)
    assert run(debate) == DebateStatus.COMPLETED
    platform = CircuitBreaker.objects.get(provider="openai_compat", scope="")
    assert platform.state == CircuitState.OPEN


def test_the_team_key_is_never_logged_nor_stored_in_clear(
    owner: User, team: Team, team_server: FakeLLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = key_save(
        actor=owner,
        team=team,
        provider="openai_compat",
        secret=TEAM_KEY,
        base_url=team_server.openai_base_url,
    )
    assert TEAM_KEY not in key.secret_encrypted
    assert key.hint == "CRET"
    debate = make(owner, team)
    assert run(debate) == DebateStatus.COMPLETED
    _assert_secret_nowhere(TEAM_KEY, caplog)


def _assert_secret_nowhere(secret: str, caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.msg)
        assert secret not in repr(record.args)
        assert secret not in repr(record.__dict__)
    for event in DebateEvent.objects.all():
        assert secret not in repr(event.payload)
    for entry in AuditEntry.objects.all():
        assert secret not in repr(entry.data)
    for stored in ProviderKey.objects.all():
        assert secret not in stored.last_error
        assert secret not in stored.secret_encrypted
