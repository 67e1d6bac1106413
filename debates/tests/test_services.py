"""Creating, cancelling and recovering debates: validation and side effects."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Team, User
from consultation.exceptions import Conflict, ValidationFailed
from debates.models import Debate, DebateStatus, LLMModel, Seat
from debates.services.creation import (
    SeatInput,
    debate_cancel,
    debate_create,
    debate_recover_stale,
    seats_from_preset,
)
from debates.services.panel import judges_and_chair

pytestmark = pytest.mark.django_db

QUESTION = "Should a 20-person startup adopt a four-day week?"


def personal(user: User) -> Team:
    return Team.objects.get(created_by=user, is_personal=True)


def seats(*keys: str) -> list[SeatInput]:
    return [SeatInput(model=key, role="proponent") for key in keys]


def create(owner: User, **overrides: Any) -> Debate:
    options: dict[str, Any] = {
        "user": owner,
        "team": personal(owner),
        "question": QUESTION,
        "seats": seats("demo:demo-sage", "demo:demo-skeptic"),
    }
    options.update(overrides)
    return debate_create(**options)


def field_errors(**overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as raised:
        create(**overrides)
    return dict(raised.value.extra["fields"])


def test_create_saves_a_queued_debate_with_its_panel(owner: User) -> None:
    debate = create(owner, rounds=3, category="business")

    assert debate.status == DebateStatus.QUEUED
    assert debate.uses_demo
    assert debate.language == "en"
    assert debate.chair_model.key == "demo:demo-pragmatist"
    assert [j.key for j in debate.judge_models.all()] == ["demo:demo-pragmatist"]
    assert list(Seat.objects.filter(debate=debate).values_list("position", "llm_model__key")) == [
        (0, "demo:demo-sage"),
        (1, "demo:demo-skeptic"),
    ]


@pytest.fixture
def queued_tasks(settings: Any) -> Any:
    """Tasks are recorded, not run: the dummy backend keeps what was enqueued."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    return default_task_backend


def enqueued(backend: Any) -> list[tuple[str, list[Any]]]:
    return [(result.task.name, list(result.args)) for result in backend.results]


def test_create_enqueues_the_run_on_commit(
    owner: User, django_capture_on_commit_callbacks: Any, queued_tasks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        debate = create(owner)
    assert enqueued(queued_tasks) == [("run_debate", [str(debate.pk), ""])]


def test_create_detects_a_turkish_question(owner: User) -> None:
    debate = create(owner, question="Şirketimiz dört günlük çalışma haftasına geçmeli mi?")
    assert debate.language == "tr"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"question": "too short"}, "question"),
        ({"question": "x" * 5001}, "question"),
        ({"seats": seats("demo:demo-sage")}, "seats"),
        ({"seats": seats(*["demo:demo-sage"] * 9)}, "seats"),
        ({"rounds": 0}, "rounds"),
        ({"rounds": 6}, "rounds"),
        ({"seats": seats("demo:demo-sage", "demo:nope")}, "seats"),
        ({"seats": seats("demo:demo-sage", "openai:gpt-5")}, "seats"),
        (
            {
                "seats": [
                    SeatInput("demo:demo-sage", "king"),
                    SeatInput("demo:demo-scout", "skeptic"),
                ]
            },
            "seats",
        ),
        (
            {
                "seats": [
                    SeatInput("demo:demo-sage", "custom"),
                    SeatInput("demo:demo-scout", "skeptic"),
                ]
            },
            "seats",
        ),
        (
            {
                "seats": [
                    SeatInput("demo:demo-sage", "skeptic", 2.5),
                    SeatInput("demo:demo-scout", "skeptic"),
                ]
            },
            "seats",
        ),
        ({"judges": ["anthropic:claude-opus-4-6"]}, "judges"),
        ({"chair": "demo:unknown"}, "chair"),
        ({"category": "astrology"}, "category"),
        ({"cost_cap_usd": Decimal(0)}, "cost_cap_usd"),
        ({"max_seat_fail_ratio": 1.5}, "max_seat_fail_ratio"),
        ({"min_required_seats": 3}, "min_required_seats"),
    ],
)
def test_create_refuses_bad_input_and_changes_nothing(
    owner: User, overrides: dict[str, Any], field: str
) -> None:
    errors = field_errors(owner=owner, **overrides)
    assert field in errors
    assert not Debate.objects.exists()


def test_disabled_model_is_refused(owner: User) -> None:
    LLMModel.objects.filter(key="demo:demo-skeptic").update(enabled=False)
    assert "seats" in field_errors(owner=owner)


def test_model_of_a_configured_provider_is_accepted(owner: User, settings: Any) -> None:
    settings.LLM_PROVIDERS = ["demo", "openai"]
    debate = create(owner, seats=seats("openai:gpt-5-mini", "demo:demo-sage"))
    assert Seat.objects.get(debate=debate, position=0).llm_model.key == "openai:gpt-5-mini"


def test_preset_picks_the_first_available_model_of_each_seat(settings: Any) -> None:
    assert [s.model for s in seats_from_preset("balanced-trio")] == [
        "demo:demo-sage",
        "demo:demo-skeptic",
        "demo:demo-pragmatist",
    ]
    settings.LLM_PROVIDERS = ["demo", "anthropic"]
    assert seats_from_preset("balanced-trio")[1].model == "anthropic:claude-sonnet-4-6"


def test_unknown_preset_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed):
        seats_from_preset("nope")


def test_cancel_a_queued_debate_finishes_it_at_once(owner: User) -> None:
    debate = debate_cancel(debate=create(owner))
    assert debate.status == DebateStatus.CANCELLED
    assert debate.finalized_at is not None
    assert debate.events.get().type == "debate.cancelled"


def test_cancel_a_running_debate_asks_the_runner(owner: User) -> None:
    debate = create(owner)
    Debate.objects.filter(pk=debate.pk).update(status=DebateStatus.RUNNING)
    debate = debate_cancel(debate=debate)
    assert debate.status == DebateStatus.RUNNING
    assert debate.cancel_requested


def test_cancel_a_finished_debate_is_a_conflict(owner: User) -> None:
    debate = create(owner)
    Debate.objects.filter(pk=debate.pk).update(status=DebateStatus.COMPLETED)
    with pytest.raises(Conflict):
        debate_cancel(debate=debate)


def test_recover_re_enqueues_only_stale_running_debates(owner: User, queued_tasks: Any) -> None:
    stale, alive, queued = create(owner), create(owner), create(owner)
    now = timezone.now()
    Debate.objects.filter(pk=stale.pk).update(
        status=DebateStatus.RUNNING, heartbeat_at=now - timedelta(minutes=5)
    )
    Debate.objects.filter(pk=alive.pk).update(status=DebateStatus.RUNNING, heartbeat_at=now)
    assert debate_recover_stale() == [stale.pk]
    assert enqueued(queued_tasks) == [("run_debate", [str(stale.pk), ""])]
    assert queued.status == DebateStatus.QUEUED


@pytest.mark.usefixtures("pro_by_default")  # Pro runs three at once
def test_recover_restarts_debates_left_waiting_while_their_team_has_a_slot(
    owner: User, queued_tasks: Any
) -> None:
    old_one, old_two, fresh = create(owner), create(owner), create(owner)
    long_ago = timezone.now() - timedelta(hours=1)
    Debate.objects.filter(pk__in=[old_one.pk, old_two.pk]).update(created_at=long_ago)
    running = create(owner)
    Debate.objects.filter(pk=running.pk).update(
        status=DebateStatus.RUNNING, heartbeat_at=timezone.now()
    )
    Debate.objects.filter(pk=old_one.pk).update(created_at=long_ago - timedelta(minutes=1))
    # One of three slots is taken: the two oldest waiting debates are asked for again.
    assert debate_recover_stale() == [old_one.pk, old_two.pk]
    Debate.objects.filter(pk__in=[fresh.pk, old_two.pk]).update(status=DebateStatus.RUNNING)
    # Now all three slots are taken: the one still waiting stays waiting.
    assert debate_recover_stale() == []


def chair_of(panel: list[str]) -> str:
    return judges_and_chair(panel=panel)[1]


def test_default_chair_is_a_model_without_a_seat(settings: Any) -> None:
    settings.LLM_PROVIDERS = ["demo", "openai"]
    assert chair_of(["demo:demo-sage", "demo:demo-skeptic"]) == "demo:demo-pragmatist"
    # A real panel gets a real chair, the advanced tier first.
    assert chair_of(["openai:gpt-5-mini", "demo:demo-sage"]) == "openai:gpt-4.1"
    settings.LLM_PROVIDERS = ["demo"]
    every_demo = ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-pragmatist", "demo:demo-scout"]
    assert chair_of(every_demo) == "demo:demo-sage"


def test_judges_and_chair_keep_what_was_asked_else_the_settings(settings: Any) -> None:
    settings.DEBATE_DEFAULT_JUDGES = ["demo:demo-scout"]
    panel = ["demo:demo-sage", "demo:demo-skeptic"]
    assert judges_and_chair(panel=panel, judges=["a", "b", "a"], chair="c") == (["a", "b"], "c")
    assert judges_and_chair(panel=panel)[0] == ["demo:demo-scout"]
