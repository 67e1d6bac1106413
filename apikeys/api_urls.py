from django.urls import path

from apikeys import api

urlpatterns = [
    path("keys/", api.APIKeyListCreateApi.as_view(), name="api-key-list"),
    path("keys/<uuid:key_id>/", api.APIKeyDetailApi.as_view(), name="api-key-detail"),
]
