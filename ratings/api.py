"""The ratings API: the leaderboard and a model's stats. Public data needs no credentials; a
team's board needs a signed-in user (or key) and is the caller's active team's."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import request_team
from consultation.api.permissions import ANY_SCOPE, KeyScopes
from consultation.exceptions import NotAuthenticated, ValidationFailed
from debates.models import Category, SeatRole
from debates.rubric import RUBRIC
from ratings import selectors
from ratings.models import Board, RatingSource
from ratings.selectors import NEW_BELOW_MATCHES


class LeaderboardQuery(serializers.Serializer[Any]):
    board = serializers.ChoiceField(choices=Board.choices, default=Board.PUBLIC)
    # A field named like Field.source: DRF's metaclass takes it out of the class attributes.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=RatingSource.choices,
        default=RatingSource.JUDGES,
        help_text="judges: fitted from the judges' scores; humans: from readers' blind votes.",
    )
    category = serializers.ChoiceField(
        choices=[("", "all"), *Category.choices], default="", allow_blank=True
    )
    role = serializers.ChoiceField(
        choices=[("", "all"), *SeatRole.choices], default="", allow_blank=True
    )
    min_matches = serializers.IntegerField(min_value=0, default=0)


class RatedModelOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    display_name = serializers.CharField()
    provider = serializers.CharField()
    is_demo = serializers.BooleanField()


class RatingOutput(serializers.Serializer[Any]):
    rank = serializers.IntegerField(help_text="CI-aware: 1 + models clearly above this one.")
    model = RatedModelOutput(source="llm_model")
    category = serializers.CharField(help_text='"" for all categories.')
    role = serializers.CharField(help_text='"" for all roles.')
    rating = serializers.FloatField()
    ci_low = serializers.FloatField(help_text="Lower bound of the 95% bootstrap interval.")
    ci_high = serializers.FloatField(help_text="Upper bound of the 95% bootstrap interval.")
    matches = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    ties = serializers.IntegerField()
    win_rate = serializers.FloatField(help_text="(wins + ties / 2) / matches")
    is_new = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_is_new(self, row: Any) -> bool:
        return bool(row.matches < NEW_BELOW_MATCHES)


class AgreementOutput(serializers.Serializer[Any]):
    category = serializers.CharField(help_text='"" for all categories.')
    pairs = serializers.IntegerField(source="agreement.pairs")
    agree = serializers.IntegerField(source="agreement.agree")
    fraction = serializers.FloatField(source="agreement.fraction", allow_null=True)
    ci_low = serializers.FloatField(
        source="agreement.low", allow_null=True, help_text="95% Wilson interval."
    )
    ci_high = serializers.FloatField(source="agreement.high", allow_null=True)


class LeaderboardOutput(serializers.Serializer[Any]):
    board = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    team = serializers.UUIDField(source="team.pk", allow_null=True, default=None)
    category = serializers.CharField()
    role = serializers.CharField()
    min_matches = serializers.IntegerField()
    refitted_at = serializers.DateTimeField(allow_null=True)
    outcomes = serializers.IntegerField(help_text="Pairwise outcomes the board counts.")
    debates = serializers.IntegerField()
    results = RatingOutput(source="rows", many=True)


class LeaderboardWithAgreementOutput(LeaderboardOutput):
    agreement = AgreementOutput(many=True)


class LeaderboardApi(APIView):
    permission_classes = [AllowAny, KeyScopes]
    # Public boards and model pages: any key may read them (the team board is its team's).
    required_scopes = {"GET": ANY_SCOPE}

    @extend_schema(
        operation_id="leaderboard_retrieve",
        parameters=[LeaderboardQuery],
        responses=LeaderboardWithAgreementOutput,
        description="Model ratings (Bradley-Terry, 95% bootstrap intervals, CI-aware ranks) "
        "of the public board, or of the caller's active team (board=team); from the judges' "
        "scores (source=judges) or readers' blind votes (source=humans). `agreement`: per "
        "category, how often the two sources order a pair of models alike.",
    )
    def get(self, request: Request) -> Response:
        query = LeaderboardQuery(data=request.query_params)
        if not query.is_valid():
            raise ValidationFailed(
                fields={name: [str(e) for e in errors] for name, errors in query.errors.items()}
            )
        filters = dict(query.validated_data)
        team = request_team(request._request) if request.user.is_authenticated else None
        if filters["board"] == Board.TEAM and team is None:
            raise NotAuthenticated()
        board = selectors.leaderboard_get(team=team, **filters)
        data = dict(LeaderboardOutput(board).data)
        data["agreement"] = AgreementOutput(
            selectors.board_agreement(board=board.board, team=board.team), many=True
        ).data
        return Response(data)


class HistoryPointOutput(serializers.Serializer[Any]):
    at = serializers.DateTimeField(source="created_at")
    rating = serializers.FloatField()
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    matches = serializers.IntegerField()


class DebateBriefOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    question = serializers.CharField()
    category = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)
    margin = serializers.FloatField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, debate: Any) -> str:
        return f"/d/{debate.pk}/"


class RubricOutput(serializers.Serializer[Any]):
    """One average per rubric criterion (debates.rubric), null when nothing was scored."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {name: serializers.FloatField(allow_null=True) for name in RUBRIC}


class ModelStatsOutput(serializers.Serializer[Any]):
    model = RatedModelOutput()
    overall = RatingOutput(allow_null=True, help_text="Public board, all categories and roles.")
    by_category = RatingOutput(many=True)
    by_role = RatingOutput(many=True)
    rubric = RubricOutput(help_text="Average judge scores (0-10) in public debates.")
    judged_seats = serializers.IntegerField()
    history = HistoryPointOutput(many=True, help_text="Overall public rating after each change.")
    recent_debates = DebateBriefOutput(many=True)


class ModelStatsApi(APIView):
    permission_classes = [AllowAny, KeyScopes]
    # Public boards and model pages: any key may read them (the team board is its team's).
    required_scopes = {"GET": ANY_SCOPE}

    @extend_schema(operation_id="models_stats_retrieve", responses=ModelStatsOutput)
    def get(self, request: Request, key: str) -> Response:
        stats = selectors.model_stats(key=key)
        return Response(ModelStatsOutput(stats).data)
