from django.urls import path

from privacy import views

urlpatterns = [
    path("analytics/", views.analytics, name="analytics"),
    path("settings/privacy/", views.privacy, name="privacy"),
    path("settings/privacy/export/", views.export_request, name="privacy-export"),
    path(
        "settings/privacy/exports/<uuid:export_id>/download/",
        views.export_download,
        name="privacy-export-download",
    ),
    path("settings/privacy/analytics/", views.analytics_opt_out, name="privacy-analytics"),
    path("settings/privacy/delete/", views.account_delete, name="account-delete"),
]
