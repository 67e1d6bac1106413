"""The Ops page at /admin/ops/: staff only, with the figures of a debate that had retries and
an opened circuit (run with the scripted provider), the counters other apps record, and the
audited circuit actions."""

import json
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry, User
from accounts.tests.factories import make_user
from conftest import PASSWORD
from debates.models import Debate, DebateStatus, FailureReason
from debates.orchestration.engine import DebatePipeline
from debates.providers.base import CompletionRequest, ProviderError, ProviderUnavailableError
from debates.services.running import debate_run
from debates.tests import factories
from debates.tests.fakes import ScriptedProvider
from ops.health import provider_health
from ops.metrics import metric_increment
from ops.models import CircuitBreaker, CircuitState, ProviderStat

pytestmark = pytest.mark.django_db

URL = "/admin/ops/"
SEAT_MODELS = ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-pragmatist"]


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0
    settings.LLM_RETRY_ATTEMPTS = 3
    settings.DEBATE_MIN_REQUIRED_SEATS = 2
    settings.DEBATE_MAX_SEAT_FAIL_RATIO = 0.4
    settings.PROVIDER_HEALTH_MIN_CALLS = 2
    settings.PROVIDER_HEALTH_ERROR_THRESHOLD = 0.5


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


async def _no_sleep(_seconds: float) -> None:
    return None


def seat_c_is_down(request: CompletionRequest) -> ProviderError | None:
    if "You are Seat C." in request.messages[-1].content:
        return ProviderUnavailableError(provider="demo", model="m", message="503")
    return None


def debate_with_retries_and_an_open_circuit(owner: User) -> Debate:
    """Seat C's model answers 503: two attempts fail (one retry between them), its breaker
    opens, the third attempt is refused; the other seats carry the debate to its end."""
    debate = factories.make_debate(
        owner, models=SEAT_MODELS, judges=("demo:demo-scout",), chair="demo:demo-scout", rounds=1
    )
    pipeline = DebatePipeline(
        providers=lambda _name: ScriptedProvider(fail=seat_c_is_down),
        sleep=_no_sleep,
        heartbeat_s=3600,
    )
    assert async_to_sync(debate_run)(debate.pk, pipeline=pipeline) == DebateStatus.COMPLETED
    return debate


def test_the_page_is_for_staff_only(owner_client: Client, anon_client: Client) -> None:
    assert owner_client.get(URL).status_code == 403
    response = anon_client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_index_links_the_page_and_folds_dj_stripe(staff_client: Client) -> None:
    response = staff_client.get("/admin/")
    body = response.content.decode()
    assert 'href="/admin/ops/"' in body
    assert "Stripe (dj-stripe)" in body
    # One link to dj-stripe's own app page instead of ~40 model rows.
    assert 'href="/admin/djstripe/"' in body
    assert "/admin/djstripe/customer/" not in body
    assert staff_client.get("/admin/djstripe/").status_code == 200


def test_the_page_shows_a_debate_with_retries_and_an_opened_circuit(
    owner: User, staff_client: Client
) -> None:
    debate_with_retries_and_an_open_circuit(owner)
    stat = ProviderStat.objects.get(model="demo-pragmatist")
    assert stat.calls == 2
    assert stat.errors == 2
    assert stat.errors_by_kind == {"provider_unavailable": 2}
    assert stat.retries == 2
    healthy = ProviderStat.objects.get(model="demo-sage")
    assert healthy.errors == 0
    assert healthy.ttft_count == healthy.calls == 2
    [row] = [h for h in provider_health() if h.model == "demo-pragmatist"]
    assert row.circuit_state == CircuitState.OPEN
    assert row.cooldown_s is not None
    assert row.cooldown_s > 0
    assert row.windows["5m"].error_rate == 1.0

    response = staff_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "demo:demo-pragmatist" in body
    assert "ops-state-open" in body
    assert "provider_unavailable" in body
    assert "2 retries" in body
    assert "No debate is running." in body
    # The charts' data: one line per model, 24 hourly points, no inline script.
    trend = response.context["trend"]
    assert len(trend["labels"]) == 24
    pragmatist = next(s for s in trend["series"] if s["name"] == "demo:demo-pragmatist")
    assert pragmatist["error_rate"][-1] == 100.0
    assert '<script id="ops-trend" type="application/json">' in body
    assert 'src="/static/dist/ops.js"' in body
    assert "<script>" not in body


def test_the_page_shows_refusals_webhook_failures_and_redactions(
    owner: User, staff_client: Client
) -> None:
    metric_increment(name="ratelimit.hit", label="free", amount=7)
    metric_increment(name="quota.exceeded", label="pro", amount=3)
    metric_increment(name="billing.webhook_failed", label="invoice.paid", amount=2)
    factories.make_debate(owner, question=f"{factories.QUESTION} Ask ada@example.com please.")
    context = staff_client.get(URL).context
    assert context["refusals"] == [("free", 7, 0), ("pro", 0, 3)]
    assert context["webhook_failures"] == [("invoice.paid", 2)]
    assert context["redactions"] == [("email", {"hour": 1, "day": 1, "week": 1})]
    body = staff_client.get(URL).content.decode()
    assert "invoice.paid" in body
    assert "<code>free</code>" in body


def test_the_page_shows_running_and_failed_debates_and_the_queue(
    owner: User, staff_client: Client, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    running = factories.make_debate(owner, status=DebateStatus.RUNNING)
    Debate.objects.filter(pk=running.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    failed = factories.make_debate(owner, status=DebateStatus.FAILED)
    Debate.objects.filter(pk=failed.pk).update(
        failure_reason=FailureReason.ALL_SEATS_FAILED, finished_at=timezone.now()
    )
    from debates.queue import enqueue

    enqueue("debates.tasks.run_debate", str(running.pk), "")
    response = staff_client.get(URL)
    context = response.context
    assert context["queue"].measured
    assert context["queue"].waiting == 1
    assert context["queue"].oldest_age_s is not None
    [item] = context["running"]
    assert item["stale"]
    assert item["heartbeat_age_s"] >= 600
    assert [d.pk for d in context["failed"]] == [failed.pk]
    body = response.content.decode()
    assert "all_seats_failed" in body
    assert "ops-stale" in body


def _rq_backend(settings: Any, url: str) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": url}}


@pytest.mark.services
def test_the_rq_backends_queue_is_read_from_redis(staff_client: Client, settings: Any) -> None:
    """A Redis database of its own, so what other tests left in theirs does not count."""
    import django_rq

    _rq_backend(settings, "redis://127.0.0.1:6379/14")
    # Enqueued at once, not when the test's transaction commits (it never does).
    queue = django_rq.get_queue("default", commit_mode="auto")
    queue.connection.flushdb()
    try:
        assert staff_client.get(URL).context["queue"].waiting == 0
        # Two tasks nobody runs (no worker listens to this database).
        queue.enqueue_call(func="os.getcwd")
        queue.enqueue_call(func="os.getcwd")
        response = staff_client.get(URL)
        state = response.context["queue"]
        assert (state.measured, state.waiting, state.running) == (True, 2, 0)
        assert state.oldest_age_s is not None
        assert 0 <= state.oldest_age_s < 60
        assert "Oldest waiting task" in response.content.decode()
    finally:
        queue.connection.flushdb()


def test_an_unreachable_redis_is_said_and_the_page_still_answers(
    staff_client: Client, settings: Any
) -> None:
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    _rq_backend(settings, "redis://127.0.0.1:1/0")
    response = staff_client.get(URL)
    assert response.status_code == 200
    assert response.context["queue"].unreachable
    assert "Redis does not answer" in response.content.decode()


def test_circuit_buttons_reset_and_force_open_with_an_audit_entry(
    owner: User, staff: User, staff_client: Client
) -> None:
    debate_with_retries_and_an_open_circuit(owner)
    target = {"provider": "demo", "model": "demo-pragmatist"}
    response = staff_client.post("/admin/ops/circuit/", {**target, "action": "reset"})
    assert response.status_code == 302
    assert CircuitBreaker.objects.get(**target).state == CircuitState.CLOSED
    staff_client.post("/admin/ops/circuit/", {**target, "action": "open"})
    breaker = CircuitBreaker.objects.get(**target)
    assert breaker.state == CircuitState.OPEN
    assert breaker.last_error == "forced_open"
    entries = list(AuditEntry.objects.filter(action__startswith="circuit.").order_by("created_at"))
    assert [(e.action, e.actor, e.data) for e in entries] == [
        ("circuit.reset", staff, target),
        ("circuit.force_open", staff, target),
    ]


def test_circuit_actions_need_post_csrf_and_the_permission(owner: User) -> None:
    viewer = make_user(email="viewer@example.com", password=PASSWORD, is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    assert client.get("/admin/ops/circuit/").status_code == 405
    target = {"provider": "demo", "model": "demo-sage", "action": "open"}
    assert client.post("/admin/ops/circuit/", target).status_code == 403  # no CSRF token
    trusted = Client()
    trusted.force_login(viewer)
    assert trusted.post("/admin/ops/circuit/", target).status_code == 403  # no permission
    assert not CircuitBreaker.objects.filter(state=CircuitState.OPEN).exists()
    # Staff without the permission see the page without the buttons.
    body = trusted.get(URL).content.decode()
    assert 'value="open"' not in body
    assert json.loads(body.split('id="ops-trend" type="application/json">')[1].split("<")[0])
