"""Writes of the ratings: pairwise outcomes of finished debates, and model ratings refitted
from them (the maths is in ratings.maths).

Boards: the public board counts public debates only; each team has a private board of all
its own finished debates. Scopes of a board: overall, one per category, and the role family
(one joint fit whose players are a model playing a role; the role boards show its rows).
Every refit of a scope recomputes it from the stored outcomes, so it is always exact: after a
debate only the scopes it touches are refitted (`ratings_update_for_debate`), and the
periodic full refit (`ratings_refit_all`) recomputes every scope of every board.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast
from uuid import UUID

import structlog
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from ratings import maths as ratings
from ratings.models import (
    Board,
    ModelRating,
    PairOutcome,
    PairwiseOutcome,
    RatingBoard,
    RatingSnapshot,
)
from ratings.queue import ratings_update_later
from ratings.selectors import board_scope

logger = structlog.get_logger(__name__)

_CODES: dict[str, int] = {
    PairOutcome.A: ratings.A_WINS,
    PairOutcome.B: ratings.B_WINS,
    PairOutcome.TIE: ratings.TIE,
}
# A snapshot is kept when a refit moves a model's overall rating at least this much (or its
# match count changes), so hourly refits of unchanged data add no points to the history.
SNAPSHOT_MIN_CHANGE = 0.5


# --- Pairwise outcomes -----------------------------------------------------------------------


@dataclass(frozen=True)
class RatedSeat:
    """A seat of a finished debate as the ratings see it: where it sat, which catalog model
    (by id) and which role."""

    position: int
    model_id: UUID
    role: str


@transaction.atomic
def outcomes_record(
    *,
    debate_id: UUID,
    team_id: UUID,
    is_public: bool,
    category: str,
    scores: Sequence[ratings.JudgeScore],
    seats: Sequence[RatedSeat],
) -> int:
    """Store the pairwise outcomes of a finished debate that reached an answer, once: a
    second call writes nothing. `scores` name judges by catalog model id and seats by their
    position. Returns how many were written."""
    if PairwiseOutcome.objects.filter(debate_id=debate_id).exists():
        return 0
    by_position = {seat.position: seat for seat in seats}
    infos = {
        seat.position: ratings.SeatInfo(
            seat=seat.position, position=seat.position, model=str(seat.model_id), role=seat.role
        )
        for seat in seats
    }
    outcomes = ratings.pairwise_outcomes(scores, infos)
    PairwiseOutcome.objects.bulk_create(
        (
            PairwiseOutcome(
                debate_id=debate_id,
                team_id=team_id,
                is_public=is_public,
                judge_model_id=UUID(outcome.judge),
                seat_a=outcome.seat_a,
                seat_b=outcome.seat_b,
                model_a_id=by_position[outcome.seat_a].model_id,
                model_b_id=by_position[outcome.seat_b].model_id,
                outcome=outcome.outcome,
                category=category,
                role_a=by_position[outcome.seat_a].role,
                role_b=by_position[outcome.seat_b].role,
            )
            for outcome in outcomes
        ),
        ignore_conflicts=True,
    )
    logger.info("pairwise_outcomes_recorded", debate_id=str(debate_id), count=len(outcomes))
    return len(outcomes)


def outcomes_set_public(*, debate_id: UUID, is_public: bool) -> int:
    """Move a debate's outcomes onto (or off) the public board, e.g. when it is published;
    the caller schedules the refit (`ratings_schedule_update`)."""
    return PairwiseOutcome.objects.filter(debate_id=debate_id).update(is_public=is_public)


def ratings_schedule_update(*, debate_id: UUID) -> None:
    """Refit the debate's scopes in a worker once the current transaction commits. Call it
    too when a finished debate becomes public or private."""
    ratings_update_later(debate_id=debate_id)


# --- Refits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    board: str
    team_id: UUID | None
    category: str = ""
    roles: bool = False  # the role family: players are (model, role)

    def rows(self) -> QuerySet[ModelRating]:
        rows = ModelRating.objects.filter(board_scope(self.board, self.team_id))
        if self.roles:
            return rows.filter(category="").exclude(role="")
        return rows.filter(category=self.category, role="")


def board_outcomes(board: str, team_id: UUID | None) -> QuerySet[PairwiseOutcome]:
    """The outcomes a board counts: public debates, or all of one team's debates."""
    outcomes = PairwiseOutcome.objects.all()
    if board == Board.PUBLIC:
        return outcomes.filter(is_public=True)
    return outcomes.filter(team_id=team_id) if team_id else outcomes.none()


def _fit(scope: Scope) -> list[ModelRating]:
    outcomes = board_outcomes(scope.board, scope.team_id)
    if scope.category:
        outcomes = outcomes.filter(category=scope.category)
    fields = ["model_a", "model_b", "outcome"]
    if scope.roles:
        fields += ["role_a", "role_b"]
    grouped = outcomes.values(*fields).annotate(n=Count("id")).order_by()
    rows: list[tuple[tuple[UUID, str], tuple[UUID, str], int, int]] = [
        (
            (r["model_a"], r.get("role_a", "")),
            (r["model_b"], r.get("role_b", "")),
            _CODES[r["outcome"]],
            r["n"],
        )
        for r in grouped
    ]
    # Sorted, so the players' order (and with it the seeded bootstrap) depends on data only.
    rows.sort(key=lambda row: (str(row[0]), str(row[1]), row[2]))
    fitted = ratings.rate_outcomes(rows)
    result = []
    for rating in fitted:
        model_id, role = cast(tuple[UUID, str], rating.player)
        result.append(
            ModelRating(
                board=scope.board,
                team_id=scope.team_id,
                category=scope.category,
                role=role,
                llm_model_id=model_id,
                rating=round(rating.rating, 2),
                ci_low=round(rating.ci_low, 2),
                ci_high=round(rating.ci_high, 2),
                rank=rating.rank,
                matches=rating.matches,
                wins=rating.wins,
                losses=rating.losses,
                ties=rating.ties,
                win_rate=round(rating.win_rate, 4),
            )
        )
    return result


def _refit_scope(scope: Scope) -> int:
    """Replace the scope's rows with a fresh fit; snapshot changed overall ratings."""
    fresh = _fit(scope)
    if not scope.category and not scope.roles:
        before = {r.llm_model_id: r for r in scope.rows()}
        RatingSnapshot.objects.bulk_create(
            RatingSnapshot(
                board=row.board,
                team_id=row.team_id,
                llm_model_id=row.llm_model_id,
                rating=row.rating,
                ci_low=row.ci_low,
                ci_high=row.ci_high,
                rank=row.rank,
                matches=row.matches,
            )
            for row in fresh
            if (old := before.get(row.llm_model_id)) is None
            or old.matches != row.matches
            or abs(old.rating - row.rating) >= SNAPSHOT_MIN_CHANGE
        )
    scope.rows().delete()
    ModelRating.objects.bulk_create(fresh)
    return len(fresh)


def _lock_board(board: str, team_id: UUID | None) -> RatingBoard:
    key = "public" if board == Board.PUBLIC else f"team:{team_id}"
    RatingBoard.objects.get_or_create(key=key, defaults={"board": board, "team_id": team_id})
    return RatingBoard.objects.select_for_update().get(key=key)


@transaction.atomic
def _refit_board(
    board: str, team_id: UUID | None, scopes: Iterable[Scope], *, categories: Sequence[str] = ()
) -> int:
    """Refit some scopes of a board in one transaction, holding the board's lock. With
    `categories` (a full refit), rows of any other category are deleted first."""
    record = _lock_board(board, team_id)
    if categories:
        ModelRating.objects.filter(board_scope(board, team_id)).exclude(
            category__in=["", *categories]
        ).delete()
    written = sum(_refit_scope(scope) for scope in scopes)
    outcomes = board_outcomes(board, team_id)
    record.outcomes = outcomes.count()
    record.debates = outcomes.values("debate_id").distinct().count()
    record.refitted_at = timezone.now()
    record.save()
    return written


def _scopes(board: str, team_id: UUID | None, categories: Sequence[str]) -> list[Scope]:
    return [
        Scope(board, team_id),
        *(Scope(board, team_id, category=category) for category in categories),
        Scope(board, team_id, roles=True),
    ]


def ratings_update_for_debate(*, debate_id: UUID) -> int:
    """Refit the scopes a debate touches (overall, its category, roles) on the public board
    and on its team's board. Returns the number of rating rows written."""
    first = PairwiseOutcome.objects.filter(debate_id=debate_id).values("team_id", "category")
    row = first.first()
    if row is None:
        return 0
    written = 0
    for board, team_id in ((Board.PUBLIC, None), (Board.TEAM, row["team_id"])):
        written += _refit_board(board, team_id, _scopes(board, team_id, [row["category"]]))
    logger.info("ratings_updated", debate_id=str(debate_id), rows=written)
    return written


def ratings_refit_all() -> int:
    """Recompute every scope of every board from the stored outcomes; scopes left without
    outcomes lose their rows. Returns the number of rating rows written."""
    team_ids = set(PairwiseOutcome.objects.values_list("team_id", flat=True).distinct().order_by())
    team_ids |= set(
        ModelRating.objects.filter(board=Board.TEAM).values_list("team_id", flat=True).distinct()
    )
    boards: list[tuple[str, UUID | None]] = [(Board.PUBLIC, None)]
    boards += [(Board.TEAM, team_id) for team_id in sorted(team_ids, key=str) if team_id]
    written = 0
    for board, team_id in boards:
        categories = sorted(
            set(board_outcomes(board, team_id).values_list("category", flat=True).distinct())
        )
        written += _refit_board(
            board, team_id, _scopes(board, team_id, categories), categories=categories or [""]
        )
    logger.info("ratings_refitted", boards=len(boards), rows=written)
    return written
