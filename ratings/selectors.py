"""Reads of the leaderboard, model pages, hall of fame and public profiles.

Everything here is public (public debates and the public board) except a team's board, which
the caller asks for with the team it has already resolved for the signed-in user.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db.models import Avg, Count, FloatField, Prefetch, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from accounts.models import Profile, Team
from accounts.selectors import profile_get_public
from consultation.exceptions import NotFound
from debates.models import (
    RATED_STATUSES,
    Category,
    Debate,
    Judgment,
    JudgmentStatus,
    LLMModel,
    Seat,
)
from debates.rubric import RUBRIC
from ratings import maths
from ratings.models import (
    Board,
    HumanVote,
    ModelRating,
    RatingBoard,
    RatingSnapshot,
    RatingSource,
    VoteReveal,
)

# A model with fewer matches than this in a scope gets a "new" badge: its interval is wide.
NEW_BELOW_MATCHES = 10
HALL_OF_FAME_ORDERS = ("margin", "closest", "recent")


def board_scope(board: str, team_id: UUID | None) -> Q:
    """Rows of one board: the public one, or one team's."""
    if team_id is None:
        return Q(board=board, team__isnull=True)
    return Q(board=board, team_id=team_id)


def model_list_catalog() -> QuerySet[LLMModel]:
    return LLMModel.objects.all()


@dataclass(frozen=True)
class Leaderboard:
    board: str
    team: Team | None
    category: str
    role: str
    min_matches: int
    rows: list[ModelRating]
    refitted_at: datetime | None = None
    outcomes: int = 0
    debates: int = 0
    source: str = RatingSource.JUDGES


def leaderboard_get(
    *,
    board: str,
    team: Team | None,
    category: str = "",
    role: str = "",
    min_matches: int = 0,
    source: str = RatingSource.JUDGES,
) -> Leaderboard:
    """One scope of a board (the judges' or the readers'), best first. `team` is required for
    (and only used by) the team board; the caller must have checked that the user belongs to
    it."""
    if board == Board.TEAM and team is None:
        raise NotFound(_("No team board without a team."))
    team_id = team.pk if board == Board.TEAM and team is not None else None
    rows = list(
        ModelRating.objects.filter(
            board_scope(board, team_id),
            source=source,
            category=category,
            role=role,
            matches__gte=min_matches,
        )
        .select_related("llm_model")
        .order_by("rank", "-rating", "llm_model__display_name")
    )
    info = RatingBoard.objects.filter(board_scope(board, team_id), source=source).first()
    return Leaderboard(
        source=source,
        board=board,
        team=team if team_id else None,
        category=category,
        role=role,
        min_matches=min_matches,
        rows=rows,
        refitted_at=info.refitted_at if info else None,
        outcomes=info.outcomes if info else 0,
        debates=info.debates if info else 0,
    )


def model_get_by_key(*, key: str) -> LLMModel:
    try:
        return LLMModel.objects.get(key=key)
    except LLMModel.DoesNotExist as exc:
        raise NotFound(_("No model with this key.")) from exc


def public_debates() -> QuerySet[Debate]:
    """Debates their creators listed (hall of fame, model pages) that reached an answer, with
    their seats' models. A public link alone lists nothing: it is reachable by the link only."""
    return Debate.objects.filter(
        is_public=True, listed_in_hall_of_fame=True, status__in=RATED_STATUSES
    ).prefetch_related(Prefetch("seats", queryset=Seat.objects.select_related("llm_model")))


@dataclass(frozen=True)
class ModelStats:
    model: LLMModel
    overall: ModelRating | None
    by_category: list[ModelRating]
    by_role: list[ModelRating]
    rubric: dict[str, float | None]
    judged_seats: int
    history: list[RatingSnapshot]
    recent_debates: list[Debate] = field(default_factory=list)


def model_stats(*, key: str, history: int = 100, recent: int = 10) -> ModelStats:
    """A model's public record: its ratings (overall, per category, per role), its average
    rubric scores in public debates, its rating history and its recent public debates."""
    model = model_get_by_key(key=key)
    ratings = list(
        ModelRating.objects.filter(
            board=Board.PUBLIC, source=RatingSource.JUDGES, llm_model=model
        ).order_by("category", "role")
    )
    judgments = Judgment.objects.filter(
        seat__llm_model=model,
        status=JudgmentStatus.COMPLETED,
        debate__is_public=True,
        debate__status__in=RATED_STATUSES,
    )
    averages = judgments.aggregate(
        **{name: Avg(Cast(KT(f"scores__{name}"), FloatField())) for name in RUBRIC},
        seats=Count("seat", distinct=True),
    )
    snapshots = list(
        RatingSnapshot.objects.filter(
            board=Board.PUBLIC, source=RatingSource.JUDGES, llm_model=model, category="", role=""
        ).order_by("-created_at")[:history]
    )
    return ModelStats(
        model=model,
        overall=next((r for r in ratings if not r.category and not r.role), None),
        by_category=[r for r in ratings if r.category],
        by_role=sorted((r for r in ratings if r.role), key=lambda r: -r.rating),
        rubric={name: averages[name] for name in RUBRIC},
        judged_seats=averages["seats"] or 0,
        history=snapshots[::-1],
        recent_debates=list(
            public_debates()
            .filter(seats__llm_model=model)
            .distinct()
            .order_by("-finished_at")[:recent]
        ),
    )


def hall_of_fame(
    *, order: str = "margin", category: str = "", model_key: str = "", limit: int = 20
) -> list[Debate]:
    """Public finished debates: the widest wins ("margin"), the closest ("closest"; shared
    first places first) or the newest ("recent"); by category and by a model on the panel."""
    debates = public_debates()
    if category:
        debates = debates.filter(category=category)
    if model_key:
        debates = debates.filter(seats__llm_model__key=model_key).distinct()
    if order == "margin":
        debates = debates.filter(margin__isnull=False).order_by("-margin", "-finished_at")
    elif order == "closest":
        debates = debates.filter(margin__isnull=False, margin__gte=0).order_by(
            "margin", "-finished_at"
        )
    else:
        debates = debates.order_by("-finished_at")
    return list(debates[:limit])


@dataclass(frozen=True)
class FavouriteModel:
    model: LLMModel
    seats: int


@dataclass(frozen=True)
class ProfilePage:
    profile: Profile
    debates: list[Debate]
    public_count: int
    finished_count: int
    models_count: int
    favourite_models: list[FavouriteModel]


def profile_page_get(*, handle: str, recent: int = 20, favourites: int = 5) -> ProfilePage:
    """A public profile with its public debates, counts and most-seated models; NotFound for
    private profiles and unknown handles."""
    profile = profile_get_public(handle=handle)
    public = Debate.objects.filter(
        created_by=profile.user, is_public=True, listed_in_hall_of_fame=True
    )
    seats = (
        Seat.objects.filter(debate__in=public)
        .values("llm_model")
        .annotate(n=Count("id"))
        .order_by("-n", "llm_model")
    )
    counts = list(seats)
    models = LLMModel.objects.in_bulk([row["llm_model"] for row in counts[:favourites]])
    return ProfilePage(
        profile=profile,
        debates=list(
            public.prefetch_related(
                Prefetch("seats", queryset=Seat.objects.select_related("llm_model"))
            ).order_by("-created_at")[:recent]
        ),
        public_count=public.count(),
        finished_count=public.filter(status__in=RATED_STATUSES).count(),
        models_count=len(counts),
        favourite_models=[
            FavouriteModel(model=models[row["llm_model"]], seats=row["n"])
            for row in counts[:favourites]
        ],
    )


# --- The two boards side by side, and readers' votes ----------------------------------------


@dataclass(frozen=True)
class CategoryAgreement:
    """How often the judges' and the readers' boards order a pair of models the same way,
    in one category ("" for all), with its 95% Wilson interval."""

    category: str
    label: str
    agreement: maths.Agreement


def board_agreement(*, board: str, team: Team | None) -> list[CategoryAgreement]:
    """Overall first, then each category both sources rate (models only, all roles)."""
    team_id = team.pk if board == Board.TEAM and team is not None else None
    rows = ModelRating.objects.filter(board_scope(board, team_id), role="").values_list(
        "source", "category", "llm_model_id", "rating"
    )
    points: dict[tuple[str, str], dict[UUID, float]] = {}
    for source, category, model_id, rating in rows:
        points.setdefault((source, category), {})[model_id] = rating
    categories = sorted(
        {category for source, category in points if source == RatingSource.HUMANS}
        & {category for source, category in points if source == RatingSource.JUDGES},
        key=lambda category: (category != "", category),
    )
    labels = dict(Category.choices)
    return [
        CategoryAgreement(
            category=category,
            label=str(labels.get(category, _("All categories"))),
            agreement=maths.rank_agreement(
                points[(RatingSource.JUDGES, category)], points[(RatingSource.HUMANS, category)]
            ),
        )
        for category in categories
    ]


def vote_get(*, debate_id: UUID, voter_id: int) -> HumanVote | None:
    return HumanVote.objects.filter(debate_id=debate_id, voter_id=voter_id).first()


def vote_revealed(*, debate_id: UUID, user_id: int) -> bool:
    return VoteReveal.objects.filter(debate_id=debate_id, user_id=user_id).exists()


def vote_tally(*, debate_id: UUID) -> dict[str, int]:
    """How many readers chose each seat ("seat:<position>"), a tie or "all bad"."""
    tally: dict[str, int] = {}
    for choice, seat in HumanVote.objects.filter(debate_id=debate_id).values_list("choice", "seat"):
        key = f"seat:{seat}" if seat is not None else choice
        tally[key] = tally.get(key, 0) + 1
    return tally
