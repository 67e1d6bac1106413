from django.urls import path

import debates.converters  # noqa: F401  (registers the "modelkey" path converter)
from debates import api, api_ratings

urlpatterns = [
    path("debates/", api.DebateListCreateApi.as_view(), name="api-debate-list"),
    path("debates/<uuid:debate_id>/", api.DebateDetailApi.as_view(), name="api-debate-detail"),
    path(
        "debates/<uuid:debate_id>/events/", api.DebateEventsApi.as_view(), name="api-debate-events"
    ),
    path(
        "debates/<uuid:debate_id>/cancel/", api.DebateCancelApi.as_view(), name="api-debate-cancel"
    ),
    path("models/", api.ModelListApi.as_view(), name="api-model-list"),
    path("leaderboard/", api_ratings.LeaderboardApi.as_view(), name="api-leaderboard"),
    path(
        "models/<modelkey:key>/stats/",
        api_ratings.ModelStatsApi.as_view(),
        name="api-model-stats",
    ),
]
