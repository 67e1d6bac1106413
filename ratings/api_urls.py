from django.urls import path

import ratings.converters  # noqa: F401  (registers the "modelkey" path converter)
from ratings import api

urlpatterns = [
    path("leaderboard/", api.LeaderboardApi.as_view(), name="api-leaderboard"),
    path("models/<modelkey:key>/stats/", api.ModelStatsApi.as_view(), name="api-model-stats"),
]
