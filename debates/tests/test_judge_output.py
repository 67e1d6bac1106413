"""What a judge may answer, and what becomes of it: JSON (held to the schema where a provider
can enforce one), JSON inside prose, or a well-formed verdict in prose; anything less certain
is no verdict at all (the judge is asked again)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debates.prompts import judgment_schema, parse_judgment
from debates.rubric import RUBRIC, SCORE_MAX, SCORE_MIN

LABELS = ["Seat A", "Seat B"]

PROSE = """Here is my assessment.

**Seat A**
- Accuracy: 8/10
- Reasoning: 7
- Evidence: 6.5
- Actionability: 8
- Risk awareness: 5
Rationale: Clear and well argued, light on data.

## Seat B
Accuracy 6, reasoning 7, evidence 5, actionability 6, risk_awareness 4. Thin evidence overall.
"""


def test_a_prose_verdict_with_every_score_is_read() -> None:
    verdict = parse_judgment(PROSE, LABELS)

    assert verdict is not None
    assert verdict["Seat A"].scores == {
        "accuracy": 8.0,
        "reasoning": 7.0,
        "evidence": 6.5,
        "actionability": 8.0,
        "risk_awareness": 5.0,
    }
    assert verdict["Seat A"].rationale == "Clear and well argued, light on data."
    assert verdict["Seat B"].scores["risk_awareness"] == 4.0
    assert verdict["Seat B"].rationale == "Thin evidence overall."


@pytest.mark.parametrize(
    "text",
    [
        "Seat A is better than Seat B.",  # no scores
        PROSE.replace("- Evidence: 6.5\n", ""),  # a criterion missing
        PROSE.replace("Reasoning: 7", "Reasoning: 11"),  # out of range
        PROSE.replace("## Seat B", "## Seat C"),  # a seat missing
        "Seat B was close.\n" + PROSE,  # two lines start with Seat B: whose section is whose?
        '{"scores": "none"}\n' + PROSE,  # JSON that is wrong is not rescued by the prose
    ],
    ids=["no-scores", "missing-criterion", "out-of-range", "missing-seat", "ambiguous", "bad-json"],
)
def test_an_uncertain_verdict_is_no_verdict(text: str) -> None:
    assert parse_judgment(text, LABELS) is None


def _entry(label: str, score: float) -> dict[str, object]:
    return {"seat": label, **dict.fromkeys(RUBRIC, score), "rationale": "Fine."}


def test_the_schema_describes_exactly_what_the_parser_accepts() -> None:
    structured = judgment_schema(LABELS)
    schema = structured.schema
    entry = schema["properties"]["scores"]["items"]

    assert structured.name == "seat_scores"
    assert schema["required"] == ["scores"]
    assert schema["additionalProperties"] is False
    assert entry["required"] == ["seat", *RUBRIC, "rationale"]
    assert entry["additionalProperties"] is False
    assert entry["properties"]["seat"]["enum"] == LABELS
    answer = json.dumps({"scores": [_entry("Seat A", 7), _entry("Seat B", 9.5)]})
    verdict = parse_judgment(answer, LABELS)
    assert verdict is not None
    assert verdict["Seat B"].total > verdict["Seat A"].total


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(max_size=400))
def test_any_answer_gives_a_whole_verdict_in_range_or_none(text: str) -> None:
    verdict = parse_judgment(text, LABELS)
    if verdict is not None:
        assert set(verdict) == set(LABELS)
        for score in verdict.values():
            assert set(score.scores) == set(RUBRIC)
            assert all(SCORE_MIN <= value <= SCORE_MAX for value in score.scores.values())
