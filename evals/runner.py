"""Running an evaluation: every question through the three arms, then the report.

Phase one, question by question (cancellation is checked before each):
1. the panel as a real debate: `debate_create` (which reserves the plan's quota) and the
   pipeline, run here, in this worker, the way the `debate` command runs one;
2. each panel member alone: one call through the pipeline's gateway (breaker, timeout,
   retries), metered as usage of the team.
Phase two: the best member is the one with the highest single-call accuracy over the whole
dataset (ties: the earlier seat). Chosen in-sample, which flatters the baseline: the panel
has to beat the member that did best on these very questions. It then answers each question
again with self-consistency: k samples and a majority vote, k chosen so its tokens match the
question's debate (k = debate tokens / the member's single-call tokens, 1..max_samples).

Single calls are metered through `billing.services.usage_settle` under the id of the arm
result they belong to (one UsageRecord per model), after a `quota_check` of this month's
quota before each question; the debates settle their own usage when they finalize.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import structlog
from asgiref.sync import async_to_sync
from django.conf import settings

from billing.limits import quota_check, quota_status
from billing.services import ModelUsage, usage_settle
from consultation.exceptions import (
    AppError,
    InjectionSuspected,
    PlanRestriction,
    QuotaExceeded,
    ValidationFailed,
)
from debates.models import Debate, DebateStatus, LLMModel
from debates.orchestration.engine import provider_for_settings
from debates.orchestration.gateway import CALL_ERRORS, Gateway, RetryPolicy
from debates.orchestration.state import ModelRef, model_ref
from debates.providers.base import Completion, CompletionRequest, Message
from debates.services.creation import SeatInput, debate_cancel, debate_create
from debates.services.running import debate_run
from evals.datasets import from_native
from evals.grading import (
    AnswerType,
    Question,
    grade,
    judge_messages,
    parse_verdict,
    position_of,
    question_prompt,
)
from evals.models import Arm, ArmResult, Evaluation, EvaluationStatus
from evals.report import report_build
from evals.services import (
    arm_result_record,
    evaluation_cancel_requested,
    evaluation_claim,
    evaluation_finish,
    evaluation_set_best_member,
)

logger = structlog.get_logger(__name__)

MEMBER_SYSTEM = (
    "You answer a question with a known correct answer. Reason briefly and carefully, then "
    "finish with one line: Final answer: <your answer>."
)


@dataclass(frozen=True)
class Call:
    model: ModelRef
    system: str
    user: str
    temperature: float


CallOutcome = Completion | Exception


async def _complete_all(calls: Sequence[Call]) -> list[CallOutcome]:
    """The calls at once, through a gateway like the pipeline's; failures come back as the
    gateway's errors, in place."""
    gateway = Gateway(
        providers=provider_for_settings,
        retry=RetryPolicy(
            attempts=settings.LLM_RETRY_ATTEMPTS,
            base_delay_s=settings.LLM_RETRY_BASE_DELAY_SECONDS,
            max_delay_s=settings.LLM_RETRY_MAX_DELAY_SECONDS,
        ),
    )

    async def one(call: Call) -> CallOutcome:
        request = CompletionRequest(
            model=call.model.model_id,
            messages=(Message("system", call.system), Message("user", call.user)),
            temperature=call.temperature,
            max_output_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
            timeout_s=settings.LLM_TIMEOUT_SECONDS,
        )
        try:
            return await gateway.complete(call.model, request)
        except CALL_ERRORS as exc:
            return exc

    try:
        return list(await asyncio.gather(*(one(call) for call in calls)))
    finally:
        await gateway.record_successes()
        await gateway.aclose()


def complete_all(calls: Sequence[Call]) -> list[CallOutcome]:
    return async_to_sync(_complete_all)(calls) if calls else []


def _error_code(outcome: CallOutcome) -> str:
    return str(getattr(outcome, "code", "provider_error"))


class _Usage:
    """Single-call usage of one arm result, by model, for billing."""

    def __init__(self) -> None:
        self.lines: dict[str, list[int | Decimal | str]] = {}

    def add(self, model: ModelRef, completion: Completion) -> Decimal:
        cost = model.cost(completion.input_tokens, completion.output_tokens)
        line = self.lines.setdefault(model.key, [model.provider, 0, 0, 0, Decimal(0)])
        line[1] = int(line[1]) + 1
        line[2] = int(line[2]) + completion.input_tokens
        line[3] = int(line[3]) + completion.output_tokens
        line[4] = Decimal(line[4]) + cost
        return cost

    def settle(self, *, evaluation: Evaluation, result: ArmResult) -> None:
        if not self.lines:
            return
        usage_settle(
            team=evaluation.team,
            debate_id=result.pk,
            usage=[
                ModelUsage(
                    model_key=key,
                    provider=str(provider),
                    calls=int(calls),
                    input_tokens=int(tokens_in),
                    output_tokens=int(tokens_out),
                    cost_usd=Decimal(cost),
                )
                for key, (provider, calls, tokens_in, tokens_out, cost) in self.lines.items()
            ],
            counted=False,
        )


class EvaluationRun:
    def __init__(
        self, evaluation: Evaluation, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.evaluation = evaluation
        self.sleep = sleep
        self.questions: list[Question] = [
            from_native(row, index) for index, row in enumerate(evaluation.questions)
        ]
        self.seats = [SeatInput(**seat) for seat in evaluation.seats]
        catalog = {
            m.key: model_ref(m)
            for m in LLMModel.objects.filter(
                key__in=[s.model for s in self.seats] + [evaluation.judge_model]
            )
        }
        self.members: dict[str, tuple[ModelRef, float]] = {}
        for seat in self.seats:
            self.members.setdefault(seat.model, (catalog[seat.model], seat.temperature))
        self.judge = catalog.get(evaluation.judge_model)
        # Per question: the debate's tokens (the self-consistency budget) and text shown.
        self.debate_tokens: dict[int, int] = {}
        self.screened: dict[int, str] = {}
        self.refused: dict[int, str] = {}

    @property
    def eid(self) -> UUID:
        return self.evaluation.pk

    # --- grading -----------------------------------------------------------------------

    def _grade_all(
        self, question: Question, answers: Sequence[str]
    ) -> list[tuple[str, bool, Decimal, _Usage]]:
        """(extracted, correct, grading cost, grading usage) per answer; free text goes to
        the judge, all of a question's answers at once."""
        graded = [grade(question, answer) for answer in answers]
        if question.type != AnswerType.FREE:
            return [(g.extracted, bool(g.correct), Decimal(0), _Usage()) for g in graded]
        assert self.judge is not None
        calls = []
        for g in graded:
            (_, system), (_, user) = judge_messages(question, g.extracted)
            calls.append(Call(self.judge, system, user, 0.0))
        out = []
        for g, outcome in zip(graded, complete_all(calls), strict=True):
            usage = _Usage()
            if isinstance(outcome, Completion):
                cost = usage.add(self.judge, outcome)
                out.append((g.extracted, parse_verdict(outcome.text), cost, usage))
            else:
                out.append((g.extracted, False, Decimal(0), usage))
        return out

    # --- phase one ---------------------------------------------------------------------

    def _run_debate(self, debate: Debate) -> Debate:
        """Run the debate here; if the team's plan has no free slot for it yet, wait (the
        pipeline leaves it queued), up to EVAL_DEBATE_WAIT_SECONDS."""
        waited = 0.0
        while True:
            async_to_sync(debate_run)(debate.pk)
            debate.refresh_from_db()
            if debate.is_finished:
                return debate
            if waited >= settings.EVAL_DEBATE_WAIT_SECONDS:
                debate_cancel(debate=debate)
                debate.refresh_from_db()
                return debate
            self.sleep(1.0)
            waited += 1.0

    def _panel(self, index: int, question: Question) -> None:
        evaluation = self.evaluation
        assert evaluation.created_by is not None
        debate = debate_create(
            user=evaluation.created_by,
            team=evaluation.team,
            question=question_prompt(question),
            seats=self.seats,
            rounds=evaluation.rounds,
            judges=[],
            run_in_worker=False,
        )
        self.screened[index] = debate.question
        debate = self._run_debate(debate)
        synthesis = debate.synthesis or {}
        answer = str(synthesis.get("recommendation") or "")
        ok = debate.status in (DebateStatus.COMPLETED, DebateStatus.COMPLETED_BUDGET)
        ((extracted, correct, grading_cost, usage),) = self._grade_all(question, [answer])
        latency = 0
        if debate.started_at and debate.finished_at:
            latency = int((debate.finished_at - debate.started_at).total_seconds() * 1000)
        tokens = debate.input_tokens + debate.output_tokens
        self.debate_tokens[index] = tokens
        result = arm_result_record(
            evaluation_id=self.eid,
            question_index=index,
            question_id=question.id,
            arm=Arm.PANEL,
            model_key="panel",
            debate_id=debate.pk,
            answer=answer,
            extracted=extracted,
            correct=ok and correct,
            input_tokens=debate.input_tokens,
            output_tokens=debate.output_tokens,
            cost_usd=debate.cost_usd,
            grading_cost_usd=grading_cost,
            latency_ms=latency,
            error_code="" if ok else (debate.failure_reason or debate.status),
        )
        usage.settle(evaluation=evaluation, result=result)

    def _members_alone(self, index: int, question: Question) -> None:
        text = self.screened.get(index) or question_prompt(question)
        members = list(self.members.items())
        outcomes = complete_all(
            [
                Call(ref, MEMBER_SYSTEM, f"<question>{text}</question>", temperature)
                for _key, (ref, temperature) in members
            ]
        )
        answers = [o.text if isinstance(o, Completion) else "" for o in outcomes]
        grades = self._grade_all(question, answers)
        for (key, (ref, _t)), outcome, (extracted, correct, grading_cost, usage) in zip(
            members, outcomes, grades, strict=True
        ):
            done = isinstance(outcome, Completion)
            cost = usage.add(ref, outcome) if isinstance(outcome, Completion) else Decimal(0)
            result = arm_result_record(
                evaluation_id=self.eid,
                question_index=index,
                question_id=question.id,
                arm=Arm.MEMBER,
                model_key=key,
                answer=outcome.text if isinstance(outcome, Completion) else "",
                extracted=extracted,
                correct=done and correct,
                input_tokens=outcome.input_tokens if isinstance(outcome, Completion) else 0,
                output_tokens=outcome.output_tokens if isinstance(outcome, Completion) else 0,
                cost_usd=cost,
                grading_cost_usd=grading_cost,
                latency_ms=outcome.latency_ms if isinstance(outcome, Completion) else 0,
                error_code="" if done else _error_code(outcome),
            )
            usage.settle(evaluation=self.evaluation, result=result)

    # --- phase two ---------------------------------------------------------------------

    def best_member(self) -> str:
        correct: Counter[str] = Counter(
            ArmResult.objects.filter(
                evaluation_id=self.eid, arm=Arm.MEMBER, correct=True
            ).values_list("model_key", flat=True)
        )
        order = list(self.members)
        return max(order, key=lambda key: (correct[key], -order.index(key)))

    def samples_for(self, index: int, member_tokens: int) -> int:
        budget = self.debate_tokens.get(index, 0)
        if budget <= 0 or member_tokens <= 0:
            return 1
        return max(1, min(self.evaluation.max_samples, round(budget / member_tokens)))

    def _self_consistency(self, index: int, question: Question, best: str) -> None:
        ref, temperature = self.members[best]
        single = ArmResult.objects.get(
            evaluation_id=self.eid, question_index=index, arm=Arm.MEMBER, model_key=best
        )
        k = self.samples_for(index, single.tokens)
        text = self.screened.get(index) or question_prompt(question)
        outcomes = complete_all(
            [
                Call(
                    ref,
                    f"{MEMBER_SYSTEM} (Sample {i + 1} of {k}.)",
                    f"<question>{text}</question>",
                    max(temperature, 0.7),
                )
                for i in range(k)
            ]
        )
        usage = _Usage()
        answers = [o for o in outcomes if isinstance(o, Completion)]
        cost = sum((usage.add(ref, o) for o in answers), Decimal(0))
        votes = [position_of(question, o.text) for o in answers]
        winner = _plurality(votes)
        chosen = next((o.text for o, v in zip(answers, votes, strict=True) if v == winner), "")
        ((extracted, correct, grading_cost, grading),) = self._grade_all(question, [chosen])
        for key, line in grading.lines.items():
            usage.lines[key] = line if key not in usage.lines else _merge(usage.lines[key], line)
        result = arm_result_record(
            evaluation_id=self.eid,
            question_index=index,
            question_id=question.id,
            arm=Arm.SELF_CONSISTENCY,
            model_key=best,
            answer=chosen,
            extracted=extracted,
            correct=bool(answers) and correct,
            input_tokens=sum(o.input_tokens for o in answers),
            output_tokens=sum(o.output_tokens for o in answers),
            cost_usd=cost,
            grading_cost_usd=grading_cost,
            # The samples run at once: the arm takes as long as its slowest.
            latency_ms=max((o.latency_ms for o in answers), default=0),
            samples=k,
            votes=votes,
            error_code="" if answers else _error_code(outcomes[0]),
        )
        usage.settle(evaluation=self.evaluation, result=result)

    def _record_refusal(self, index: int, question: Question, arm: Arm, key: str) -> None:
        arm_result_record(
            evaluation_id=self.eid,
            question_index=index,
            question_id=question.id,
            arm=arm,
            model_key=key,
            answer="",
            extracted="",
            correct=False,
            input_tokens=0,
            output_tokens=0,
            cost_usd=Decimal(0),
            latency_ms=0,
            error_code=self.refused[index],
        )

    def _refuse(self, index: int, question: Question, code: str) -> None:
        self.refused[index] = code
        self._record_refusal(index, question, Arm.PANEL, "panel")
        for key in self.members:
            self._record_refusal(index, question, Arm.MEMBER, key)

    # --- the run -----------------------------------------------------------------------

    def run(self) -> tuple[EvaluationStatus, str, str]:
        for index, question in enumerate(self.questions):
            if evaluation_cancel_requested(evaluation_id=self.eid):
                return EvaluationStatus.CANCELLED, "", ""
            quota_check(quota_status(team=self.evaluation.team))
            try:
                self._panel(index, question)
            except (ValidationFailed, InjectionSuspected) as exc:
                # This question cannot be a debate (too long, refused by screening): every
                # arm records the refusal, so the arms stay paired on the same questions.
                self._refuse(index, question, exc.code)
                continue
            self._members_alone(index, question)
        best = self.best_member()
        evaluation_set_best_member(evaluation_id=self.eid, model_key=best)
        for index, question in enumerate(self.questions):
            if evaluation_cancel_requested(evaluation_id=self.eid):
                return EvaluationStatus.CANCELLED, "", ""
            if index in self.refused:
                self._record_refusal(index, question, Arm.SELF_CONSISTENCY, best)
            else:
                self._self_consistency(index, question, best)
        return EvaluationStatus.COMPLETED, "", ""


def _merge(a: list[int | Decimal | str], b: list[int | Decimal | str]) -> list[int | Decimal | str]:
    return [a[0], *(Decimal(x) + Decimal(y) for x, y in zip(a[1:], b[1:], strict=True))]


def _plurality(votes: Sequence[str]) -> str:
    """The most common non-empty answer; a tie goes to the one given first."""
    counts = Counter(v for v in votes if v)
    if not counts:
        return votes[0] if votes else ""
    top = max(counts.values())
    return next(v for v in votes if v and counts[v] == top)


def evaluation_run(*, evaluation_id: UUID, sleep: Callable[[float], None] = time.sleep) -> str:
    """Run a queued evaluation to its end and store its report; returns the final status
    ("skipped" when it was not queued: another runner has it, or it was cancelled)."""
    if not evaluation_claim(evaluation_id=evaluation_id):
        return "skipped"
    evaluation = Evaluation.objects.select_related("team", "created_by").get(pk=evaluation_id)
    log = logger.bind(evaluation_id=str(evaluation_id), team_id=str(evaluation.team_id))
    log.info("evaluation_run_started", questions=len(evaluation.questions))
    code = detail = ""
    try:
        status, code, detail = EvaluationRun(evaluation, sleep=sleep).run()
    except (QuotaExceeded, PlanRestriction) as exc:
        status, code, detail = EvaluationStatus.FAILED, exc.code, str(exc.detail)
    except AppError as exc:
        status, code, detail = EvaluationStatus.FAILED, exc.code, str(exc.detail)
    except Exception as exc:
        log.exception("evaluation_run_crashed")
        status, code, detail = EvaluationStatus.FAILED, "internal_error", type(exc).__name__
    evaluation.refresh_from_db()
    finished = evaluation_finish(
        evaluation_id=evaluation_id,
        status=status,
        report=report_build(evaluation=evaluation, status=status),
        failure_code=code,
        failure_detail=detail,
    )
    return str(finished.status)
