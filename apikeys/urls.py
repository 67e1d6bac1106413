from django.urls import path

from apikeys import views

urlpatterns = [
    path("settings/api-keys/", views.apikey_list, name="apikey-list"),
    path("settings/api-keys/<uuid:key_id>/revoke/", views.apikey_revoke, name="apikey-revoke"),
]
