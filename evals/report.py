"""The report of an evaluation, computed from its stored per-question results (ArmResult)
and its debates' turns, as a JSON-ready dict; and its Markdown rendering.

Every figure comes from the rows: an arm's accuracy is the mean of its `correct` flags over
the questions it answered, its cost the sum of its rows' costs, and so on. Comparisons pair
two arms on the questions both answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from debates.conformity import TurnPosition, conformity
from debates.models import LLMModel, Turn, TurnStatus
from evals.datasets import from_native
from evals.grading import Question, grade, position_of
from evals.models import Arm, ArmResult, Evaluation
from evals.stats import bootstrap_ci, mcnemar, paired_bootstrap, paired_table

REPORT_VERSION = 1
SEED = 0


def _arm_key(result: ArmResult) -> str:
    return "panel" if result.arm == Arm.PANEL else f"{result.arm}:{result.model_key}"


def _money(value: Decimal) -> float:
    return round(float(value), 6)


def arm_label(arm: dict[str, Any]) -> str:
    """An arm's name in the active language (the stored report keeps the one it was built in)."""
    if arm["arm"] == Arm.PANEL:
        return _("Panel")
    if arm["arm"] == Arm.SELF_CONSISTENCY:
        return _("%(model)s, self-consistency") % {"model": arm.get("model_name", "")}
    return str(arm.get("model_name") or arm["label"])


def localized(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its arms' labels in the active language, for the page and exports."""
    return {**report, "arms": [{**arm, "label": arm_label(arm)} for arm in report.get("arms", [])]}


def _arm_summary(
    key: str, rows: Sequence[ArmResult], *, label: str, model_name: str = ""
) -> dict[str, Any]:
    n = len(rows)
    correct = sum(1 for r in rows if r.correct)
    ci = bootstrap_ci([1.0 if r.correct else 0.0 for r in rows], seed=SEED)
    cost = sum((r.cost_usd for r in rows), Decimal(0))
    tokens = sum(r.tokens for r in rows)
    return {
        "key": key,
        "label": label,
        "model_name": model_name,
        "arm": rows[0].arm if rows else "",
        "model_key": rows[0].model_key if rows else "",
        "n": n,
        "correct": correct,
        "accuracy": round(correct / n, 4) if n else 0.0,
        "ci_low": round(ci.low, 4),
        "ci_high": round(ci.high, 4),
        "cost_usd": _money(cost),
        "cost_per_question_usd": _money(cost / n) if n else 0.0,
        "tokens": tokens,
        "tokens_per_question": round(tokens / n, 1) if n else 0.0,
        "mean_latency_ms": round(sum(r.latency_ms for r in rows) / n) if n else 0,
        # Right answers per dollar; None when the arm cost nothing (demo models are free).
        "accuracy_per_dollar": round(correct / float(cost), 2) if cost > 0 else None,
        "errors": sum(1 for r in rows if r.error_code),
        "mean_samples": round(sum(r.samples for r in rows) / n, 2) if n else 0.0,
    }


def _comparison(
    a_key: str, b_key: str, by_arm: dict[str, dict[int, ArmResult]]
) -> dict[str, Any] | None:
    a_rows, b_rows = by_arm.get(a_key, {}), by_arm.get(b_key, {})
    common = sorted(set(a_rows) & set(b_rows))
    if not common:
        return None
    a = [a_rows[i].correct for i in common]
    b = [b_rows[i].correct for i in common]
    table = paired_table(a, b)
    test = mcnemar(table.a_only, table.b_only)
    diff = paired_bootstrap(a, b, seed=SEED)
    return {
        "a": a_key,
        "b": b_key,
        "n": table.n,
        "table": {
            "both": table.both,
            "a_only": table.a_only,
            "b_only": table.b_only,
            "neither": table.neither,
        },
        "mcnemar": {
            "exact_p": round(test.exact_p, 4),
            "mid_p": round(test.mid_p, 4),
            "chi2": round(test.chi2, 4),
            "chi2_p": round(test.chi2_p, 4),
        },
        "paired_bootstrap": {
            "difference": round(diff.difference, 4),
            "low": round(diff.low, 4),
            "high": round(diff.high, 4),
            "p_value": round(diff.p_value, 4),
        },
    }


def _debate_telemetry(
    panel_rows: Sequence[ArmResult], questions: Sequence[Question], models: dict[UUID, str]
) -> tuple[dict[str, int], list[dict[str, Any]], list[dict[str, Any]]]:
    """Conformity over every debate (positions = each turn's final answer), and the seats
    whose answer the debate turned from wrong to right or right to wrong (first turn to
    last). Free-text answers are judged only at the end, so their turns are left out."""
    debate_ids = [r.debate_id for r in panel_rows if r.debate_id]
    turns_by_debate: dict[Any, list[Turn]] = {}
    for turn in (
        Turn.objects.filter(debate_id__in=debate_ids, status=TurnStatus.COMPLETED)
        .select_related("seat")
        .order_by("round", "seat__position")
    ):
        turns_by_debate.setdefault(turn.debate_id, []).append(turn)
    totals = {"changes": 0, "to_majority": 0, "comparable": 0}
    to_right: list[dict[str, Any]] = []
    to_wrong: list[dict[str, Any]] = []
    for row in panel_rows:
        question = questions[row.question_index]
        turns = turns_by_debate.get(row.debate_id, [])
        letter = {t.seat_id: chr(ord("A") + t.seat.position) for t in turns}
        telemetry = conformity(
            [
                TurnPosition(
                    seat=letter[t.seat_id],
                    round=t.round,
                    position=position_of(question, t.content),
                    confidence=t.confidence,
                    key_claims=tuple(str(c) for c in t.key_claims or ()),
                )
                for t in turns
            ]
        )
        totals["changes"] += telemetry.changes
        totals["to_majority"] += telemetry.changes_to_majority
        totals["comparable"] += telemetry.comparable
        by_seat: dict[int, list[Turn]] = {}
        for t in turns:
            by_seat.setdefault(t.seat_id, []).append(t)
        for seat_turns in by_seat.values():
            first, last = seat_turns[0], seat_turns[-1]
            if first is last:
                continue
            before, after = grade(question, first.content), grade(question, last.content)
            if before.correct is None or after.correct is None or before.correct == after.correct:
                continue
            seat = letter[last.seat_id]
            cell = telemetry.cell(seat, last.round)
            entry = {
                "question_index": row.question_index,
                "question_id": question.id,
                "question": question.question[:200],
                "seat": seat,
                "model_key": models.get(last.seat.llm_model_id, ""),
                "before": before.extracted,
                "after": after.extracted,
                "reference": question.answer,
                "followed_majority": bool(cell and cell.followed_majority),
            }
            (to_right if after.correct else to_wrong).append(entry)
    return totals, to_right, to_wrong


def report_build(*, evaluation: Evaluation, status: str | None = None) -> dict[str, Any]:
    questions = [from_native(row, i) for i, row in enumerate(evaluation.questions)]
    rows = list(ArmResult.objects.filter(evaluation=evaluation).order_by("question_index"))
    catalog = {m.key: m for m in LLMModel.objects.filter(key__in={r.model_key for r in rows})}
    by_arm: dict[str, dict[int, ArmResult]] = {}
    for row in rows:
        by_arm.setdefault(_arm_key(row), {})[row.question_index] = row
    members = list(dict.fromkeys(seat["model"] for seat in evaluation.seats))
    best = evaluation.best_member

    def name(key: str) -> str:
        model = catalog.get(key)
        return model.display_name if model else key

    arms: list[dict[str, Any]] = []
    if "panel" in by_arm:
        arms.append(_arm_summary("panel", list(by_arm["panel"].values()), label=_("Panel")))
    for key in members:
        arm_key = f"{Arm.MEMBER}:{key}"
        if arm_key in by_arm:
            summary = _arm_summary(
                arm_key, list(by_arm[arm_key].values()), label=name(key), model_name=name(key)
            )
            summary["best"] = key == best
            arms.append(summary)
    sc_key = f"{Arm.SELF_CONSISTENCY}:{best}"
    if best and sc_key in by_arm:
        arms.append(
            _arm_summary(
                sc_key,
                list(by_arm[sc_key].values()),
                label=_("%(model)s, self-consistency") % {"model": name(best)},
                model_name=name(best),
            )
        )
    best_key = f"{Arm.MEMBER}:{best}" if best else ""
    comparisons = [
        c
        for c in (
            _comparison("panel", best_key, by_arm) if best_key else None,
            _comparison("panel", sc_key, by_arm) if best else None,
            _comparison(sc_key, best_key, by_arm) if best else None,
        )
        if c is not None
    ]
    model_names = {m.pk: m.key for m in catalog.values()}
    model_names.update(
        {m.pk: m.key for m in LLMModel.objects.filter(key__in=members)}  # seats' models
    )
    panel_rows = list(by_arm.get("panel", {}).values())
    totals, to_right, to_wrong = _debate_telemetry(panel_rows, questions, model_names)
    per_question = []
    for index, question in enumerate(questions):
        answers = {
            key: {"extracted": rows_[index].extracted, "correct": rows_[index].correct}
            for key, rows_ in by_arm.items()
            if index in rows_
        }
        if answers:
            per_question.append(
                {
                    "index": index,
                    "id": question.id,
                    "question": question.question,
                    "type": question.type.value,
                    "reference": question.answer,
                    "answers": answers,
                }
            )
    return {
        "version": REPORT_VERSION,
        "evaluation": {
            "id": str(evaluation.pk),
            "name": evaluation.name,
            "status": status or evaluation.status,
            "questions": len(questions),
            "answered": len(per_question),
            "panel": members,
            "rounds": evaluation.rounds,
            "preset": evaluation.preset,
            "judge": evaluation.judge_model,
            "best_member": best,
            "cost_usd": _money(sum((r.cost_usd for r in rows), Decimal(0))),
        },
        "demo": evaluation.uses_demo,
        "arms": arms,
        "comparisons": comparisons,
        "conformity": totals,
        "flips": {"wrong_to_right": to_right, "right_to_wrong": to_wrong},
        "questions": per_question,
    }


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def report_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: the same figures as the page and the JSON."""
    meta = report["evaluation"]
    labels = {arm["key"]: arm["label"] for arm in report["arms"]}
    # Looked up once, outside the f-strings, so makemessages finds them.
    words = {
        "evaluation": _("Evaluation"),
        "accuracy_by_arm": _("Accuracy by arm"),
        "best_member": _("best member"),
        "paired": _("Paired comparisons"),
        "only_a": _("only A right"),
        "only_b": _("only B right"),
        "difference": _("difference"),
        "conformity": _("Conformity"),
        "reference": _("reference"),
    }
    lines = [f"# {words['evaluation']}: {meta['name']}", ""]
    if report.get("demo"):
        lines += [f"> {demo_notice()}", ""]
    lines += [
        _("%(answered)d of %(total)d questions answered; panel of %(seats)d, %(rounds)d rounds.")
        % {
            "answered": meta["answered"],
            "total": meta["questions"],
            "seats": len(meta["panel"]),
            "rounds": meta["rounds"],
        },
        "",
        f"## {words['accuracy_by_arm']}",
        "",
        "| {} | {} | {} | {} | {} | {} |".format(
            _("Arm"),
            _("Accuracy"),
            # xgettext reads "% i" as a placeholder: the msgid is escaped, `% {}` unescapes it.
            _("95%% interval") % {},
            _("Cost per question"),
            _("Tokens per question"),
            _("Mean latency"),
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for arm in report["arms"]:
        best = f" ({words['best_member']})" if arm.get("best") else ""
        lines.append(
            f"| {arm['label']}{best} | {_pct(arm['accuracy'])} ({arm['correct']}/{arm['n']}) | "
            f"{_pct(arm['ci_low'])} to {_pct(arm['ci_high'])} | "
            f"${arm['cost_per_question_usd']:.6f} | {arm['tokens_per_question']:.0f} | "
            f"{arm['mean_latency_ms']} ms |"
        )
    lines += ["", f"## {words['paired']}", ""]
    for c in report["comparisons"]:
        a, b = labels.get(c["a"], c["a"]), labels.get(c["b"], c["b"])
        t, m, d = c["table"], c["mcnemar"], c["paired_bootstrap"]
        lines.append(
            f"- **{a}** vs **{b}** (n={c['n']}): {words['only_a']} {t['a_only']}, "
            f"{words['only_b']} {t['b_only']}; McNemar exact p={m['exact_p']:.4f}, "
            f"mid-p={m['mid_p']:.4f}, χ² p={m['chi2_p']:.4f}; "
            f"{words['difference']} {d['difference']:+.3f} "
            f"[{d['low']:+.3f}, {d['high']:+.3f}], bootstrap p={d['p_value']:.4f}"
        )
    conf = report["conformity"]
    lines += [
        "",
        f"## {words['conformity']}",
        "",
        _(
            "%(changes)d position changes in %(comparable)d turns after the opening, "
            "%(to_majority)d of them towards the previous round's majority."
        )
        % conf,
        "",
    ]
    for title, key in (
        (_("Debate turned a seat's answer from wrong to right"), "wrong_to_right"),
        (_("Debate turned a seat's answer from right to wrong"), "right_to_wrong"),
    ):
        flips = report["flips"][key]
        lines.append(f"### {title} ({len(flips)})")
        lines.append("")
        for f in flips:
            lines.append(
                f"- {f['question_id']}, Seat {f['seat']} ({f['model_key']}): "
                f"{f['before']} → {f['after']} ({words['reference']} {f['reference']})"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def demo_notice() -> str:
    return _(
        "Demo models answered these questions offline: they guess, so these figures show the "
        "harness's mechanics only, not what any model can do."
    )


def chart_data(report: dict[str, Any]) -> dict[str, Any]:
    """Accuracy against cost, one point per arm, for the report's chart (json_script). When
    every arm cost nothing (demo models are free) the x axis is tokens per question."""
    arms = report.get("arms", [])
    by_cost = any(arm["cost_per_question_usd"] > 0 for arm in arms)
    return {
        "x": "cost" if by_cost else "tokens",
        "x_label": _("Cost per question (USD)") if by_cost else _("Tokens per question"),
        "y_label": _("Accuracy"),
        "points": [
            {
                "label": arm["label"],
                "arm": arm["arm"],
                "best": bool(arm.get("best")),
                "x": arm["cost_per_question_usd"] if by_cost else arm["tokens_per_question"],
                "y": arm["accuracy"],
                "low": arm["ci_low"],
                "high": arm["ci_high"],
            }
            for arm in arms
        ],
    }
