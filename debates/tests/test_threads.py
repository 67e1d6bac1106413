"""Threads of debates: follow-up questions to the same panel, forks from round k (copied, not
re-billed), and the claim diff of the compare page."""

from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from billing.models import QuotaReservation, UsageRecord
from consultation.exceptions import Conflict, ValidationFailed
from debates import compare
from debates.models import (
    ContextKind,
    Debate,
    DebateEvent,
    DebateModelUsage,
    DebateStatus,
    EventType,
    LLMModel,
    Turn,
)
from debates.orchestration.engine import DebatePipeline
from debates.providers.base import CompletionRequest
from debates.services.creation import SeatInput
from debates.services.running import debate_run
from debates.services.threads import debate_follow_up, debate_fork, thread_of
from debates.tests import factories
from debates.tests.fakes import ScriptedProvider
from ratings.models import PairwiseOutcome

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("every_event_is_typed")]

SEAT_MODELS = ["demo:demo-sage", "demo:demo-skeptic"]
make_debate = partial(
    factories.make_debate, models=SEAT_MODELS, judges=("demo:demo-scout",), chair="demo:demo-scout"
)


@pytest.fixture(autouse=True)
def _fast_pipeline(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0
    settings.DEBATE_MIN_REQUIRED_SEATS = 2


async def _no_sleep(_seconds: float) -> None:
    return None


def run(debate: Debate, provider: ScriptedProvider | None = None) -> Debate:
    pipeline = DebatePipeline(
        providers=lambda _name: provider or ScriptedProvider(), sleep=_no_sleep, heartbeat_s=3600
    )
    async_to_sync(debate_run)(debate.pk, pipeline=pipeline)
    debate.refresh_from_db()
    return debate


def finished(owner: User, **options: Any) -> Debate:
    return run(make_debate(owner, **options))


def _user_text(request: CompletionRequest) -> str:
    return request.messages[-1].content


def _task(request: CompletionRequest) -> str:
    system = request.messages[0].content
    return next(task for task in ("turn", "judge", "synthesis") if f"[task:{task}]" in system)


# --- Follow-ups ------------------------------------------------------------------------------


def test_a_follow_up_asks_the_same_panel_with_the_earlier_answer_fenced_as_context(
    owner: User,
) -> None:
    first = finished(owner, rounds=1)
    follow_up = debate_follow_up(
        user=owner, parent=first, question="And what if we have only five people?"
    )
    assert follow_up.follow_up_of_id == first.pk
    assert [(s.position, s.llm_model.key, s.role) for s in follow_up.seats.all()] == [
        (s.position, s.llm_model.key, s.role) for s in first.seats.all()
    ]
    assert follow_up.chair_model_id == first.chair_model_id
    assert QuotaReservation.objects.filter(debate_id=follow_up.pk).exists()
    (doc,) = follow_up.documents.all()
    assert doc.kind == ContextKind.PREVIOUS_ANSWER
    assert "Run a three-month pilot." in doc.text

    provider = ScriptedProvider()
    run(follow_up, provider)
    for request in provider.requests:
        text = _user_text(request)
        # Every prompt (turns, judges, chair) carries it, inside its tag and the fence.
        assert '<document name="earlier-answer.md" kind="previous_answer">' in text
        block = text.split('kind="previous_answer">', 1)[1].split("</document>", 1)[0]
        assert block.strip().startswith("<<<")
        assert follow_up.fence in block
        assert "Run a three-month pilot." in block
    assert {_task(r) for r in provider.requests} == {"turn", "judge", "synthesis"}


def test_a_follow_up_gives_the_transcript_only_on_request(owner: User) -> None:
    first = finished(owner, rounds=1)
    plain = debate_follow_up(user=owner, parent=first, question="A plain follow-up question?")
    full = debate_follow_up(
        user=owner, parent=first, question="A follow-up with everything?", include_transcript=True
    )
    assert [d.kind for d in plain.documents.all()] == [ContextKind.PREVIOUS_ANSWER]
    kinds = [d.kind for d in full.documents.all()]
    assert kinds == [ContextKind.PREVIOUS_ANSWER, ContextKind.PREVIOUS_TRANSCRIPT]
    transcript = full.documents.get(kind=ContextKind.PREVIOUS_TRANSCRIPT).text
    assert "Seat A, opening" in transcript
    assert "Seat B, rebuttal 1" in transcript
    # The reservation counts the context: the longer one reserves more tokens.
    reservations = QuotaReservation.objects.filter(debate_id__in=[plain.pk, full.pk])
    reserved = {r.debate_id: r.tokens for r in reservations}
    assert reserved[full.pk] > reserved[plain.pk]


def test_only_a_debate_with_an_answer_can_be_followed_up(owner: User) -> None:
    queued = make_debate(owner, rounds=1)
    with pytest.raises(Conflict):
        debate_follow_up(user=owner, parent=queued, question="Too early for this one?")
    assert Debate.objects.filter(follow_up_of=queued).count() == 0


def test_a_thread_lists_earlier_and_later_questions_in_order(owner: User) -> None:
    first = finished(owner, rounds=1)
    second = run(debate_follow_up(user=owner, parent=first, question="Second question here?"))
    third = debate_follow_up(user=owner, parent=second, question="Third question here?")
    assert [d.pk for d in thread_of(debate=second)] == [first.pk, second.pk, third.pk]
    assert [d.pk for d in thread_of(debate=first)] == [first.pk, second.pk, third.pk]


def test_a_follow_up_keeps_its_creators_placeholders_but_not_anothers(
    owner: User, member: User
) -> None:
    first = finished(owner, rounds=1, question="Should jane.doe@example.com lead the pilot?")
    assert "[EMAIL_1]" in first.question
    mine = debate_follow_up(user=owner, parent=first, question="And ops@example.org as deputy?")
    assert mine.pii_map["originals"].get("[EMAIL_1]") == "jane.doe@example.com"
    assert "[EMAIL_2]" in mine.question
    Debate.objects.filter(pk=first.pk).update(shared_with_team=True)
    team_debate = make_debate(owner, team=first.team, rounds=1)
    del team_debate  # the member sees the shared one: their follow-up holds no originals
    theirs = debate_follow_up(user=member, parent=first, question="Can the team follow this?")
    assert "jane.doe@example.com" not in str(theirs.pii_map)


def test_the_follow_up_form_on_the_page_starts_the_follow_up(
    owner: User, owner_client: Client
) -> None:
    first = finished(owner, rounds=1)
    page = owner_client.get(reverse("debate-detail", args=[first.pk]))
    assert b'action="%s"' % reverse("debate-follow-up", args=[first.pk]).encode() in page.content
    response = owner_client.post(
        reverse("debate-follow-up", args=[first.pk]),
        {"question": "What would change with a remote team?", "include_transcript": "on"},
    )
    follow_up = Debate.objects.get(follow_up_of=first)
    assert response.status_code == 302
    assert response["Location"] == reverse("debate-live", args=[follow_up.pk])
    assert follow_up.documents.count() == 2
    page = owner_client.get(reverse("debate-detail", args=[follow_up.pk]))
    assert first.question.encode() in page.content  # the thread shows the earlier question


def test_the_api_asks_a_follow_up(owner: User, owner_client: Client) -> None:
    first = finished(owner, rounds=1)
    response = owner_client.post(
        "/api/v1/debates/",
        {"question": "What about a bigger company?", "follow_up_of": str(first.pk)},
        content_type="application/json",
    )
    assert response.status_code == 202, response.json()
    follow_up = Debate.objects.get(pk=response.json()["id"])
    assert follow_up.follow_up_of_id == first.pk
    detail = owner_client.get(f"/api/v1/debates/{follow_up.pk}/").json()
    assert detail["follow_up_of"] == str(first.pk)
    assert detail["documents"][0]["kind"] == "previous_answer"
    refused = owner_client.post(
        "/api/v1/debates/",
        {"question": "Seats and a follow-up?", "follow_up_of": str(first.pk), "preset": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_failed"


# --- Forks -----------------------------------------------------------------------------------


def priced(key: str, price_in: str, price_out: str) -> None:
    LLMModel.objects.filter(key=key).update(
        price_in_per_mtok=Decimal(price_in), price_out_per_mtok=Decimal(price_out)
    )


def test_a_forked_debate_bills_only_its_new_calls(owner: User) -> None:
    for key in ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-scout", "demo:demo-pragmatist"]:
        priced(key, "1", "2")
    original = finished(owner, rounds=2)
    assert original.status == DebateStatus.COMPLETED
    provider = ScriptedProvider()
    fork = debate_fork(
        user=owner,
        original=original,
        from_round=1,
        seats=[
            SeatInput("demo:demo-pragmatist", "proponent"),
            SeatInput("demo:demo-skeptic", "skeptic"),
        ],
    )
    assert fork.forked_from_id == original.pk
    assert fork.fork_round == 1
    fork = run(fork, provider)
    assert fork.status == DebateStatus.COMPLETED

    # No opening was generated again: the new calls are 2 seats x 2 rounds, 1 judge, 1 chair.
    turn_rounds = sorted(
        int(_user_text(r).split("[round:")[1].split("]")[0])
        for r in provider.requests
        if _task(r) == "turn"
    )
    assert turn_rounds == [1, 1, 2, 2]
    new_calls = len(provider.requests)
    assert new_calls == 6
    lines = DebateModelUsage.objects.filter(debate=fork)
    assert sum(line.calls for line in lines) == new_calls
    # Each scripted call is 100 tokens in and 50 out: the fork's usage is its calls alone.
    assert sum(line.input_tokens for line in lines) == 100 * new_calls
    assert fork.input_tokens == 100 * new_calls
    records = UsageRecord.objects.filter(debate_id=fork.pk)
    assert sum(r.input_tokens for r in records) == 100 * new_calls
    assert sum(r.cost_usd for r in records) == fork.cost_usd
    assert fork.cost_usd == sum(line.cost_usd for line in lines) > 0
    reservation = QuotaReservation.objects.get(debate_id=fork.pk)
    assert reservation.status == "settled"
    assert reservation.tokens == 150 * new_calls

    # The copied opening is the original's, marked as such, costing nothing.
    copies = Turn.objects.filter(debate=fork, round=0).order_by("seat__position")
    originals = Turn.objects.filter(debate=original, round=0).order_by("seat__position")
    assert [t.content for t in copies] == [t.content for t in originals]
    assert [t.copied_from_id for t in copies] == [t.pk for t in originals]
    assert all(t.input_tokens == 0 and t.cost_usd == 0 for t in copies)
    # Round 1 of the fork saw the copied opening as its history.
    first_rebuttal = next(r for r in provider.requests if "[round:1]" in _user_text(r))
    assert originals[0].content in _user_text(first_rebuttal)


def test_the_fork_log_shows_the_copied_turns_then_the_fork_marker(owner: User) -> None:
    original = finished(owner, rounds=2)
    fork = run(debate_fork(user=owner, original=original, from_round=2))
    types = list(
        DebateEvent.objects.filter(debate=fork).order_by("seq").values_list("type", "payload")
    )
    marker = next(i for i, (kind, _p) in enumerate(types) if kind == EventType.DEBATE_FORKED)
    copied = types[:marker]
    assert [k for k, _p in copied].count(EventType.TURN_COMPLETED) == 4  # 2 seats x rounds 0, 1
    assert types[marker][1] == {"forked_from": str(original.pk), "round": 2, "copied_turns": 4}
    copied_payloads = [p for k, p in copied if k == EventType.TURN_COMPLETED]
    assert {p["copied_from_model"] for p in copied_payloads} == {"Demo Sage", "Demo Skeptic"}
    assert all(p["cost_usd"] == "0" for p in copied_payloads)
    started = [p for k, p in types[marker:] if k == EventType.STAGE_STARTED]
    assert started[0] == {"stage": "rebuttal", "round": 2}
    # The pipeline ran no copied round again.
    assert not any(p.get("round") in (0, 1) for p in started)


def test_a_fork_keeps_the_number_of_seats_and_needs_a_finished_debate(owner: User) -> None:
    original = finished(owner, rounds=1)
    with pytest.raises(ValidationFailed) as refused:
        debate_fork(
            user=owner,
            original=original,
            from_round=1,
            seats=[SeatInput(key, "proponent") for key in [*SEAT_MODELS, "demo:demo-scout"]],
        )
    assert "seats" in refused.value.extra["fields"]
    with pytest.raises(ValidationFailed) as refused:
        debate_fork(user=owner, original=original, from_round=3)
    assert "from_round" in refused.value.extra["fields"]
    with pytest.raises(Conflict):
        debate_fork(user=owner, original=make_debate(owner, rounds=1), from_round=1)
    assert Debate.objects.filter(forked_from=original).count() == 0
    # From the opening nothing is copied, so any panel goes.
    fork = debate_fork(
        user=owner,
        original=original,
        from_round=0,
        seats=[SeatInput(key, "proponent") for key in [*SEAT_MODELS, "demo:demo-scout"]],
    )
    assert fork.turns.count() == 0


def test_a_fork_whose_seat_changed_model_feeds_no_rating(owner: User) -> None:
    original = finished(owner, rounds=1)
    assert PairwiseOutcome.objects.filter(debate_id=original.pk).exists()
    same = run(debate_fork(user=owner, original=original, from_round=1))
    assert PairwiseOutcome.objects.filter(debate_id=same.pk).exists()
    mixed = run(
        debate_fork(
            user=owner,
            original=original,
            from_round=1,
            seats=[
                SeatInput("demo:demo-pragmatist", "proponent"),
                SeatInput(SEAT_MODELS[1], "skeptic"),
            ],
        )
    )
    assert mixed.status == DebateStatus.COMPLETED
    assert not PairwiseOutcome.objects.filter(debate_id=mixed.pk).exists()


def test_the_fork_form_and_api_and_the_compare_page(owner: User, owner_client: Client) -> None:
    original = finished(owner, rounds=1)
    response = owner_client.post(
        reverse("debate-fork", args=[original.pk]),
        {
            "from_round": "1",
            "rounds": "1",
            "chair": "demo:demo-scout",
            "judges": ["demo:demo-scout"],
            "seat_0": "demo:demo-pragmatist",
            "seat_1": "demo:demo-skeptic",
        },
    )
    fork = Debate.objects.get(forked_from=original)
    assert response.status_code == 302, response.content
    assert fork.seats.get(position=0).llm_model.key == "demo:demo-pragmatist"
    api = owner_client.post(
        f"/api/v1/debates/{original.pk}/fork/", {"from_round": 1}, content_type="application/json"
    )
    assert api.status_code == 202, api.json()
    run(fork)
    page = owner_client.get(reverse("debate-compare", args=[original.pk, fork.pk]))
    assert page.status_code == 200
    assert b"Which claims changed" in page.content
    detail = owner_client.get(reverse("debate-detail", args=[fork.pk]))
    assert reverse("debate-compare", args=[original.pk, fork.pk]).encode() in detail.content
    # The copied opening of seat A names the model that wrote it, not seat A's model now.
    html = detail.content.decode()
    opening = html.split('class="card round"', 2)[1]
    assert "Demo Sage" in opening
    assert "Demo Pragmatist" not in opening


def test_the_compare_page_is_for_debates_one_may_see(owner: User, outsider_client: Client) -> None:
    left, right = finished(owner, rounds=1), make_debate(owner, rounds=1)
    page = outsider_client.get(reverse("debate-compare", args=[left.pk, right.pk]))
    assert page.status_code == 404


# --- The claim diff --------------------------------------------------------------------------


def test_the_claim_diff_compares_sentences_not_their_spelling() -> None:
    left = {
        "consensus": "Run a pilot. **Measure** output.",
        "recommendation": "- Start in May!",
        "disagreements": ["How long", "Who pays"],
    }
    right = {
        "consensus": "run a pilot. measure output? Measure output",
        "recommendation": "Start in June.",
        "disagreements": ["who pays."],
    }
    answer = compare.claim_diff(compare.answer_claims(left), compare.answer_claims(right))
    assert answer.both == ("Run a pilot.", "**Measure** output.")
    assert answer.only_left == ("Start in May!",)
    assert answer.only_right == ("Start in June.",)
    split = compare.claim_diff(
        compare.disagreement_claims(left), compare.disagreement_claims(right)
    )
    assert split.only_left == ("How long",)
    assert split.both == ("Who pays",)
    assert compare.claim_diff([], []) == compare.ClaimDiff((), (), ())


claims = st.lists(st.text(max_size=40), max_size=8)


@given(left=claims, right=claims)
def test_the_claim_diff_partitions_both_sides(left: list[str], right: list[str]) -> None:
    diff = compare.claim_diff(left, right)
    norm = compare.normalise
    left_keys = {norm(c) for c in left if norm(c)}
    right_keys = {norm(c) for c in right if norm(c)}
    assert {norm(c) for c in diff.both} == left_keys & right_keys
    assert {norm(c) for c in diff.only_left} == left_keys - right_keys
    assert {norm(c) for c in diff.only_right} == right_keys - left_keys
    assert len(diff.both) + len(diff.only_left) == len(left_keys)
    # Swapping the sides swaps the result.
    swapped = compare.claim_diff(right, left)
    assert {norm(c) for c in swapped.only_left} == {norm(c) for c in diff.only_right}
