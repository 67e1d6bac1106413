from django.urls import path

from providerkeys import views

urlpatterns = [
    path("teams/<uuid:team_id>/provider-keys/", views.key_list, name="provider-keys"),
    path(
        "teams/<uuid:team_id>/provider-keys/<str:provider>/test/",
        views.key_check,
        name="provider-key-test",
    ),
    path(
        "teams/<uuid:team_id>/provider-keys/<str:provider>/remove/",
        views.key_remove,
        name="provider-key-remove",
    ),
]
