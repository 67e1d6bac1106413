import pytest

from evals.grading import (
    AnswerType,
    Question,
    extract_final,
    grade,
    judge_messages,
    parse_number,
    parse_verdict,
    position_of,
    question_prompt,
)

CHOICE = Question("c", "Which?", "C", AnswerType.CHOICE, choices=("51", "57", "59", "63"))
NUMERIC = Question("n", "How many?", "57.5", AnswerType.NUMERIC, tolerance=0.01)
EXACT = Question("e", "Ocean?", "Pacific", AnswerType.EXACT, aliases=("Pacific Ocean",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reasoning\nFinal answer: 42", "42"),
        ("Final answer: 1\n...\n**Final answer:** B.", "B"),
        ("final answer is: yes", "yes"),
        ("no marker\n\nlast line here.\n", "last line here"),
        ("", ""),
    ],
)
def test_extract_final_reads_the_last_final_answer_line(text: str, expected: str) -> None:
    assert extract_final(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234.5", 1234.5), ("-3 apples", -3.0), ("3/4", 0.75), ("$57.50", 57.5), ("none", None)],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("question", "text", "correct"),
    [
        (CHOICE, "Final answer: C", True),
        (CHOICE, "Final answer: (C) 59", True),
        (CHOICE, "Final answer: 59", True),  # the option's text
        (CHOICE, "Final answer: B", False),
        (CHOICE, "Final answer: E", False),  # not an option
        (NUMERIC, "Final answer: 57.50 dollars", True),
        (NUMERIC, "Final answer: 57.52", False),
        (NUMERIC, "Final answer: unsure", False),
        (EXACT, "Final answer: the Pacific Ocean.", True),
        (EXACT, "Final answer: PACIFIC", True),
        (EXACT, "Final answer: Atlantic", False),
    ],
)
def test_grade(question: Question, text: str, correct: bool) -> None:
    assert grade(question, text).correct is correct


def test_free_text_needs_a_judge() -> None:
    free = Question("f", "Why does ice float?", "It is less dense.", AnswerType.FREE)
    assert grade(free, "Final answer: density").correct is None
    (_, system), (_, user) = judge_messages(free, "density")
    assert "VERDICT" in system
    assert "It is less dense." in user
    assert parse_verdict("VERDICT: CORRECT") is True
    assert parse_verdict("thinking... VERDICT: **incorrect**") is False
    assert parse_verdict("no verdict") is False


def test_question_prompt_and_positions() -> None:
    prompt = question_prompt(CHOICE)
    assert "(A) 51; (B) 57; (C) 59; (D) 63" in prompt
    assert prompt.endswith("Final answer: <letter>")
    assert position_of(CHOICE, "Final answer: (b)") == "B"
    assert position_of(NUMERIC, "Final answer: 57.50") == "57.5"
    assert position_of(EXACT, "Final answer: The Pacific") == "pacific"
