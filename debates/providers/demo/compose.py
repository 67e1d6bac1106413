"""Writing the demo provider's answers: readable, role-aware, deterministic.

`demo_reply` is the one entry point; the fake provider server (bench/fakellm) reuses it so its
answers are as meaningful as the demo provider's.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence
from typing import Any

from debates.providers.base import Message
from debates.providers.demo import phrases_en, phrases_tr
from debates.providers.demo.phrasebook import Phrasebook, RolePhrases
from debates.providers.demo.prompt import DemoPrompt, read_prompt, shorten
from debates.rubric import RUBRIC

_BOOKS: dict[str, Phrasebook] = {"en": phrases_en.PHRASEBOOK, "tr": phrases_tr.PHRASEBOOK}
_STANCES = {
    "proponent": "for",
    "skeptic": "against",
    "devils_advocate": "against",
    "pragmatist": "mixed",
    "researcher": "mixed",
}
_BASE_CONFIDENCE = {
    "proponent": 0.72,
    "skeptic": 0.64,
    "devils_advocate": 0.55,
    "pragmatist": 0.68,
    "researcher": 0.6,
}
# Roles without turn templates of their own speak like their nearest neighbour.
_TURN_FALLBACK = {"chair": "researcher", "judge": "researcher"}
_OTHER_FALLBACK = {"en": "the previous speaker", "tr": "önceki konuşmacı"}
_SEAT_WORD = {"en": "Seat ", "tr": "Koltuk "}
_TOKEN = re.compile(r"\S+\s*|\s+")


def seeded_random(model: str, messages: Sequence[Message], temperature: float) -> random.Random:
    """A Random fixed by (model, messages, temperature): same call, same answer."""
    payload = json.dumps(
        [model, [[m.role, m.content] for m in messages], round(temperature, 4)],
        ensure_ascii=False,
    )
    digest = hashlib.sha256(payload.encode()).digest()
    # Not for security: a reproducible stream of choices for demo text.
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311


def split_tokens(text: str) -> list[str]:
    """Word-sized pieces (a word and the spaces after it) that concatenate back to `text`."""
    return _TOKEN.findall(text)


def _demo_text(
    model: str, messages: Sequence[Message], temperature: float, *, json_mode: bool
) -> str:
    prompt = read_prompt(model, messages)
    rng = seeded_random(model, messages, temperature)
    writer = _Writer(prompt, _BOOKS[prompt.language], rng)
    if prompt.task == "judge":
        judged = writer.judge()
        return _dumps(judged) if json_mode else writer.judge_markdown(judged)
    if prompt.task == "synthesis":
        synthesis = writer.synthesis()
        return _dumps(synthesis) if json_mode else writer.synthesis_markdown(synthesis)
    turn = writer.turn()
    return _dumps(turn) if json_mode else str(turn["content"])


def demo_reply(
    model: str, messages: Sequence[Message], temperature: float, *, json_mode: bool
) -> str:
    """The demo answer to a chat: markdown prose, or a JSON object when `json_mode`.

    An evaluation question (evals.grading asks every arm to finish with "Final answer: ...")
    gets such a line too, so the harness runs its mechanics offline: see `_final_answer`."""
    text = _demo_text(model, messages, temperature, json_mode=json_mode)
    users = "\n".join(m.content for m in messages if m.role == "user")
    if _VERDICT_ASKED in users:
        rng = seeded_random(f"{model}#eval", messages, temperature)
        return f"{text}\n\nVERDICT: {rng.choice(['CORRECT', 'INCORRECT'])}"
    prompt = read_prompt(model, messages)
    if _FINAL_ASKED not in prompt.question or prompt.task == "judge":
        return text
    line = f"{_FINAL_ASKED} {_final_answer(model, messages, temperature, prompt, users)}"
    if not json_mode:
        return f"{text}\n\n{line}"
    payload = json.loads(text)
    key = "recommendation" if prompt.task == "synthesis" else "content"
    payload[key] = f"{payload[key]}\n\n{line}"
    return _dumps(payload)


_FINAL_ASKED = "Final answer:"
_VERDICT_ASKED = "VERDICT: CORRECT or VERDICT: INCORRECT"
_OPTION = re.compile(r"\(([A-J])\) ")
_GIVEN = re.compile(r"Final answer:\s*([^\s<][^\n]*)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _final_answer(
    model: str, messages: Sequence[Message], temperature: float, prompt: DemoPrompt, users: str
) -> str:
    """A demo model's pick: it cannot know the answer, so it guesses (an option, a number
    from the question, yes or no, a term of the question), seeded like the rest of its text.
    In rebuttals it sometimes adopts the most common answer of the transcript, and the chair
    always does, so conformity and the panel's vote have something to show."""
    rng = seeded_random(f"{model}#eval", messages, temperature)
    given: list[str] = [str(g).strip().rstrip(".") for g in _GIVEN.findall(users)]
    if given and (prompt.task == "synthesis" or (prompt.round > 0 and rng.random() < 0.4)):
        return max(sorted(set(given)), key=given.count)
    question = prompt.question
    letters: list[str] = _OPTION.findall(question)
    if letters:
        return rng.choice(letters)
    if "yes or no" in question.lower():
        return rng.choice(["yes", "no"])
    numbers = [float(n) for n in _NUMBER.findall(question)]
    if "number" in question.lower() and numbers:
        a, b = rng.choice(numbers), rng.choice(numbers)
        return f"{rng.choice([a, a + b, a * b, abs(a - b)]):g}"
    return rng.choice(prompt.terms) if prompt.terms else "unknown"


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _capitalize(text: str, language: str) -> str:
    """Upper-case the first letter, past any leading markup ("*çalışma* ..." -> "*Çalışma* ...")."""
    for index, char in enumerate(text):
        if char.isalpha():
            if language == "tr" and char in "iı":
                upper = "İ" if char == "i" else "I"  # Turkish keeps the dot: i -> İ, ı -> I
            else:
                upper = char.upper()
            return text[:index] + upper + text[index + 1 :]
    return text


class _Writer:
    def __init__(self, prompt: DemoPrompt, book: Phrasebook, rng: random.Random) -> None:
        self.prompt = prompt
        self.book = book
        self.rng = rng
        terms = list(prompt.terms)
        for fallback in book.fallback_terms:
            if len(terms) >= 3:
                break
            terms.append(fallback)
        self.values = {
            "topic": shorten(prompt.question) or book.fallback_terms[0],
            # In quotes: a word taken from the question, which the templates frame so that
            # any word reads naturally ("the part about “startup”").
            "t1": f"“{terms[0]}”",
            "t2": f"“{terms[1]}”",
            "t3": f"“{terms[2]}”",
            "n": str(prompt.round),
            "other": self._other_seat(),
        }

    def _other_seat(self) -> str:
        others = [s for s in self.prompt.seats if s != self.prompt.own_seat]
        if not others:
            return _OTHER_FALLBACK[self.prompt.language]
        # The prompt says "Seat B" in every language; the answer speaks the question's language.
        return self.rng.choice(others).replace("Seat ", _SEAT_WORD[self.prompt.language], 1)

    def fill(self, template: str) -> str:
        return _capitalize(template.format(**self.values), self.prompt.language)

    # --- seat turns --------------------------------------------------------------------------

    def turn(self) -> dict[str, Any]:
        role = _TURN_FALLBACK.get(self.prompt.role, self.prompt.role)
        phrases = self.book.roles.get(role) or self.book.roles["pragmatist"]
        n = self.prompt.round
        claims = [self.fill(c) for c in self.rng.sample(phrases.claims, 3 if n == 0 else 2)]
        if n == 0:
            heading = self.book.opening_heading.format(title=phrases.title)
            paragraphs = [
                self.fill(self.rng.choice(phrases.opening)),
                self.fill(self.rng.choice(phrases.body)),
            ]
        else:
            heading = self.book.rebuttal_heading.format(n=n, title=phrases.title)
            paragraphs = [
                # Alternate by round so consecutive rebuttals of one seat never repeat.
                self.fill(phrases.rebuttal[(n + self.rng.randrange(2)) % len(phrases.rebuttal)]),
                self.fill(self._body_for_round(phrases, n)),
            ]
        bullets = "\n".join(f"- {claim}" for claim in claims)
        closing = self.fill(self.rng.choice(phrases.closing))
        content = "\n\n".join([f"{self.book.marker} **{heading}**", *paragraphs, bullets, closing])
        return {
            "content": content,
            "stance": self._stance(role, n),
            "confidence": self._confidence(role, n),
            "key_claims": claims,
        }

    def _body_for_round(self, phrases: RolePhrases, n: int) -> str:
        return phrases.body[(n + 1) % len(phrases.body)]

    def _stance(self, role: str, n: int) -> str:
        stance = _STANCES.get(role, "mixed")
        # Later rounds show some movement, as real panels do: opponents soften to "mixed".
        if n >= 2 and stance == "against" and self.rng.random() < 0.5:
            return "mixed"
        return stance

    def _confidence(self, role: str, n: int) -> float:
        base = _BASE_CONFIDENCE.get(role, 0.6) + 0.03 * min(n, 3)
        return round(min(0.95, max(0.05, base + self.rng.uniform(-0.08, 0.08))), 2)

    # --- judging -----------------------------------------------------------------------------

    def judge(self) -> dict[str, Any]:
        scores: list[dict[str, Any]] = []
        # Distinct rationales while they last, so one judge does not repeat itself.
        rationales = list(self.book.judge_rationales)
        self.rng.shuffle(rationales)
        for index, seat in enumerate(self.prompt.seats):
            quality = self.rng.randint(5, 8)
            entry: dict[str, Any] = {"seat": seat}
            for criterion in RUBRIC:
                entry[criterion] = max(0, min(10, quality + self.rng.randint(-2, 2)))
            entry["rationale"] = self.fill(rationales[index % len(rationales)])
            scores.append(entry)
        return {"scores": scores}

    def judge_markdown(self, judged: dict[str, Any]) -> str:
        lines = [f"{self.book.marker} **{self.book.judge_heading}**", ""]
        for entry in judged["scores"]:
            numbers = ", ".join(f"{c} {entry[c]}" for c in RUBRIC)
            lines.append(f"- **{entry['seat']}**: {numbers}. {entry['rationale']}")
        return "\n".join(lines)

    # --- synthesis ---------------------------------------------------------------------------

    def synthesis(self) -> dict[str, Any]:
        disagreements = self.rng.sample(self.book.disagreements, 2)
        return {
            "consensus": f"{self.book.marker} {self.fill(self.book.consensus)}",
            "disagreements": [self.fill(d) for d in disagreements],
            "recommendation": self.fill(self.book.recommendation),
            "confidence": round(self.rng.uniform(0.6, 0.85), 2),
        }

    def synthesis_markdown(self, synthesis: dict[str, Any]) -> str:
        consensus, disagreements, recommendation = self.book.synthesis_headings
        bullets = "\n".join(f"- {d}" for d in synthesis["disagreements"])
        agreed = str(synthesis["consensus"]).removeprefix(f"{self.book.marker} ")
        return (
            f"{self.book.marker} **{consensus}**\n\n{agreed}\n\n"
            f"**{disagreements}**\n\n{bullets}\n\n"
            f"**{recommendation}**\n\n{synthesis['recommendation']}"
        )
