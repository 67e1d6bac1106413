"""`manage.py eval` on the shipped dataset with the demo provider, end to end and offline,
and the report's figures recomputed from the stored per-question results."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from billing.models import UsageRecord
from debates.models import Debate, DebateStatus
from evals.datasets import load_dataset, shipped_dataset_text
from evals.models import Arm, ArmResult, Evaluation, EvaluationStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pro_by_default")]

PANEL = "demo:demo-sage,demo:demo-skeptic,demo:demo-pragmatist"


def test_eval_on_the_shipped_dataset_writes_a_report_that_matches_the_stored_results(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report.json"
    call_command("eval", "consultation-30", "--panel", PANEL, "--out", str(out), "--samples", "3")

    evaluation = Evaluation.objects.get()
    assert evaluation.status == EvaluationStatus.COMPLETED
    questions = load_dataset(shipped_dataset_text("consultation-30"))
    assert len(questions) >= 30
    report = json.loads(out.read_text())
    assert report == evaluation.report
    assert report["demo"] is True
    assert report["evaluation"]["answered"] == len(questions)
    assert evaluation.done_units == evaluation.total_units == len(questions) * 5

    rows = list(ArmResult.objects.filter(evaluation=evaluation))
    by_key: dict[str, list[ArmResult]] = {}
    for row in rows:
        key = "panel" if row.arm == Arm.PANEL else f"{row.arm}:{row.model_key}"
        by_key.setdefault(key, []).append(row)
    assert {arm["key"] for arm in report["arms"]} == set(by_key)
    for arm in report["arms"]:
        stored = by_key[arm["key"]]
        correct = sum(1 for r in stored if r.correct)
        assert arm["n"] == len(stored) == len(questions)
        assert arm["correct"] == correct
        assert arm["accuracy"] == pytest.approx(correct / len(stored), abs=1e-4)
        assert arm["ci_low"] <= arm["accuracy"] <= arm["ci_high"]
        assert arm["tokens"] == sum(r.input_tokens + r.output_tokens for r in stored)
        assert arm["cost_usd"] == pytest.approx(
            float(sum((r.cost_usd for r in stored), Decimal(0)))
        )
        assert arm["mean_latency_ms"] == round(sum(r.latency_ms for r in stored) / len(stored))
    # Per question, the report shows exactly what was stored.
    for entry in report["questions"]:
        for key, answer in entry["answers"].items():
            row = next(r for r in by_key[key] if r.question_index == entry["index"])
            assert (answer["correct"], answer["extracted"]) == (row.correct, row.extracted)
    # The paired tables count the stored outcomes.
    best = evaluation.best_member
    panel = {r.question_index: r.correct for r in by_key["panel"]}
    alone = {r.question_index: r.correct for r in by_key[f"member:{best}"]}
    first = report["comparisons"][0]
    assert (first["a"], first["b"]) == ("panel", f"member:{best}")
    assert first["table"]["a_only"] == sum(1 for i in panel if panel[i] and not alone[i])
    assert first["table"]["b_only"] == sum(1 for i in panel if alone[i] and not panel[i])
    # The best member has the top single-call accuracy; self-consistency ran on it.
    member_arms = [a for a in report["arms"] if a["arm"] == Arm.MEMBER]
    assert max(a["correct"] for a in member_arms) == next(
        a["correct"] for a in member_arms if a.get("best")
    )
    sc = by_key[f"self_consistency:{best}"]
    assert all(1 <= r.samples <= 3 and len(r.votes) == r.samples for r in sc)
    # Every question was a real debate, and every single call was metered.
    assert Debate.objects.filter(status=DebateStatus.COMPLETED).count() == len(questions)
    single = [r for r in rows if r.arm != Arm.PANEL]
    metered = set(UsageRecord.objects.values_list("debate_id", flat=True))
    assert {r.pk for r in single} <= metered
    # Conformity was measured on the rebuttals.
    assert report["conformity"]["comparable"] == len(questions) * 3


def test_eval_writes_markdown_and_a_limit_of_questions(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    call_command("eval", "consultation-30", "--panel", PANEL, "--limit", "3", "--out", str(out))
    text = out.read_text()
    assert text.startswith("# Evaluation: consultation-30")
    assert "mechanics only" in text
    assert "McNemar exact p=" in text
    assert Evaluation.objects.get().report["evaluation"]["questions"] == 3


def test_eval_refuses_an_unknown_dataset_or_panel(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no shipped dataset"):
        call_command("eval", "nope", "--panel", PANEL)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Q?", "type": "weird", "answer": "x"}\n')
    with pytest.raises(CommandError, match="line 1: unknown type"):
        call_command("eval", str(bad), "--panel", PANEL)
    with pytest.raises(CommandError, match="Unknown or unavailable model"):
        call_command("eval", "consultation-30", "--panel", "demo:nope,demo:demo-sage")
    assert not Evaluation.objects.exists()
