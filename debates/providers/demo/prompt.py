"""Reading what a demo call is about from the prompt the pipeline built.

Conventions shared with the prompt builders (all optional; defaults in brackets):
- `[task:turn|judge|synthesis]` in a system message [turn];
- `[role:<name>]` in a system message: proponent, skeptic, pragmatist, researcher,
  devils_advocate, chair, judge [chair for synthesis, judge for judging, else from the model id];
- `[round:N]` in a user message: 0 is the opening, N >= 1 the N-th rebuttal round [0];
- `[lang:tr|en]` anywhere overrides language detection;
- the question inside `<question>...</question>`, else on a "Question:" / "Soru:" line, else
  the first user message;
- `[lang:tr|en]` aside, "Write in Turkish" / "in English" in a system message names the language;
- "Seat A", "Seat B"... in user messages are the seats to answer or score (a "Seats to score:"
  line, when present, is the exact list); "You are Seat B" anywhere names the speaker's own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from debates.providers.base import Message

Task = Literal["turn", "judge", "synthesis"]
Language = Literal["en", "tr"]

_TASK = re.compile(r"\[task:\s*(turn|judge|synthesis)\s*\]", re.IGNORECASE)
_ROLE = re.compile(r"\[role:\s*([\w' -]+?)\s*\]", re.IGNORECASE)
_ROUND = re.compile(r"\[round:\s*(\d+)\s*\]", re.IGNORECASE)
_LANG = re.compile(r"\[lang:\s*([a-z]{2})[\w-]*\s*\]", re.IGNORECASE)
_TAG = re.compile(r"\[(?:task|role|round|lang|stage|seat):[^\]]*\]", re.IGNORECASE)
_QUESTION_BLOCK = re.compile(r"<question>(.*?)</question>", re.IGNORECASE | re.DOTALL)
_QUESTION_LINE = re.compile(r"^\s*(?:question|soru)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
# The fence lines around untrusted text (debates.prompts, safety.injection.fence).
_FENCE = re.compile(r"^<<<[\w-]+ (?:BEGIN|END) [A-Z0-9_ -]+>>>$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\[?\b(?:EMAIL|PHONE|CARD|IBAN|NAME|ADDRESS)_\d+\b\]?")
_SEAT = re.compile(r"\bSeat [A-Z]\b")
_OWN_SEAT = re.compile(r"\bYou are (Seat [A-Z])\b")
_SEATS_TO_SCORE = re.compile(r"^Seats to score:(.*)$", re.MULTILINE)
_LANGUAGE_NAME = re.compile(r"\bin (Turkish|English)\b", re.IGNORECASE)
_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"[^\W\d_][\w{_APOSTROPHES}-]*")

_MODEL_ROLES = {
    "demo-sage": "researcher",
    "demo-skeptic": "skeptic",
    "demo-pragmatist": "pragmatist",
    "demo-scout": "proponent",
}
_ROLE_ALIASES = {
    "devil's_advocate": "devils_advocate",
    "devil_advocate": "devils_advocate",
    "advocate": "devils_advocate",
}


def _wordlist(text: str) -> list[str]:
    return text.split()


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Letters only Turkish uses among the languages we expect: a single one settles it.
_TURKISH_LETTERS = frozenset("ğĞıİşŞ")
_TURKISH_WORDS = _wordset(
    "ve bir bu için mi mı mu mü ne nasıl neden niçin hangi daha olarak ile ama çok değil gibi "
    "olmalı mıyız miyiz mıdır midir var yok biz bizim şirket şirketimiz en kadar göre yoksa "
    "veya ki da de"
)
_ENGLISH_WORDS = _wordset(
    "the and is are should we our for to of a an or in on with what which how why do does "
    "will would can could be it this that"
)
# Words that carry no topic: never picked as a key term of the question.
_STOPWORDS = (
    _TURKISH_WORDS
    | _ENGLISH_WORDS
    | _wordset(
        "should would could shall might must there their them they then than when where whether "
        "about into from your have been being more most some such only also just over under "
        "make made does doing done best good better really ever every olur olsun mıyım miyim "
        "nedir hangisi neler şimdi artık bunu şunu yapmalı yapmalıyız kullanmalı kullanmalıyız "
        "etmeli etmeliyiz geçmeli geçmeliyiz iki üç dört beş altı yedi sekiz dokuz yüz bin "
        "milyon one two three four five six seven eight nine hundred thousand million"
    )
)


@dataclass(frozen=True, slots=True)
class DemoPrompt:
    task: Task
    role: str
    round: int
    language: Language
    question: str
    terms: tuple[str, ...]
    seats: tuple[str, ...]
    own_seat: str | None


def read_prompt(model: str, messages: Sequence[Message]) -> DemoPrompt:
    system = "\n".join(m.content for m in messages if m.role == "system")
    users = [m.content for m in messages if m.role == "user"]
    user_text = "\n".join(users)
    everything = f"{system}\n{user_text}"

    task_match = _TASK.search(system) or _TASK.search(everything)
    task: Task = task_match.group(1).lower() if task_match else "turn"  # type: ignore[assignment]
    question = _question(users)
    own = _OWN_SEAT.search(everything) or _SEAT.search(system)
    own_seat = own.group(own.lastindex or 0) if own else None
    to_score = _SEATS_TO_SCORE.search(user_text)
    seats = _SEAT.findall(to_score.group(1) if to_score else user_text)
    language = _language(everything, system, question or user_text)
    return DemoPrompt(
        task=task,
        role=_role(system, task, model),
        round=_round(users, everything),
        language=language,
        question=question,
        terms=key_terms(question, language),
        seats=tuple(dict.fromkeys(seats)),
        own_seat=own_seat,
    )


def _role(system: str, task: Task, model: str) -> str:
    match = _ROLE.search(system)
    if match:
        role = match.group(1).strip().lower().replace(" ", "_").replace("-", "_")
        return _ROLE_ALIASES.get(role, role)
    if task == "judge":
        return "judge"
    if task == "synthesis":
        return "chair"
    return _MODEL_ROLES.get(model, "pragmatist")


def _round(users: Sequence[str], everything: str) -> int:
    for text in reversed(users):
        found = _ROUND.findall(text)
        if found:
            return int(found[-1])
    found = _ROUND.findall(everything)
    return int(found[-1]) if found else 0


def _question(users: Sequence[str]) -> str:
    for text in users:
        block = _QUESTION_BLOCK.search(text)
        if block:
            return _clean(block.group(1))
    for text in users:
        line = _QUESTION_LINE.search(text)
        if line:
            return _clean(line.group(1))
    for text in users:
        cleaned = _clean(text)
        if cleaned:
            return cleaned.split("\n", 1)[0]
    return ""


def _clean(text: str) -> str:
    return _FENCE.sub("", _TAG.sub("", text)).strip()


def _language(everything: str, system: str, sample: str) -> Language:
    tag = _LANG.search(everything)
    if tag:
        return "tr" if tag.group(1).lower() == "tr" else "en"
    named = _LANGUAGE_NAME.search(system)
    if named:
        return "tr" if named.group(1).lower() == "turkish" else "en"
    if any(ch in _TURKISH_LETTERS for ch in sample):
        return "tr"
    words = [w.casefold() for w in _WORD.findall(sample)]
    turkish = sum(w in _TURKISH_WORDS for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    has_accented = any(ch in "çöüÇÖÜ" for ch in sample)
    if turkish > english and (turkish >= 2 or has_accented):
        return "tr"
    return "en"


def key_terms(question: str, language: Language = "en", limit: int = 3) -> tuple[str, ...]:
    """Content words of the question, most telling first: proper nouns, then long words."""
    candidates: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    # Placeholders of redacted personal data ([EMAIL_1]) are no topic.
    question = _PLACEHOLDER.sub(" ", question)
    for index, match in enumerate(_WORD.finditer(question)):
        # "İstanbul'da", "company's": the name is what comes before the apostrophe.
        raw = match.group(0)
        word = re.split(f"[{_APOSTROPHES}]", raw)[0].strip("-")
        # Turkish marks a suffix on a name with an apostrophe: "İstanbul'da" is a name.
        named = language == "tr" and word != raw.strip("-")
        if language == "tr" and not named:
            if word.casefold().endswith(_TURKISH_VERB_ENDINGS):
                continue
            word = _turkish_stem(word)
        folded = word.casefold()
        if len(word) < 4 or folded in _STOPWORDS or folded in seen:
            continue
        seen.add(folded)
        proper = (index > 0 or named) and word[0].isupper()
        if index == 0 and not named and word[1:].islower():
            # A sentence-initial capital is usually grammar: "Ekonomi ..." -> "ekonomi".
            word = _lower_first(word, language)
        score = (2 if proper else 0) + (1 if len(word) >= 7 else 0)
        candidates.append((-score, index, word))
    candidates.sort()
    return tuple(word for _, _, word in candidates[:limit])


# Case endings, longest first. Single-vowel endings are left alone: too many stems end in a vowel.
_TURKISH_CASES = _wordlist(
    "ların lerin ndan nden ntan nten nda nde nın nin nun nün dan den tan ten da de ta te na ne "
    "ya ye yı yi yu yü nı ni nu nü"
)
# Plural genitive: keep the plural ("öğretmenlerin" -> "öğretmenler").
_TURKISH_KEEP = {"ların": "lar", "lerin": "ler"}
# Verb forms ("uygulanmalı", "alabilir", "geçmek") name no topic.
_TURKISH_VERB_ENDINGS = ("malı", "meli", "malıyız", "meliyiz", "abilir", "ebilir", "mak", "mek")
_TURKISH_POSSESSIVE = ("sı", "si", "su", "sü")
_VOWELS = frozenset("aeıioöuüâî")


def _turkish_stem(word: str) -> str:
    """Strip one case ending and a 3rd-person possessive: "haftasına" -> "hafta".

    Terms are reused in new sentences with endings of their own, so the bare noun reads best.
    Deliberately timid: a word is only cut when at least three letters remain.
    """
    lower = word.casefold()
    for ending in _TURKISH_CASES:
        if lower.endswith(ending) and len(word) - len(ending) >= 3:
            keep = _TURKISH_KEEP.get(ending, "")
            word = word[: len(word) - len(ending) + len(keep)]
            lower = lower[: len(lower) - len(ending) + len(keep)]
            break
    if lower.endswith(_TURKISH_POSSESSIVE) and len(word) >= 5 and lower[-3] in _VOWELS:
        word = word[:-2]
    return word


def _lower_first(word: str, language: Language) -> str:
    first = word[0]
    if language == "tr" and first in "İI":
        # Turkish casing: İ -> i and I -> ı (str.lower would give "i̇" and "i").
        return ("i" if first == "İ" else "ı") + word[1:]
    return first.lower() + word[1:]


def shorten(text: str, limit: int = 90) -> str:
    """The question as a quotable phrase: one line, at most `limit` characters, no final '?'."""
    one_line = " ".join(text.split()).rstrip("?.!؟ ")
    if len(one_line) <= limit:
        return one_line
    cut = one_line[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"
