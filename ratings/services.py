"""Writes of the ratings: pairwise outcomes of finished debates, and model ratings refitted
from them (the maths is in ratings.maths).

Boards: the public board counts public debates only; each team has a private board of all
its own finished debates. Scopes of a board: overall, one per category, and the role family
(one joint fit whose players are a model playing a role; the role boards show its rows).
Every refit of a scope recomputes it from the stored outcomes, so it is always exact: after a
debate only the scopes it touches are refitted (`ratings_update_for_debate`), and the
periodic full refit (`ratings_refit_all`) recomputes every scope of every board.

Each board exists twice, once per source: the judges' outcomes and the readers' (from blind
votes, `vote_record`). A scope names its source; everything else is the same code.
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
    HumanOutcome,
    HumanVote,
    ModelRating,
    PairOutcome,
    PairwiseOutcome,
    RatingBoard,
    RatingSnapshot,
    RatingSource,
    VoteChoice,
    VoteReveal,
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
    """Move a debate's outcomes (the judges' and the readers') onto (or off) the public board,
    e.g. when it is published; the caller schedules the refit (`ratings_schedule_update`)."""
    HumanVote.objects.filter(debate_id=debate_id).update(is_public=is_public)
    HumanOutcome.objects.filter(debate_id=debate_id).update(is_public=is_public)
    return PairwiseOutcome.objects.filter(debate_id=debate_id).update(is_public=is_public)


def ratings_schedule_update(*, debate_id: UUID) -> None:
    """Refit the debate's scopes in a worker once the current transaction commits. Call it
    too when a finished debate becomes public or private."""
    ratings_update_later(debate_id=debate_id)
    if HumanVote.objects.filter(debate_id=debate_id).exists():
        ratings_update_later(debate_id=debate_id, source=RatingSource.HUMANS)


# --- Readers' votes --------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteTarget:
    """The debate a vote is about, as the ratings see it (ids and panel positions)."""

    debate_id: UUID
    team_id: UUID
    is_public: bool
    category: str
    seats: Sequence[RatedSeat]


@transaction.atomic
def vote_record(
    *, target: VoteTarget, voter_id: int, choice: str, seat: int | None, blind: bool
) -> tuple[HumanVote, bool]:
    """Record (or change) one reader's vote on a debate and rewrite the outcomes it gives
    the readers' board: a blind vote gives the outcomes of `ratings.maths.vote_outcomes`, a
    vote cast after the models were shown gives none. Schedules the refit. Returns the vote
    and whether it was created."""
    if choice not in VoteChoice.values:
        raise ValueError(f"unknown vote choice {choice!r}")
    positions = {rated.position for rated in target.seats}
    if (choice == VoteChoice.SEAT) != (seat is not None) or (
        seat is not None and seat not in positions
    ):
        raise ValueError("a seat vote names one seat of the panel; other votes none")
    vote, created = HumanVote.objects.update_or_create(
        debate_id=target.debate_id,
        voter_id=voter_id,
        defaults={
            "team_id": target.team_id,
            "is_public": target.is_public,
            "category": target.category,
            "choice": choice,
            "seat": seat,
            "blind": blind,
        },
    )
    vote.outcomes.all().delete()
    if blind:
        by_position = {rated.position: rated for rated in target.seats}
        infos = {
            rated.position: ratings.SeatInfo(
                seat=rated.position,
                position=rated.position,
                model=str(rated.model_id),
                role=rated.role,
            )
            for rated in target.seats
        }
        HumanOutcome.objects.bulk_create(
            HumanOutcome(
                vote=vote,
                debate_id=target.debate_id,
                team_id=target.team_id,
                is_public=target.is_public,
                seat_a=outcome.seat_a,
                seat_b=outcome.seat_b,
                model_a_id=by_position[outcome.seat_a].model_id,
                model_b_id=by_position[outcome.seat_b].model_id,
                outcome=outcome.outcome,
                category=target.category,
                role_a=by_position[outcome.seat_a].role,
                role_b=by_position[outcome.seat_b].role,
            )
            for outcome in ratings.vote_outcomes(choice, seat, infos)
        )
    ratings_update_later(debate_id=target.debate_id, source=RatingSource.HUMANS)
    return vote, created


def vote_reveal_record(*, debate_id: UUID, user_id: int) -> bool:
    """Remember that `user` was shown the seats' models of a debate (so a later vote of
    theirs is not blind). Returns whether this is new."""
    return VoteReveal.objects.get_or_create(debate_id=debate_id, user_id=user_id)[1]


# --- Refits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    board: str
    team_id: UUID | None
    category: str = ""
    roles: bool = False  # the role family: players are (model, role)
    source: str = RatingSource.JUDGES

    def rows(self) -> QuerySet[ModelRating]:
        rows = ModelRating.objects.filter(board_scope(self.board, self.team_id), source=self.source)
        if self.roles:
            return rows.filter(category="").exclude(role="")
        return rows.filter(category=self.category, role="")


def board_outcomes(
    board: str, team_id: UUID | None, source: str = RatingSource.JUDGES
) -> QuerySet[PairwiseOutcome] | QuerySet[HumanOutcome]:
    """The outcomes a board counts: public debates, or all of one team's debates; the judges'
    or the readers' (both tables have the same fields)."""
    outcomes: QuerySet[PairwiseOutcome] | QuerySet[HumanOutcome] = (
        HumanOutcome.objects.all()
        if source == RatingSource.HUMANS
        else PairwiseOutcome.objects.all()
    )
    if board == Board.PUBLIC:
        return outcomes.filter(is_public=True)
    return outcomes.filter(team_id=team_id) if team_id else outcomes.none()


def _fit(scope: Scope) -> list[ModelRating]:
    outcomes = board_outcomes(scope.board, scope.team_id, scope.source)
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
                source=scope.source,
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
                source=row.source,
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


def board_key(board: str, team_id: UUID | None, source: str = RatingSource.JUDGES) -> str:
    """RatingBoard.key: "public", "team:<id>"; the readers' boards are prefixed "humans:"."""
    key = "public" if board == Board.PUBLIC else f"team:{team_id}"
    return key if source == RatingSource.JUDGES else f"{source}:{key}"


def _lock_board(board: str, team_id: UUID | None, source: str) -> RatingBoard:
    key = board_key(board, team_id, source)
    RatingBoard.objects.get_or_create(
        key=key, defaults={"board": board, "team_id": team_id, "source": source}
    )
    return RatingBoard.objects.select_for_update().get(key=key)


@transaction.atomic
def _refit_board(
    board: str,
    team_id: UUID | None,
    scopes: Iterable[Scope],
    *,
    categories: Sequence[str] = (),
    source: str = RatingSource.JUDGES,
) -> int:
    """Refit some scopes of a board in one transaction, holding the board's lock. With
    `categories` (a full refit), rows of any other category are deleted first."""
    record = _lock_board(board, team_id, source)
    if categories:
        ModelRating.objects.filter(board_scope(board, team_id), source=source).exclude(
            category__in=["", *categories]
        ).delete()
    written = sum(_refit_scope(scope) for scope in scopes)
    outcomes = board_outcomes(board, team_id, source)
    record.outcomes = outcomes.count()
    record.debates = outcomes.values("debate_id").distinct().count()
    record.refitted_at = timezone.now()
    record.save()
    return written


def _scopes(
    board: str, team_id: UUID | None, categories: Sequence[str], source: str
) -> list[Scope]:
    return [
        Scope(board, team_id, source=source),
        *(Scope(board, team_id, category=category, source=source) for category in categories),
        Scope(board, team_id, roles=True, source=source),
    ]


def ratings_update_for_debate(*, debate_id: UUID, source: str = RatingSource.JUDGES) -> int:
    """Refit the scopes a debate touches (overall, its category, roles) on the public board
    and on its team's board, of one source. Returns the number of rating rows written."""
    # The readers' side asks the votes, not their outcomes: a vote changed to an informed
    # one leaves no outcome, and its scopes must still lose it.
    table = HumanVote if source == RatingSource.HUMANS else PairwiseOutcome
    row = table.objects.filter(debate_id=debate_id).values("team_id", "category").first()
    if row is None:
        return 0
    written = 0
    for board, team_id in ((Board.PUBLIC, None), (Board.TEAM, row["team_id"])):
        written += _refit_board(
            board, team_id, _scopes(board, team_id, [row["category"]], source), source=source
        )
    logger.info("ratings_updated", debate_id=str(debate_id), rows=written, source=source)
    return written


def ratings_refit_all() -> int:
    """Recompute every scope of every board (both sources) from the stored outcomes; scopes
    left without outcomes lose their rows. Returns the number of rating rows written."""
    written = boards = 0
    for source, table in (
        (RatingSource.JUDGES, PairwiseOutcome),
        (RatingSource.HUMANS, HumanOutcome),
    ):
        team_ids = set(table.objects.values_list("team_id", flat=True).distinct().order_by())
        team_ids |= set(
            ModelRating.objects.filter(board=Board.TEAM, source=source)
            .values_list("team_id", flat=True)
            .distinct()
        )
        scoped: list[tuple[str, UUID | None]] = [(Board.PUBLIC, None)]
        scoped += [(Board.TEAM, team_id) for team_id in sorted(team_ids, key=str) if team_id]
        for board, team_id in scoped:
            categories = sorted(
                set(
                    board_outcomes(board, team_id, source)
                    .values_list("category", flat=True)
                    .distinct()
                )
            )
            written += _refit_board(
                board,
                team_id,
                _scopes(board, team_id, categories, source),
                categories=categories or [""],
                source=source,
            )
        boards += len(scoped)
    logger.info("ratings_refitted", boards=boards, rows=written)
    return written
