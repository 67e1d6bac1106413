"""Billing attached at the debate's two ends: the quota reserved at creation (shape, monthly
quota, no over-admission), the usage metered per model and settled once at finalization,
released for a cancelled debate, and the plan's concurrency queueing debates, never refusing."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.tasks import task_backends
from django.tasks.backends.dummy import DummyBackend
from django.test import Client
from django.utils import timezone

from accounts.models import Team, User
from billing.limits import period_for
from billing.models import Plan, QuotaReservation, ReservationStatus, UsageRecord
from billing.tests.factories import put_on_plan
from consultation.exceptions import PlanRestriction, QuotaExceeded
from debates.models import Debate, DebateModelUsage, DebateStatus, LLMModel, Turn
from debates.orchestration.engine import DebatePipeline
from debates.providers.base import CompletionRequest
from debates.services.creation import debate_cancel
from debates.services.running import debate_run
from debates.tests import factories
from debates.tests.fakes import ScriptedProvider
from ops.metrics import metric_totals

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("every_event_is_typed")]

SEAT_MODELS = ["demo:demo-sage", "demo:demo-skeptic"]
make_debate = partial(
    factories.make_debate, models=SEAT_MODELS, judges=("demo:demo-scout",), chair="demo:demo-scout"
)


@pytest.fixture(autouse=True)
def _fast_pipeline(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0
    settings.DEBATE_MIN_REQUIRED_SEATS = 2


def run(debate: Debate, provider: ScriptedProvider | None = None) -> str | None:
    pipeline = DebatePipeline(
        providers=lambda _name: provider or ScriptedProvider(),
        sleep=_no_sleep,
        heartbeat_s=3600,
    )
    return async_to_sync(debate_run)(debate.pk, pipeline=pipeline)


async def _no_sleep(_seconds: float) -> None:
    return None


def priced(key: str, price_in: str, price_out: str) -> None:
    LLMModel.objects.filter(key=key).update(
        price_in_per_mtok=Decimal(price_in), price_out_per_mtok=Decimal(price_out)
    )


# --- Reservation at creation ------------------------------------------------------------------


def test_creation_reserves_one_debate_with_its_estimate(owner: User) -> None:
    priced("demo:demo-sage", "1", "2")
    debate = make_debate(owner, rounds=1)
    reservation = QuotaReservation.objects.get(debate_id=debate.pk)
    assert reservation.status == ReservationStatus.RESERVED
    assert reservation.plan_slug == "free"
    assert reservation.tokens > 0
    assert reservation.cost_usd > 0


def test_the_months_last_debate_is_refused_and_nothing_is_saved(owner: User) -> None:
    for _ in range(20):
        make_debate(owner, rounds=1)
    with pytest.raises(QuotaExceeded) as refused:
        make_debate(owner, rounds=1, question="One debate too many this month?")
    assert str(refused.value.detail) == "You reached 20 of 20 debates this month on the Free plan."
    assert Debate.objects.count() == 20
    assert QuotaReservation.objects.count() == 20
    # Counted for the ops page by plan, after the refused transaction rolled back.
    since = timezone.now() - timedelta(minutes=5)
    assert metric_totals(name="quota.exceeded", since=since) == {"free": 1}


def test_a_panel_beyond_the_plan_is_refused(owner: User) -> None:
    with pytest.raises(PlanRestriction):
        factories.make_debate(owner, models=["demo:demo-sage"] * 6)
    with pytest.raises(PlanRestriction):
        make_debate(owner, rounds=4)
    assert not Debate.objects.exists()


def test_an_upgrade_lifts_the_limits_at_once(owner: User) -> None:
    put_on_plan(factories.personal_team(owner), "pro")
    debate = factories.make_debate(owner, models=["demo:demo-sage"] * 6, rounds=5)
    assert debate.seats.count() == 6


def test_a_cost_cap_bounds_the_reservation(owner: User) -> None:
    priced("demo:demo-sage", "100", "100")
    debate = make_debate(owner, rounds=1, cost_cap_usd=Decimal("0.01"))
    assert QuotaReservation.objects.get(debate_id=debate.pk).cost_usd == Decimal("0.01")


# --- Metering and settlement ------------------------------------------------------------------


def test_a_finished_debate_writes_one_usage_record_per_model(owner: User) -> None:
    priced("demo:demo-sage", "1", "2")
    debate = make_debate(owner, rounds=1)
    assert run(debate) == DebateStatus.COMPLETED
    records = {r.model_key: r for r in UsageRecord.objects.filter(debate_id=debate.pk)}
    assert set(records) == {"demo:demo-sage", "demo:demo-skeptic", "demo:demo-scout"}
    # Two turns per seat (opening and one rebuttal); the scout judged once and chaired once.
    assert records["demo:demo-sage"].calls == 2
    assert records["demo:demo-scout"].calls == 2
    sage = records["demo:demo-sage"]
    assert (sage.input_tokens, sage.output_tokens) == (200, 100)  # the fake's 100/50 a call
    assert sage.cost_usd == Decimal("0.000400")  # (200 x $1 + 100 x $2) per million
    debate.refresh_from_db()
    assert sum(r.tokens for r in records.values()) == debate.input_tokens + debate.output_tokens
    reservation = QuotaReservation.objects.get(debate_id=debate.pk)
    assert reservation.status == ReservationStatus.SETTLED
    assert reservation.tokens == debate.input_tokens + debate.output_tokens
    assert reservation.cost_usd == debate.cost_usd


class Crash(BaseException):
    """A worker killed mid-call."""


def test_a_resumed_debate_is_counted_once(owner: User) -> None:
    debate = make_debate(owner, rounds=1)

    def crash(request: CompletionRequest) -> None:
        if "[round:1]" in request.messages[-1].content:
            raise Crash

    with pytest.raises(Crash):
        run(debate, ScriptedProvider(before=_async(crash)))
    Debate.objects.filter(pk=debate.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert run(debate) == DebateStatus.COMPLETED
    assert run(debate) is None  # a duplicate run after the end changes nothing
    debate.refresh_from_db()
    assert debate.attempts == 2
    lines = DebateModelUsage.objects.filter(debate=debate)
    # Each stored turn was metered once: the crashed call produced nothing.
    turns = Turn.objects.filter(debate=debate).count()
    assert sum(line.calls for line in lines if line.llm_model.key != "demo:demo-scout") == turns
    records = UsageRecord.objects.filter(debate_id=debate.pk)
    assert records.count() == 3
    assert sum(r.tokens for r in records) == debate.input_tokens + debate.output_tokens
    assert QuotaReservation.objects.get(debate_id=debate.pk).status == ReservationStatus.SETTLED


def _async(check: Callable[[CompletionRequest], None]) -> Any:
    async def before(request: CompletionRequest) -> None:
        check(request)

    return before


def test_a_debate_cancelled_while_queued_releases_its_reservation(owner: User) -> None:
    debate = make_debate(owner)
    debate_cancel(debate=debate)
    reservation = QuotaReservation.objects.get(debate_id=debate.pk)
    assert reservation.status == ReservationStatus.RELEASED
    assert not UsageRecord.objects.filter(debate_id=debate.pk).exists()
    from billing.limits import quota_status

    assert quota_status(team=debate.team).debates.used == 0


def test_a_debate_cancelled_while_running_releases_the_debate_but_counts_its_tokens(
    owner: User,
) -> None:
    debate = make_debate(owner)

    async def cancel_in_round_one(request: CompletionRequest) -> None:
        if "[round:1]" in request.messages[-1].content:
            await Debate.objects.filter(pk=debate.pk).aupdate(cancel_requested=True)

    assert run(debate, ScriptedProvider(before=cancel_in_round_one)) == DebateStatus.CANCELLED
    debate.refresh_from_db()
    reservation = QuotaReservation.objects.get(debate_id=debate.pk)
    assert reservation.status == ReservationStatus.RELEASED
    assert reservation.tokens == debate.input_tokens + debate.output_tokens > 0
    assert UsageRecord.objects.filter(debate_id=debate.pk).exists()


def request_model(request: CompletionRequest) -> str:
    return str(request.model)


def test_a_debate_failing_before_any_output_releases_its_reservation(owner: User) -> None:
    from debates.providers.base import ProviderAuthError

    debate = make_debate(owner)

    def refuse(_request: CompletionRequest) -> None:
        raise ProviderAuthError("demo", request_model(_request), "bad key")

    assert run(debate, ScriptedProvider(before=_async(refuse))) == DebateStatus.FAILED
    assert QuotaReservation.objects.get(debate_id=debate.pk).status == ReservationStatus.RELEASED


# --- Concurrency: queued for the team, never refused ------------------------------------------


def test_a_debate_over_the_plans_concurrency_waits_and_starts_when_a_slot_frees(
    owner: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    first, second = make_debate(owner, rounds=1), make_debate(owner, rounds=1)
    Debate.objects.filter(pk=first.pk).update(
        status=DebateStatus.RUNNING, heartbeat_at=timezone.now()
    )
    # Free runs one debate at a time: the second stays queued.
    assert run(second) is None
    second.refresh_from_db()
    assert second.status == DebateStatus.QUEUED
    # When the first one ends, the second is asked for again...
    Debate.objects.filter(pk=first.pk).update(status=DebateStatus.QUEUED)
    with django_capture_on_commit_callbacks(execute=True):
        assert run(first) == DebateStatus.COMPLETED
    backend = task_backends["default"]
    assert isinstance(backend, DummyBackend)
    runs = [r.args[0] for r in backend.results if r.task.name == "run_debate"]
    assert runs == [str(second.pk)]
    # ...and now runs.
    assert run(second) == DebateStatus.COMPLETED


def test_a_team_s_debates_start_in_the_order_they_were_asked_for(owner: User) -> None:
    # A worker may take several tasks at once, so the younger debate's claim can come first:
    # it must leave the one free slot to the older debate.
    older, younger = make_debate(owner, rounds=1), make_debate(owner, rounds=1)
    assert run(younger) is None
    younger.refresh_from_db()
    assert younger.status == DebateStatus.QUEUED
    assert run(older) == DebateStatus.COMPLETED
    assert run(younger) == DebateStatus.COMPLETED


def test_another_team_is_not_held_up(owner: User, outsider: User) -> None:
    busy = make_debate(owner, rounds=1)
    Debate.objects.filter(pk=busy.pk).update(
        status=DebateStatus.RUNNING, heartbeat_at=timezone.now()
    )
    other = make_debate(outsider, rounds=1)
    assert run(other) == DebateStatus.COMPLETED


def test_the_page_of_a_waiting_debate_shows_its_place_in_the_queue(
    owner: User, owner_client: Client, team: Team
) -> None:
    running = make_debate(owner, rounds=1)
    Debate.objects.filter(pk=running.pk).update(
        status=DebateStatus.RUNNING, heartbeat_at=timezone.now()
    )
    first, second = make_debate(owner, rounds=1), make_debate(owner, rounds=1)
    page = owner_client.get(f"/debates/{second.pk}/live/").content.decode()
    assert "number 2 in your team's queue" in page
    assert "Free" in page
    del first


# --- The API's refusals -----------------------------------------------------------------------

API_PANEL = [
    {"model": "demo:demo-sage", "role": "proponent"},
    {"model": "demo:demo-skeptic", "role": "skeptic"},
]


def test_the_api_refuses_a_used_up_month_with_429_and_the_quota_body(
    owner: User, owner_client: Client
) -> None:
    for _ in range(20):
        make_debate(owner, rounds=1)
    response = owner_client.post(
        "/api/v1/debates/",
        {"question": "One debate too many this month?", "seats": API_PANEL, "rounds": 1},
        "application/json",
    )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert body["detail"] == "You reached 20 of 20 debates this month on the Free plan."
    assert (body["limit"], body["used"], body["upgrade_url"]) == (20, 20, "/pricing/")
    assert body["reset_at"] == period_for(None).end.isoformat()  # the next month's first day
    assert Debate.objects.count() == 20


def test_the_api_refuses_a_panel_beyond_the_plan_with_403_naming_the_plan(
    owner_client: Client,
) -> None:
    response = owner_client.post(
        "/api/v1/debates/",
        {"question": "A question for six seats at once?", "seats": API_PANEL * 3, "rounds": 1},
        "application/json",
    )
    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["plan"], body["required_plan"]) == (
        "plan_restriction",
        "free",
        "pro",
    )
    assert not Debate.objects.exists()


def test_exports_follow_the_plans_flag(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner, rounds=1)
    assert owner_client.get(f"/debates/{debate.pk}/export.md").status_code == 200
    Plan.objects.filter(slug="free").update(exports_enabled=False)
    response = owner_client.get(f"/debates/{debate.pk}/export.md")
    assert response.status_code == 403
    assert "does not include exports" in response.content.decode()
    assert "data-limit-banner" in response.content.decode()
    assert owner_client.get(f"/debates/{debate.pk}/export.json").status_code == 403
    page = owner_client.get(f"/debates/{debate.pk}/").content.decode()
    assert "Export as Markdown" not in page
    assert "Your plan does not include exports." in page


# --- Log events (ops/events.py) ---------------------------------------------------------------


def test_settling_logs_billing_usage_recorded(owner: User, log_events: Any) -> None:
    debate = make_debate(owner, rounds=1)
    run(debate)
    debate.refresh_from_db()
    log_events.assert_event(
        "billing.usage_recorded",
        team_id=str(debate.team_id),
        debate_id=str(debate.pk),
        input_tokens=debate.input_tokens,
        output_tokens=debate.output_tokens,
    )


def test_a_refused_debate_logs_quota_exceeded(owner: User, log_events: Any) -> None:
    Plan.objects.filter(slug="free").update(debates_per_month=0)
    with pytest.raises(QuotaExceeded):
        make_debate(owner, rounds=1)
    log_events.assert_event("quota.exceeded", plan="free", quota="debates", limit=0, used=0)
