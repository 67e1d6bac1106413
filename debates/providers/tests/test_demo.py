"""The offline demo provider: valid JSON per task, role/round/language awareness, determinism,
honest streaming. Pace 0 everywhere (plus an injected sleep where pacing itself is tested)."""

from __future__ import annotations

import json
import re

import pytest

from debates.providers.base import (
    Completion,
    CompletionRequest,
    Message,
    ProviderBadRequestError,
    ProviderTimeoutError,
    TextDelta,
)
from debates.providers.demo import DEMO_MODELS, DemoProvider, demo_reply
from debates.providers.demo.prompt import key_terms, read_prompt

QUESTION_EN = "Should our startup migrate from PostgreSQL to MongoDB for analytics?"
QUESTION_TR = "Şirketimiz dört günlük çalışma haftasına geçmeli mi?"
TURKISH_ONLY = re.compile("[ğışİĞŞ]")


def request(
    *,
    task: str = "turn",
    role: str = "skeptic",
    round_: int = 0,
    question: str = QUESTION_EN,
    extra: str = "",
    model: str = "demo-sage",
    json_mode: bool = True,
    temperature: float = 0.7,
    max_output_tokens: int = 1024,
) -> CompletionRequest:
    return CompletionRequest(
        model=model,
        messages=(
            Message("system", f"[task:{task}] [role:{role}] You are Seat B. Reply in JSON."),
            Message("user", f"<question>{question}</question>\n[round:{round_}]\n{extra}"),
        ),
        temperature=temperature,
        max_output_tokens=max_output_tokens,
        response_format_json=json_mode,
    )


@pytest.fixture
def demo() -> DemoProvider:
    return DemoProvider(tokens_per_second=0)


async def test_turn_json_has_the_turn_schema(demo: DemoProvider) -> None:
    completion = await demo.complete(request())

    payload = json.loads(completion.text)
    assert set(payload) == {"content", "stance", "confidence", "key_claims"}
    assert payload["content"].startswith("[demo] ")
    assert payload["stance"] in ("for", "against", "mixed")
    assert 0 <= payload["confidence"] <= 1
    assert payload["key_claims"]
    assert all(isinstance(c, str) and c for c in payload["key_claims"])
    assert completion.demo is True
    assert completion.provider == "demo"


async def test_judge_json_scores_every_seat_in_the_user_message(demo: DemoProvider) -> None:
    extra = "Seat A: first answer.\nSeat C: second.\nSeat D: third. Seat A again."
    completion = await demo.complete(request(task="judge", role="judge", extra=extra))

    scores = json.loads(completion.text)["scores"]
    assert [s["seat"] for s in scores] == ["Seat A", "Seat C", "Seat D"]
    for entry in scores:
        for criterion in ("accuracy", "reasoning", "evidence", "actionability", "risk_awareness"):
            assert isinstance(entry[criterion], int)
            assert 0 <= entry[criterion] <= 10
        assert entry["rationale"]


async def test_synthesis_json_has_the_synthesis_schema(demo: DemoProvider) -> None:
    completion = await demo.complete(request(task="synthesis", role="chair"))

    payload = json.loads(completion.text)
    assert set(payload) == {"consensus", "disagreements", "recommendation", "confidence"}
    assert payload["consensus"].startswith("[demo] ")
    assert len(payload["disagreements"]) == 2
    assert "PostgreSQL" in payload["recommendation"]
    assert 0 <= payload["confidence"] <= 1


@pytest.mark.parametrize("task", ["turn", "judge", "synthesis"])
async def test_prose_mode_is_labelled_markdown(demo: DemoProvider, task: str) -> None:
    completion = await demo.complete(request(task=task, json_mode=False, extra="Seat A: x"))

    assert completion.text.startswith("[demo] **")
    with pytest.raises(json.JSONDecodeError):
        json.loads(completion.text)


async def test_roles_differ_in_content_and_stance(demo: DemoProvider) -> None:
    answers = {}
    for role in ("proponent", "skeptic", "pragmatist", "researcher", "devils_advocate"):
        answers[role] = json.loads((await demo.complete(request(role=role))).text)

    assert len({a["content"] for a in answers.values()}) == 5
    assert answers["proponent"]["stance"] == "for"
    assert answers["skeptic"]["stance"] == "against"
    assert answers["pragmatist"]["stance"] == "mixed"
    assert "Proponent" in answers["proponent"]["content"]
    assert "Devil's advocate" in answers["devils_advocate"]["content"]


async def test_rounds_differ_and_rebuttals_answer_another_seat(demo: DemoProvider) -> None:
    extra = "Seat A argued for it. Seat C argued against it."
    contents = [
        json.loads((await demo.complete(request(round_=n, extra=extra))).text)["content"]
        for n in (0, 1, 2)
    ]

    assert len(set(contents)) == 3
    assert "Opening statement" in contents[0]
    assert "Round 1 rebuttal" in contents[1]
    assert "Round 2 rebuttal" in contents[2]
    # Seat B (the speaker) rebuts someone else.
    assert "Seat A" in contents[1] or "Seat C" in contents[1]
    assert "Seat B" not in contents[1]


async def test_text_mentions_key_terms_of_the_question(demo: DemoProvider) -> None:
    content = json.loads((await demo.complete(request())).text)["content"]

    assert "PostgreSQL" in content
    assert "MongoDB" in content
    assert "lorem" not in content.lower()


async def test_turkish_question_gets_turkish_answers(demo: DemoProvider) -> None:
    turn = json.loads((await demo.complete(request(question=QUESTION_TR))).text)
    synthesis = json.loads(
        (await demo.complete(request(task="synthesis", question=QUESTION_TR))).text
    )

    assert TURKISH_ONLY.search(turn["content"])
    assert "Açılış konuşması: Şüpheci" in turn["content"]
    assert "çalışma" in turn["content"]
    assert synthesis["consensus"].startswith("[demo] Panel")
    assert all(TURKISH_ONLY.search(c) for c in turn["key_claims"] if "{" not in c)


async def test_english_question_gets_no_turkish(demo: DemoProvider) -> None:
    completion = await demo.complete(request(json_mode=False))

    assert not TURKISH_ONLY.search(completion.text)


def test_language_tag_overrides_detection() -> None:
    messages = (
        Message("system", "[task:turn] [lang:tr]"),
        Message("user", "<question>Should we hire?</question>"),
    )

    assert read_prompt("demo-x", messages).language == "tr"


@pytest.mark.parametrize(
    "question",
    [
        "Bu yıl yeni bir ofis açmalı mıyız?",
        "Okullarda yapay zeka kullanımı serbest olmalı mı?",
        "Türkiye'de nükleer enerji yatırımı mantıklı mı?",
    ],
)
def test_turkish_is_detected_from_letters_or_common_words(question: str) -> None:
    messages = (Message("user", f"<question>{question}</question>"),)

    assert read_prompt("demo-x", messages).language == "tr"


def test_turkish_key_terms_are_bare_nouns() -> None:
    assert key_terms(QUESTION_TR, "tr") == ("çalışma", "günlük", "hafta")
    assert key_terms("İstanbul'da kira kontrolü uygulanmalı mı?", "tr")[0] == "İstanbul"


async def test_same_request_same_answer(demo: DemoProvider) -> None:
    first = await demo.complete(request())
    second = await DemoProvider(tokens_per_second=0).complete(request())

    assert first.text == second.text
    assert first.raw_id == second.raw_id
    assert demo_reply("demo-sage", request().messages, 0.7, json_mode=True) == first.text


async def test_every_demo_model_answers(demo: DemoProvider) -> None:
    texts = {(await demo.complete(request(model=m))).text for m in DEMO_MODELS}

    assert len(texts) == len(DEMO_MODELS)


async def test_non_demo_model_is_a_bad_request(demo: DemoProvider) -> None:
    with pytest.raises(ProviderBadRequestError):
        await demo.complete(request(model="gpt-4o"))


async def test_stream_deltas_concatenate_to_the_final_text(demo: DemoProvider) -> None:
    deltas: list[str] = []
    final: Completion | None = None
    async for event in demo.stream(request(json_mode=False)):
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        else:
            final = event

    assert final is not None
    assert len(deltas) > 50
    assert "".join(deltas) == final.text
    assert final.output_tokens == len(deltas)
    assert final.text == (await demo.complete(request(json_mode=False))).text


async def test_prose_is_cut_at_max_output_tokens(demo: DemoProvider) -> None:
    completion = await demo.complete(request(json_mode=False, max_output_tokens=7))

    assert completion.finish_reason == "length"
    assert completion.output_tokens == 7


async def test_json_is_never_cut(demo: DemoProvider) -> None:
    completion = await demo.complete(request(max_output_tokens=7))

    assert completion.finish_reason == "stop"
    json.loads(completion.text)


async def test_stream_is_paced_by_tokens_per_second() -> None:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    demo = DemoProvider(tokens_per_second=40, sleep=fake_sleep)
    events = [event async for event in demo.stream(request(json_mode=False))]

    assert sleeps[0] == pytest.approx(0.4)  # time to first token
    assert sleeps[1:] == [pytest.approx(1 / 40)] * (len(events) - 1)


async def test_complete_takes_as_long_as_the_stream_would() -> None:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    demo = DemoProvider(tokens_per_second=40, sleep=fake_sleep)
    completion = await demo.complete(request(json_mode=False))

    assert sleeps == [pytest.approx(0.4 + completion.output_tokens / 40)]


async def test_complete_slower_than_the_timeout_times_out() -> None:
    async def fake_sleep(seconds: float) -> None:
        return None

    demo = DemoProvider(tokens_per_second=1, sleep=fake_sleep)

    with pytest.raises(ProviderTimeoutError):
        await demo.complete(request(json_mode=False))


def test_reads_the_pipelines_own_prompts() -> None:
    """The prompt builders of debates.prompts and the demo's conventions agree."""
    from debates.prompts import Contribution, SeatBrief, judge_messages, turn_messages

    earlier = [Contribution(label, 0, f"{label} speaks.") for label in ("Seat A", "Seat B")]
    turn = read_prompt(
        "demo-sage",
        turn_messages(
            question=QUESTION_TR,
            language="tr",
            seat=SeatBrief("Seat B", "devils_advocate"),
            round_number=2,
            rounds_total=3,
            earlier=earlier,
        ),
    )
    judge = read_prompt(
        "demo-sage",
        judge_messages(
            question="Hire?",
            language="tr",
            transcript=earlier,
            seat_labels=["Seat A", "Seat B"],
        ),
    )

    assert (turn.task, turn.role, turn.round, turn.language) == ("turn", "devils_advocate", 2, "tr")
    assert turn.own_seat == "Seat B"
    assert turn.question == QUESTION_TR
    assert (judge.task, judge.role, judge.language) == ("judge", "judge", "tr")
    assert judge.seats == ("Seat A", "Seat B")


def test_scores_exactly_the_seats_listed_to_score() -> None:
    messages = (
        Message("system", "[task:judge]"),
        Message("user", "Seat Z was quoted by Seat A.\nSeats to score: Seat A, Seat C"),
    )

    assert read_prompt("demo-j", messages).seats == ("Seat A", "Seat C")
