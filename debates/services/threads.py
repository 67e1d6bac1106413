"""Threads of debates: a follow-up question to the same panel, and a fork from round k.

Both go through `debate_create`, so everything a new debate meets applies to them too: the
catalog, the plan's shape limits, the quota reservation, screening, the queue.

- A follow-up is a new debate (`follow_up_of`) whose seats, judges and chair read the earlier
  debate's final answer, and on request its transcript, as context (`DebateDocument`, fenced
  as untrusted data in every prompt like an attached file).
- A fork (`forked_from`, `fork_round` = k) re-runs a finished debate from round k, with the
  same or another panel, judges, chair or number of rounds. The turns of rounds before k are
  copied (`Turn.copied_from`), with their events, and are neither generated again nor billed:
  no usage line is written for them, so the fork's usage and quota count its new calls alone.
  The pipeline starts at round k (`DebateState.first_round`) with the copied turns as its
  history. Seats keep their positions: seat B of the fork continues seat B's argument, so a
  fork from k > 0 keeps the number of seats.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from consultation.exceptions import Conflict, ValidationFailed
from debates import events
from debates.events import event_append
from debates.models import (
    RATED_STATUSES,
    ContextKind,
    Debate,
    DebateDocument,
    DebateStatus,
    Stage,
    Turn,
    TurnStatus,
)
from debates.prompts import ContextDoc
from debates.services.context import DocumentInput
from debates.services.creation import SeatInput, debate_create

ANSWER_NAME = "earlier-answer.md"
TRANSCRIPT_NAME = "earlier-transcript.md"


def _answer_text(parent: Debate) -> str:
    synthesis = parent.synthesis or {}
    parts = [f"Earlier question:\n{parent.question}"]
    if recommendation := str(synthesis.get("recommendation") or "").strip():
        parts.append(f"Recommendation:\n{recommendation}")
    if consensus := str(synthesis.get("consensus") or "").strip():
        parts.append(f"Consensus:\n{consensus}")
    disagreements = [str(d).strip() for d in synthesis.get("disagreements") or [] if str(d).strip()]
    if disagreements:
        parts.append("Open disagreements:\n" + "\n".join(f"- {d}" for d in disagreements))
    return "\n\n".join(parts)


def _transcript_text(parent: Debate) -> str:
    turns = (
        Turn.objects.filter(debate=parent, status=TurnStatus.COMPLETED)
        .select_related("seat")
        .order_by("round", "seat__position")
    )
    return "\n\n".join(
        f"{turn.seat.label}, {'opening' if turn.round == 0 else f'rebuttal {turn.round}'}:\n"
        f"{turn.content}"
        for turn in turns
    )


def follow_up_context(*, parent: Debate, include_transcript: bool) -> list[ContextDoc]:
    """What a follow-up's models read of the earlier debate: its question and final answer,
    and on request its transcript. The text was screened when it was stored (the question on
    creation, model output as it arrived), so its placeholders stay as they are. The earlier
    debate's own context (its files, its parent's answer) comes along: a thread keeps what it
    was told."""
    context = [
        ContextDoc(doc.name, doc.kind, doc.text)
        for doc in DebateDocument.objects.filter(debate=parent)
        if doc.kind != ContextKind.PREVIOUS_TRANSCRIPT
    ]
    context.append(ContextDoc(ANSWER_NAME, ContextKind.PREVIOUS_ANSWER, _answer_text(parent)))
    if include_transcript:
        transcript = _transcript_text(parent)
        if transcript:
            context.append(ContextDoc(TRANSCRIPT_NAME, ContextKind.PREVIOUS_TRANSCRIPT, transcript))
    return context


def _same_panel(debate: Debate) -> list[SeatInput]:
    return [
        SeatInput(
            model=seat.llm_model.key,
            role=seat.role,
            temperature=seat.temperature,
            instruction=seat.instruction,
        )
        for seat in debate.seats.select_related("llm_model").order_by("position")
    ]


def _usable(debate: Debate) -> None:
    if debate.anonymised_at is not None:
        raise Conflict(_("This debate's texts were deleted, so it cannot be continued."))


@transaction.atomic
def debate_follow_up(
    *,
    user: User,
    parent: Debate,
    question: str,
    include_transcript: bool = False,
    documents: Sequence[DocumentInput] = (),
) -> Debate:
    """Ask `parent`'s panel (same seats, judges, chair and rounds) a follow-up question, in
    `parent`'s team. Only a debate that reached an answer can be followed up."""
    _usable(parent)
    if parent.status not in RATED_STATUSES or not parent.synthesis:
        raise Conflict(_("Only a debate that reached a final answer can be followed up."))
    return debate_create(
        user=user,
        team=parent.team,
        question=question,
        seats=_same_panel(parent),
        rounds=parent.rounds,
        judges=[model.key for model in parent.judge_models.order_by("key")],
        chair=parent.chair_model.key,
        category=parent.category,
        cost_cap_usd=parent.cost_cap_usd,
        documents=documents,
        context=follow_up_context(parent=parent, include_transcript=include_transcript),
        follow_up_of=parent,
    )


def thread_of(*, debate: Debate) -> list[Debate]:
    """The chain of follow-ups `debate` belongs to, oldest first: its ancestors, itself, then
    its first follow-up's line (a debate may be followed up more than once; the page lists the
    others under it)."""
    before: list[Debate] = []
    seen = {debate.pk}
    parent = debate.follow_up_of
    while parent is not None and parent.pk not in seen:
        seen.add(parent.pk)
        before.append(parent)
        parent = parent.follow_up_of
    after: list[Debate] = []
    child = debate.follow_ups.order_by("created_at").first()
    while child is not None and child.pk not in seen:
        seen.add(child.pk)
        after.append(child)
        child = child.follow_ups.order_by("created_at").first()
    return [*reversed(before), debate, *after]


# --- Forks -------------------------------------------------------------------------------------


def _fork_check(original: Debate, *, from_round: int, rounds: int, seats: int) -> None:
    _usable(original)
    if not original.is_finished or original.status == DebateStatus.CANCELLED:
        raise Conflict(_("Only a finished debate can be forked."))
    errors: dict[str, list[str]] = {}
    # Rounds before k are copied, so they must exist; the fork runs round k itself.
    highest = min(rounds, original.rounds + 1)
    if not 0 <= from_round <= highest:
        errors["from_round"] = [
            _("Fork from a round between 0 (the opening) and %(max)d.") % {"max": highest}
        ]
    if from_round > 0 and seats != original.seats.count():
        errors["seats"] = [
            _(
                "A fork keeps the number of seats (%(count)d): each seat continues the copied "
                "turns of the seat in its place. Change the models, roles or temperatures."
            )
            % {"count": original.seats.count()}
        ]
    if errors:
        raise ValidationFailed(fields=errors)


@transaction.atomic
def debate_fork(
    *,
    user: User,
    original: Debate,
    from_round: int,
    seats: Sequence[SeatInput] | None = None,
    judges: Sequence[str] | None = None,
    chair: str | None = None,
    rounds: int | None = None,
    cost_cap_usd: Decimal | None = None,
) -> Debate:
    """Re-run `original` from round `from_round` (0 = the opening: nothing copied) with the
    given panel, judges, chair and rounds (each defaults to the original's), in its team."""
    seats = list(seats) if seats else _same_panel(original)
    rounds = original.rounds if rounds is None else rounds
    _fork_check(original, from_round=from_round, rounds=rounds, seats=len(seats))
    fork = debate_create(
        user=user,
        team=original.team,
        question=original.question,
        seats=seats,
        rounds=rounds,
        judges=list(judges)
        if judges is not None
        else [model.key for model in original.judge_models.order_by("key")],
        chair=chair or original.chair_model.key,
        category=original.category,
        cost_cap_usd=cost_cap_usd,
        context=[
            ContextDoc(doc.name, doc.kind, doc.text)
            for doc in DebateDocument.objects.filter(debate=original)
        ],
        pii_from=original,
    )
    Debate.objects.filter(pk=fork.pk).update(forked_from=original, fork_round=from_round)
    history_copy(original=original, fork=fork, before_round=from_round)
    fork.refresh_from_db()
    return fork


def history_copy(*, original: Debate, fork: Debate, before_round: int) -> int:
    """Copy `original`'s turns of rounds before `before_round` into `fork`, seat by position,
    with the events a replay shows (no usage: copies cost nothing), then the `debate.forked`
    marker. Returns how many turns were copied."""
    seats = {seat.position: seat for seat in fork.seats.all()}
    turns = (
        Turn.objects.filter(debate=original, round__lt=before_round)
        .select_related("seat__llm_model")
        .order_by("round", "seat__position")
    )
    by_round: dict[int, list[Turn]] = {}
    for turn in turns:
        if turn.seat.position in seats:
            by_round.setdefault(turn.round, []).append(turn)
    copied = 0
    for number, originals in sorted(by_round.items()):
        stage = Stage.OPENING if number == 0 else Stage.REBUTTAL
        event_append(debate_id=fork.pk, event=events.stage_started(stage=stage, round=number))
        for turn in originals:
            _turn_copy(turn, fork=fork, seat_id=seats[turn.seat.position].pk)
            copied += 1
        failed = sum(turn.status != TurnStatus.COMPLETED for turn in originals)
        event_append(
            debate_id=fork.pk,
            event=events.turn_stage_completed(
                stage=stage,
                round=number,
                succeeded=len(originals) - failed,
                failed=failed,
                degraded=False,
            ),
        )
    event_append(
        debate_id=fork.pk,
        event=events.debate_forked(
            forked_from=str(original.pk), round=before_round, copied_turns=copied
        ),
    )
    return copied


def _turn_copy(turn: Turn, *, fork: Debate, seat_id: int) -> Turn:
    label = turn.seat.label
    copy = Turn.objects.create(
        debate=fork,
        seat_id=seat_id,
        round=turn.round,
        status=turn.status,
        content=turn.content,
        stance=turn.stance,
        confidence=turn.confidence,
        key_claims=list(turn.key_claims),
        error_code=turn.error_code,
        copied_from=turn,
    )
    if turn.status == TurnStatus.COMPLETED:
        event = events.turn_completed(
            events.TurnCompletedPayload(
                seat=seat_id,
                label=label,
                round=turn.round,
                turn=str(copy.pk),
                content=turn.content,
                stance=turn.stance,
                confidence=turn.confidence,
                key_claims=list(turn.key_claims),
                input_tokens=0,
                output_tokens=0,
                cost_usd="0",
                latency_ms=0,
                copied_from_model=turn.seat.llm_model.display_name,
            )
        )
    else:
        event = events.turn_failed(
            seat=seat_id, label=label, round=turn.round, error_code=turn.error_code, detail=""
        )
    event_append(debate_id=fork.pk, event=event)
    return copy
