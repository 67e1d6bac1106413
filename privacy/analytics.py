"""Personal and team analytics: what a person's (or a team's) debates add up to.

Reads only, every figure aggregated by the database (COUNT, AVG, GROUP BY) over a bounded,
scoped set of debates: a user's own debates (in every team they created one), or the active
team's. Whoever opted out of analytics (Profile.analytics_opt_out) is left out: their own page
shows no figures, and their debates do not count in their teams' figures.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import Team, User
from debates.models import (
    FINISHED_STATUSES,
    RATED_STATUSES,
    Category,
    Debate,
    Judgment,
    JudgmentStatus,
    Seat,
)
from debates.rubric import RUBRIC

Scope = Literal["me", "team"]
# period -> days back (None: all time).
PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": None}
DEFAULT_PERIOD = "30d"
# At most this many models in the win-rate and score tables: the most used first.
MAX_MODELS = 20


@dataclass(frozen=True)
class AnalyticsFilters:
    scope: Scope = "me"
    period: str = DEFAULT_PERIOD
    category: str = ""

    @property
    def since(self) -> datetime | None:
        days = PERIODS.get(self.period)
        return timezone.now() - timedelta(days=days) if days is not None else None


@dataclass(frozen=True)
class Totals:
    debates: int
    finished: int
    completed: int
    average_seconds: float | None
    average_cost_usd: Decimal | None
    total_cost_usd: Decimal
    tokens: int

    @property
    def completion_rate(self) -> float | None:
        """Completed (with an answer) out of finished: a debate still running is not counted."""
        return self.completed / self.finished if self.finished else None


@dataclass(frozen=True)
class ModelFigures:
    model_key: str
    model_name: str
    debates: int
    wins: int
    average_score: float | None
    criteria: dict[str, float | None]

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.debates if self.debates else None


@dataclass(frozen=True)
class ActivityPoint:
    day: date
    debates: int
    completed: int


@dataclass(frozen=True)
class Analytics:
    filters: AnalyticsFilters
    totals: Totals
    models: list[ModelFigures]
    activity: list[ActivityPoint]
    activity_unit: Literal["day", "week", "month"]


def scoped_debates(*, user: User, team: Team, filters: AnalyticsFilters) -> QuerySet[Debate]:
    """The debates the figures are over: the user's own, or the team's (less those of members
    who opted out), within the period and category."""
    if filters.scope == "team":
        debates = Debate.objects.filter(team=team).exclude(
            created_by__profile__analytics_opt_out=True
        )
    else:
        debates = Debate.objects.filter(created_by=user)
    if filters.since is not None:
        debates = debates.filter(created_at__gte=filters.since)
    if filters.category in Category.values:
        debates = debates.filter(category=filters.category)
    return debates


def user_opted_out(*, user: User) -> bool:
    profile = getattr(user, "profile", None)
    return bool(profile and profile.analytics_opt_out)


def analytics_for(*, user: User, team: Team, filters: AnalyticsFilters) -> Analytics | None:
    """The figures of the page; None for a user who opted out of analytics (on the "me"
    scope: the team's figures, without theirs, stay available to the team)."""
    if filters.scope == "me" and user_opted_out(user=user):
        return None
    debates = scoped_debates(user=user, team=team, filters=filters)
    unit = _activity_unit(filters)
    activity = _activity(debates, unit)
    if unit == "day" and filters.since is not None:
        activity = _every_day(activity, first=filters.since.date(), last=timezone.now().date())
    return Analytics(
        filters=filters,
        totals=_totals(debates),
        models=_models(debates),
        activity=activity,
        activity_unit=unit,
    )


def _totals(debates: QuerySet[Debate]) -> Totals:
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    row = debates.aggregate(
        debates=Count("pk"),
        finished=Count("pk", filter=Q(status__in=FINISHED_STATUSES)),
        completed=Count("pk", filter=Q(status__in=RATED_STATUSES)),
        average_duration=Avg(
            duration,
            filter=Q(
                status__in=FINISHED_STATUSES, started_at__isnull=False, finished_at__isnull=False
            ),
        ),
        average_cost=Avg("cost_usd", filter=Q(status__in=FINISHED_STATUSES)),
        total_cost=Sum("cost_usd"),
        input_tokens=Sum("input_tokens"),
        output_tokens=Sum("output_tokens"),
    )
    average: timedelta | None = row["average_duration"]
    cost = row["average_cost"]
    return Totals(
        debates=row["debates"],
        finished=row["finished"],
        completed=row["completed"],
        average_seconds=average.total_seconds() if average is not None else None,
        average_cost_usd=Decimal(str(cost)).quantize(Decimal("0.000001"))
        if cost is not None
        else None,
        total_cost_usd=Decimal(str(row["total_cost"] or 0)),
        tokens=(row["input_tokens"] or 0) + (row["output_tokens"] or 0),
    )


def _models(debates: QuerySet[Debate]) -> list[ModelFigures]:
    """Per model: the rated debates it sat in, those it won (the judges' champion), and its
    mean rubric scores there. Three grouped queries, whatever the number of debates."""
    rated = debates.filter(status__in=RATED_STATUSES)
    sat = list(
        Seat.objects.filter(debate__in=rated)
        .values("llm_model__key", "llm_model__display_name")
        .annotate(debates=Count("debate", distinct=True))
        .order_by("-debates", "llm_model__key")[:MAX_MODELS]
    )
    keys = [row["llm_model__key"] for row in sat]
    wins = dict(
        rated.filter(results__champion__model__in=keys)
        .annotate(champion=KT("results__champion__model"))
        .values("champion")
        .annotate(wins=Count("pk"))
        .values_list("champion", "wins")
    )
    scores: dict[str, dict[str, Any]] = {
        row["seat__llm_model__key"]: dict(row)
        for row in Judgment.objects.filter(
            debate__in=rated, status=JudgmentStatus.COMPLETED, seat__llm_model__key__in=keys
        )
        .values("seat__llm_model__key")
        .annotate(
            average=Avg("total"),
            **{
                f"c_{name}": Avg(Cast(KT(f"scores__{name}"), output_field=FloatField()))
                for name in RUBRIC
            },
        )
    }
    figures = []
    for row in sat:
        key = row["llm_model__key"]
        score = scores.get(key, {})
        figures.append(
            ModelFigures(
                model_key=key,
                model_name=row["llm_model__display_name"],
                debates=row["debates"],
                wins=wins.get(key, 0),
                average_score=_round(score.get("average")),
                criteria={name: _round(score.get(f"c_{name}")) for name in RUBRIC},
            )
        )
    return figures


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _activity_unit(filters: AnalyticsFilters) -> Literal["day", "week", "month"]:
    days = PERIODS.get(filters.period)
    if days is not None and days <= 30:
        return "day"
    if days is not None and days <= 90:
        return "week"
    return "month"


def _every_day(points: list[ActivityPoint], *, first: date, last: date) -> list[ActivityPoint]:
    """The points of a bounded period by day, with the days without a debate as zeros (at
    most 31 of them), so the chart's gaps are days, not missing bars."""
    by_day = {point.day: point for point in points}
    days = (last - first).days + 1
    return [
        by_day.get(day, ActivityPoint(day=day, debates=0, completed=0))
        for day in (first + timedelta(days=n) for n in range(days))
    ]


def _activity(
    debates: QuerySet[Debate], unit: Literal["day", "week", "month"]
) -> list[ActivityPoint]:
    trunc = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}[unit]
    rows = (
        debates.annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(debates=Count("pk"), completed=Count("pk", filter=Q(status__in=RATED_STATUSES)))
        .order_by("bucket")
    )
    points = []
    for row in rows:
        bucket = row["bucket"]
        day = bucket.date() if isinstance(bucket, datetime) else bucket
        points.append(ActivityPoint(day=day, debates=row["debates"], completed=row["completed"]))
    return points
