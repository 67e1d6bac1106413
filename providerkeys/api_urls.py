from django.urls import path

from providerkeys import api

urlpatterns = [
    path("provider-keys/", api.ProviderKeyListApi.as_view(), name="api-provider-key-list"),
    path(
        "provider-keys/<str:provider>/",
        api.ProviderKeyDetailApi.as_view(),
        name="api-provider-key-detail",
    ),
    path(
        "provider-keys/<str:provider>/test/",
        api.ProviderKeyTestApi.as_view(),
        name="api-provider-key-test",
    ),
]
