from django.urls import path

from debates import api, api_votes

urlpatterns = [
    path("debates/", api.DebateListCreateApi.as_view(), name="api-debate-list"),
    path("debates/<uuid:debate_id>/", api.DebateDetailApi.as_view(), name="api-debate-detail"),
    path(
        "debates/<uuid:debate_id>/events/", api.DebateEventsApi.as_view(), name="api-debate-events"
    ),
    # Served by debates.consumers.DebateStreamConsumer under the ASGI server (see the view).
    path(
        "debates/<uuid:debate_id>/stream/", api.DebateStreamApi.as_view(), name="api-debate-stream"
    ),
    path(
        "debates/<uuid:debate_id>/cancel/", api.DebateCancelApi.as_view(), name="api-debate-cancel"
    ),
    path(
        "debates/<uuid:debate_id>/vote/", api_votes.DebateVoteApi.as_view(), name="api-debate-vote"
    ),
    path("debates/<uuid:debate_id>/fork/", api.DebateForkApi.as_view(), name="api-debate-fork"),
    path("models/", api.ModelListApi.as_view(), name="api-model-list"),
]
