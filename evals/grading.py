"""Grading an arm's answer against a question's reference. Pure: no Django, no ORM.

Every prompt the harness sends asks the model to finish with a line `Final answer: ...`; the
graders read that line (or, when a model forgot it, the last non-empty line) and compare:

- exact: normalised text (case, spacing, surrounding punctuation, a leading article) equals
  the reference or one of its aliases;
- numeric: the last number in the answer is within `tolerance` (absolute) of the reference;
- choice: the option letter (or the option's text) equals the reference letter;
- free: a judge model decides; `judge_messages` builds its prompt and `parse_verdict` reads it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

FINAL_ANSWER = "Final answer:"
_FINAL = re.compile(r"final answer\s*(?:is)?\s*[:\uff1a]\s*(.+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?|-?\.\d+")
_LETTER = re.compile(r"^\(?([A-Z])\)?(?:[.):,\s]|$)")
_VERDICT = re.compile(r"verdict\s*[:\uff1a]\s*\**\s*(correct|incorrect)", re.IGNORECASE)
_ARTICLES = ("the ", "a ", "an ")
# Quotes (straight and curly) and punctuation a model may wrap an answer in.
_EDGE_PUNCTUATION = " \"'\u201c\u201d\u2018\u2019.,;:!?()[]"
LETTERS = "ABCDEFGHIJ"


class AnswerType(StrEnum):
    EXACT = "exact"
    NUMERIC = "numeric"
    CHOICE = "choice"
    FREE = "free"


@dataclass(frozen=True)
class Question:
    """One dataset line: what is asked and what counts as right."""

    id: str
    question: str
    answer: str
    type: AnswerType
    choices: tuple[str, ...] = ()
    tolerance: float = 0.0
    aliases: tuple[str, ...] = field(default=())
    source: str = ""


@dataclass(frozen=True)
class Grade:
    extracted: str
    # None: a judge must decide (free text).
    correct: bool | None


def extract_final(text: str) -> str:
    """The model's final answer: the rest of its last `Final answer:` line, else its last
    non-empty line, without markdown emphasis or a closing full stop."""
    found: list[str] = _FINAL.findall(text or "")
    if found:
        answer = found[-1]
    else:
        lines = [line for line in (text or "").splitlines() if line.strip()]
        answer = lines[-1] if lines else ""
    return answer.strip().strip("*_`").strip().rstrip(".").strip()


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = re.sub(r"\s+", " ", text).strip(_EDGE_PUNCTUATION)
    for article in _ARTICLES:
        if text.startswith(article):
            text = text[len(article) :]
            break
    return text


def parse_number(text: str) -> float | None:
    """The last number in `text` ("1,234.5", "-3", "3/4"), or None."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    raw = found[-1].replace(",", "").replace(" ", "")
    try:
        if "/" in raw:
            top, bottom = raw.split("/")
            return float(top) / float(bottom) if float(bottom) else None
        return float(raw)
    except ValueError:
        return None


def choice_letter(answer: str, choices: tuple[str, ...]) -> str:
    """The option an answer names: its letter ("B", "(B)", "B) Paris") or its exact text."""
    letters = LETTERS[: len(choices)]
    match = _LETTER.match(answer.strip().upper())
    if match and match.group(1) in letters:
        return match.group(1)
    wanted = normalize(answer)
    for letter, choice in zip(letters, choices, strict=False):
        if wanted and wanted == normalize(choice):
            return letter
    return ""


def grade(question: Question, text: str) -> Grade:
    extracted = extract_final(text)
    if question.type == AnswerType.NUMERIC:
        value, reference = parse_number(extracted), parse_number(question.answer)
        ok = (
            value is not None
            and reference is not None
            and abs(value - reference) <= max(question.tolerance, 1e-9)
        )
        return Grade(extracted, ok)
    if question.type == AnswerType.CHOICE:
        letter = choice_letter(extracted, question.choices)
        return Grade(letter or extracted, bool(letter) and letter == question.answer.upper())
    if question.type == AnswerType.EXACT:
        accepted = {normalize(a) for a in (question.answer, *question.aliases)}
        return Grade(extracted, normalize(extracted) in accepted)
    return Grade(extracted, None)


def question_prompt(question: Question) -> str:
    """The question as every arm sees it: options inline and how to answer."""
    parts = [question.question.strip()]
    if question.type == AnswerType.CHOICE:
        options = "; ".join(
            f"({letter}) {choice}"
            for letter, choice in zip(LETTERS, question.choices, strict=False)
        )
        parts.append(f"Options: {options}.")
        parts.append(f"Answer with the letter of one option. Finish with: {FINAL_ANSWER} <letter>")
    elif question.type == AnswerType.NUMERIC:
        parts.append(f"Answer with a number. Finish with: {FINAL_ANSWER} <number>")
    elif question.type == AnswerType.EXACT:
        parts.append(f"Answer in a few words. Finish with: {FINAL_ANSWER} <answer>")
    else:
        parts.append(f"Answer briefly. Finish with: {FINAL_ANSWER} <answer>")
    return "\n\n".join(parts)


def position_of(question: Question, text: str) -> str:
    """What a turn or an answer commits to, comparable across seats and rounds: the option
    letter, the number, or the normalised final answer ("" when it commits to nothing)."""
    extracted = extract_final(text)
    if question.type == AnswerType.CHOICE:
        return choice_letter(extracted, question.choices)
    if question.type == AnswerType.NUMERIC:
        value = parse_number(extracted)
        return "" if value is None else f"{value:g}"
    return normalize(extracted)


JUDGE_SYSTEM = (
    "You grade an answer against a reference answer. The answer is correct when it says the "
    "same thing as the reference, whatever the wording; extra detail is fine, a contradiction "
    "is not. Reply with one line: VERDICT: CORRECT or VERDICT: INCORRECT."
)


def judge_messages(question: Question, answer: str) -> tuple[tuple[str, str], ...]:
    """(role, content) pairs of a free-text judge's call."""
    user = (
        f"<question>{question.question}</question>\n"
        f"Reference answer: {question.answer}\n"
        f"Answer to grade: {answer}\n"
        f"{FINAL_ANSWER} VERDICT: CORRECT or VERDICT: INCORRECT"
    )
    return (("system", JUDGE_SYSTEM), ("user", user))


def parse_verdict(text: str) -> bool:
    """The judge's verdict; anything but a clear CORRECT counts as incorrect."""
    found = _VERDICT.findall(text or "")
    return bool(found) and found[-1].lower() == "correct"
