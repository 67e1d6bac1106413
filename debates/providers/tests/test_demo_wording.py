"""The demo is the first impression (issue 8): its sentences must read naturally whatever word
of the question they pick. A key word always stands in quotes inside a frame ("the part about
“startup”"), never as a bare noun ("Consider startup."), and Turkish text names seats
"Koltuk B", as the Turkish interface does."""

import json
import re

import pytest

from debates.providers.base import Message
from debates.providers.demo import phrases_en, phrases_tr
from debates.providers.demo.compose import demo_reply
from debates.providers.demo.prompt import key_terms

QUESTIONS = {
    "en": [
        "Should a 20-person startup adopt a four-day week?",
        "Should our company rewrite its billing software from scratch?",
        "Should our hospital replace paper charts with tablets?",
    ],
    "tr": [
        "İstanbul'da kira kontrolü uygulanmalı mı?",
        "Belediyemiz toplu taşımayı ücretsiz yapmalı mı?",
    ],
}
ROLES = ("proponent", "skeptic", "pragmatist", "researcher", "devils_advocate")


def _messages(question: str, role: str, round_: int, task: str = "turn") -> list[Message]:
    return [
        Message("system", f"[task:{task}] [role:{role}] [round:{round_}] You are Seat B."),
        Message("user", f"<question>{question}</question>\nSeat A said one thing. Seat C another."),
    ]


def _texts(question: str) -> list[str]:
    texts = []
    for role in ROLES:
        for round_ in (0, 1, 2):
            turn = json.loads(
                demo_reply("demo-sage", _messages(question, role, round_), 0.7, json_mode=True)
            )
            texts.append(turn["content"])
    synthesis = json.loads(
        demo_reply("demo-scout", _messages(question, "chair", 0, "synthesis"), 0.7, json_mode=True)
    )
    texts += [synthesis["consensus"], synthesis["recommendation"], *synthesis["disagreements"]]
    return texts


@pytest.mark.parametrize(
    ("language", "question"), [(lang, q) for lang, qs in QUESTIONS.items() for q in qs]
)
def test_every_key_word_stands_in_quotes(language: str, question: str) -> None:
    terms = key_terms(question, language)  # type: ignore[arg-type]
    for text in _texts(question):
        for term in terms:
            bare = re.compile(rf"(?<![“\w]){re.escape(term)}(?![”\w])", re.IGNORECASE)
            # Only the quoted question itself (“…”) may hold the word unquoted.
            outside_question = text.replace(question.rstrip("?"), "")
            assert not bare.search(outside_question), f"bare {term!r} in: {text}"


def test_no_template_puts_its_own_emphasis_on_a_word() -> None:
    for book in (phrases_en.PHRASEBOOK, phrases_tr.PHRASEBOOK):
        sentences = [
            *(t for role in book.roles.values() for group in (role.opening, role.body,
              role.rebuttal, role.closing, role.claims) for t in group),
            book.consensus, book.recommendation, *book.disagreements, *book.judge_rationales,
        ]  # fmt: skip
        for sentence in sentences:
            assert "*{t" not in sentence, sentence  # the value brings its own quotes


def test_turkish_text_says_koltuk_and_english_says_seat() -> None:
    tr = " ".join(_texts(QUESTIONS["tr"][0]))
    assert "Seat " not in tr
    assert "Koltuk A" in tr or "Koltuk C" in tr
    en = " ".join(_texts(QUESTIONS["en"][0]))
    assert "Koltuk" not in en
    assert "Seat A" in en or "Seat C" in en


def test_the_demo_stays_labelled_as_the_demo() -> None:
    assert all(text.startswith("[demo]") for text in _texts(QUESTIONS["en"][0])[:15])
