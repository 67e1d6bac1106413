"""Ratings in Django admin: read-only (refits write them), with a full-refit action."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ratings.models import ModelRating, PairwiseOutcome, RatingBoard, RatingSnapshot
from ratings.queue import ratings_refit_later


class ReadOnlyAdmin[M: models.Model](admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelRating)
class ModelRatingAdmin(ReadOnlyAdmin[ModelRating]):
    list_display = [
        "llm_model",
        "board",
        "team",
        "category",
        "role",
        "rank",
        "rating",
        "ci_low",
        "ci_high",
        "matches",
        "win_rate",
        "updated_at",
    ]
    list_filter = ["board", "category", "role"]
    search_fields = ["llm_model__key", "team__name"]
    list_select_related = ["llm_model", "team"]
    actions = ["refit_ratings"]

    @admin.action(description=_("Refit all model ratings now"))
    def refit_ratings(self, request: HttpRequest, queryset: QuerySet[ModelRating]) -> None:
        ratings_refit_later()
        self.message_user(request, _("A full refit of the model ratings has been queued."))


@admin.register(PairwiseOutcome)
class PairwiseOutcomeAdmin(ReadOnlyAdmin[PairwiseOutcome]):
    list_display = ["debate_id", "judge_model", "model_a", "model_b", "outcome", "category"]
    list_filter = ["outcome", "category", "is_public"]
    list_select_related = ["judge_model", "model_a", "model_b"]
    search_fields = ["debate_id"]


@admin.register(RatingSnapshot)
class RatingSnapshotAdmin(ReadOnlyAdmin[RatingSnapshot]):
    list_display = ["llm_model", "board", "team", "rating", "ci_low", "ci_high", "created_at"]
    list_filter = ["board"]
    list_select_related = ["llm_model", "team"]


@admin.register(RatingBoard)
class RatingBoardAdmin(ReadOnlyAdmin[RatingBoard]):
    list_display = ["key", "board", "team", "outcomes", "debates", "refitted_at"]
