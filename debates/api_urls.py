from django.urls import path

from debates import api

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
]
