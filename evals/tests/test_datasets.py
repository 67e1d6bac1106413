import json

import pytest

from evals.datasets import (
    DatasetError,
    load_dataset,
    question_to_dict,
    shipped_dataset_text,
    shipped_datasets,
)
from evals.grading import AnswerType


def lines(*rows: object) -> str:
    return "\n".join(json.dumps(row) for row in rows)


def test_the_shipped_dataset_has_thirty_questions_of_every_type() -> None:
    assert "consultation-30" in shipped_datasets()
    questions = load_dataset(shipped_dataset_text("consultation-30"))
    assert len(questions) >= 30
    assert {q.type for q in questions} == set(AnswerType)
    assert len({q.id for q in questions}) == len(questions)


def test_gsm8k_rows_become_numeric_questions() -> None:
    (question,) = load_dataset(
        lines({"question": "Janet has 3 ducks...", "answer": "3 * 2 = 6\n#### 1,200"})
    )
    assert (question.type, question.answer, question.source) == (
        AnswerType.NUMERIC,
        "1200",
        "gsm8k",
    )


def test_mmlu_rows_json_and_csv() -> None:
    (question,) = load_dataset(
        lines({"question": "2+2?", "choices": ["3", "4", "5", "6"], "answer": 1, "subject": "math"})
    )
    assert (question.type, question.answer, question.choices[1]) == (AnswerType.CHOICE, "B", "4")
    (from_csv,) = load_dataset('"2+2?",3,4,5,6,B\n', layout="mmlu_csv")
    assert (from_csv.answer, from_csv.choices) == ("B", ("3", "4", "5", "6"))


def test_truthfulqa_mc_choices_are_shuffled_reproducibly() -> None:
    row = {
        "question": "What happens if you crack your knuckles a lot?",
        "mc1_targets": {
            "choices": ["Nothing in particular", "Arthritis", "Bigger knuckles", "Nerve damage"],
            "labels": [1, 0, 0, 0],
        },
    }
    first = load_dataset(lines(row))[0]
    again = load_dataset(lines(row))[0]
    assert first == again
    assert first.choices[ord(first.answer) - ord("A")] == "Nothing in particular"
    assert sorted(first.choices) == sorted(row["mc1_targets"]["choices"])  # type: ignore[index]


def test_native_round_trip_and_numeric_choice_answers() -> None:
    row = {"id": "x", "question": "Pick", "type": "choice", "choices": ["a", "b"], "answer": 1}
    (question,) = load_dataset(lines(row))
    assert question.answer == "B"
    assert load_dataset(lines(question_to_dict(question)))[0] == question


def test_a_gsm8k_answer_needs_its_final_number() -> None:
    with pytest.raises(DatasetError, match="line 1: a GSM8K answer"):
        load_dataset(lines({"question": "Q", "answer": "no hashes"}), layout="gsm8k")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "line 1: not JSON"),
        (lines({"question": "Q", "type": "exact"}), "line 1: answer must be"),
        (lines({"question": "Q", "type": "choice", "choices": ["a"], "answer": "A"}), "2 to"),
        (
            lines({"question": "Q", "type": "choice", "choices": ["a", "b"], "answer": "C"}),
            "letter",
        ),
        (
            lines({"question": "Q", "mc1_targets": {"choices": ["a", "b"], "labels": [1, 1]}}),
            "one label 1",
        ),
        (
            lines(
                {"id": "a", "question": "Q", "answer": "x"},
                {"id": "a", "question": "R", "answer": "y"},
            ),
            "used twice",
        ),
        ("", "no questions"),
    ],
)
def test_bad_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        load_dataset(text)
