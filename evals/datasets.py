"""Reading evaluation datasets: our JSON Lines format and converters for the layouts of
GSM8K, MMLU and TruthfulQA-MC. Users bring the files; nothing is downloaded. Pure: no ORM.

Our format (docs/EVAL.md), one JSON object a line:

    {"id": "q1", "question": "...", "answer": "...", "type": "exact|numeric|choice|free",
     "choices": ["...", "..."], "tolerance": 0.5, "aliases": ["..."]}

`load_dataset(text, layout="auto")` reads any of the four, line by line ("auto" looks at
each line's keys), and raises `DatasetError` naming the first bad line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.grading import LETTERS, AnswerType, Question

LAYOUTS = ("auto", "native", "gsm8k", "mmlu", "truthfulqa_mc")
MAX_QUESTIONS = 1000
SHIPPED = Path(__file__).resolve().parent / "datasets"


class DatasetError(ValueError):
    pass


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value) == "":
        raise DatasetError(f"{what} must be a non-empty string")
    return str(value).strip()


def from_native(row: dict[str, Any], index: int) -> Question:
    try:
        kind = AnswerType(row.get("type", "exact"))
    except ValueError as exc:
        raise DatasetError(f"unknown type {row.get('type')!r}") from exc
    choices = tuple(_text(c, "a choice") for c in row.get("choices") or ())
    answer = _text(row.get("answer"), "answer")
    if kind == AnswerType.CHOICE:
        if not 2 <= len(choices) <= len(LETTERS):
            raise DatasetError(f"a choice question needs 2 to {len(LETTERS)} choices")
        if answer.isdigit() and int(answer) < len(choices):
            answer = LETTERS[int(answer)]
        if answer.upper() not in LETTERS[: len(choices)]:
            raise DatasetError("a choice answer is the letter of one of its choices")
        answer = answer.upper()
    tolerance = float(row.get("tolerance") or 0)
    if tolerance < 0:
        raise DatasetError("tolerance cannot be negative")
    return Question(
        id=str(row.get("id") or f"q{index + 1}"),
        question=_text(row.get("question"), "question"),
        answer=answer,
        type=kind,
        choices=choices,
        tolerance=tolerance,
        aliases=tuple(_text(a, "an alias") for a in row.get("aliases") or ()),
        source=str(row.get("source", "")),
    )


def from_gsm8k(row: dict[str, Any], index: int) -> Question:
    """GSM8K: {"question", "answer"} where the answer's worked solution ends "#### 72"."""
    answer = _text(row.get("answer"), "answer")
    if "####" not in answer:
        raise DatasetError('a GSM8K answer ends with "#### <number>"')
    final = answer.rsplit("####", 1)[1].strip().replace(",", "")
    return Question(
        id=str(row.get("id") or f"gsm8k-{index + 1}"),
        question=_text(row.get("question"), "question"),
        answer=final,
        type=AnswerType.NUMERIC,
        source="gsm8k",
    )


def from_mmlu(row: dict[str, Any], index: int) -> Question:
    """MMLU as Hugging Face ships it: {"question", "choices": [4], "answer": 0-3, "subject"};
    the answer may also be a letter."""
    choices = tuple(_text(c, "a choice") for c in row.get("choices") or ())
    if len(choices) < 2:
        raise DatasetError("an MMLU row needs its choices")
    answer = row.get("answer")
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(choices):
        letter = LETTERS[answer]
    elif isinstance(answer, str) and answer.strip().upper() in LETTERS[: len(choices)]:
        letter = answer.strip().upper()
    else:
        raise DatasetError("an MMLU answer is the index (0-3) or letter of a choice")
    subject = str(row.get("subject", "")).replace("_", " ")
    return Question(
        id=str(row.get("id") or f"mmlu-{index + 1}"),
        question=_text(row.get("question"), "question"),
        answer=letter,
        type=AnswerType.CHOICE,
        choices=choices,
        source=f"mmlu {subject}".strip(),
    )


def mmlu_csv_rows(text: str) -> list[dict[str, Any]]:
    """The original MMLU CSV files (no header): question, A, B, C, D, answer letter."""
    rows = []
    for cells in csv.reader(io.StringIO(text)):
        if not cells:
            continue
        if len(cells) < 4:
            raise DatasetError("an MMLU CSV row is: question, the choices, the answer letter")
        rows.append({"question": cells[0], "choices": cells[1:-1], "answer": cells[-1]})
    return rows


def from_truthfulqa_mc(row: dict[str, Any], index: int) -> Question:
    """TruthfulQA multiple choice: {"question", "mc1_targets": {"choices", "labels"}} with
    exactly one label 1. The original lists the right answer first, so the choices are
    shuffled, seeded by the question: the same file always gives the same order."""
    targets = row.get("mc1_targets")
    if not isinstance(targets, dict):
        raise DatasetError("a TruthfulQA-MC row needs mc1_targets")
    choices = [_text(c, "a choice") for c in targets.get("choices") or ()]
    labels = list(targets.get("labels") or ())
    if len(choices) != len(labels) or labels.count(1) != 1:
        raise DatasetError("mc1_targets needs one label 1 per set of choices")
    choices = choices[: len(LETTERS)]
    labels = labels[: len(LETTERS)]
    if 1 not in labels:
        raise DatasetError("the right answer is past the tenth choice")
    question = _text(row.get("question"), "question")
    order = list(range(len(choices)))
    seed = int.from_bytes(hashlib.sha256(question.encode()).digest()[:8], "big")
    random.Random(seed).shuffle(order)  # noqa: S311  (a reproducible order, not security)
    shuffled = tuple(choices[i] for i in order)
    return Question(
        id=str(row.get("id") or f"truthfulqa-{index + 1}"),
        question=question,
        answer=LETTERS[order.index(labels.index(1))],
        type=AnswerType.CHOICE,
        choices=shuffled,
        source="truthfulqa_mc",
    )


_CONVERTERS: dict[str, Callable[[dict[str, Any], int], Question]] = {
    "native": from_native,
    "gsm8k": from_gsm8k,
    "mmlu": from_mmlu,
    "truthfulqa_mc": from_truthfulqa_mc,
}


def detect_layout(row: dict[str, Any]) -> str:
    if "mc1_targets" in row:
        return "truthfulqa_mc"
    if "type" not in row and isinstance(row.get("answer"), str) and "####" in row["answer"]:
        return "gsm8k"
    if "type" not in row and "choices" in row:
        return "mmlu"
    return "native"


def load_dataset(text: str, *, layout: str = "auto") -> list[Question]:
    """Every question of a JSON Lines file (or an MMLU CSV with layout "mmlu_csv")."""
    if layout == "mmlu_csv":
        rows: list[Any] = mmlu_csv_rows(text)
        layout = "mmlu"
    else:
        if layout not in LAYOUTS:
            raise DatasetError(f"unknown layout {layout!r}")
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"line {number}: not JSON ({exc.msg})") from exc
    questions: list[Question] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DatasetError(f"line {index + 1}: each line is a JSON object")
        try:
            question = _CONVERTERS[detect_layout(row) if layout == "auto" else layout](row, index)
        except DatasetError as exc:
            raise DatasetError(f"line {index + 1}: {exc}") from exc
        if question.id in seen:
            raise DatasetError(f"line {index + 1}: the id {question.id!r} is used twice")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise DatasetError("the dataset has no questions")
    if len(questions) > MAX_QUESTIONS:
        raise DatasetError(f"at most {MAX_QUESTIONS} questions a run")
    return questions


def shipped_datasets() -> list[str]:
    """The datasets that ship with the product (evals/datasets/*.jsonl), by name."""
    return sorted(path.stem for path in SHIPPED.glob("*.jsonl"))


def shipped_dataset_text(name: str) -> str:
    if name not in shipped_datasets():
        raise DatasetError(f"no shipped dataset called {name!r}")
    return (SHIPPED / f"{name}.jsonl").read_text(encoding="utf-8")


def question_to_dict(question: Question) -> dict[str, Any]:
    """Our native format: what an Evaluation stores, and what a converted file is written as."""
    row: dict[str, Any] = {
        "id": question.id,
        "question": question.question,
        "answer": question.answer,
        "type": question.type.value,
    }
    if question.choices:
        row["choices"] = list(question.choices)
    if question.tolerance:
        row["tolerance"] = question.tolerance
    if question.aliases:
        row["aliases"] = list(question.aliases)
    if question.source:
        row["source"] = question.source
    return row
