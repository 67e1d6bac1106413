from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from consultation import views

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api_urls")),
    path("", include("debates.api_urls")),
    path("", include("ratings.api_urls")),
    path("", include("billing.api_urls")),
    path("", include("apikeys.api_urls")),
    path("", include("providerkeys.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.landing, name="landing"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/(?P<path>.*)$", views.api_not_found),
    path("accounts/", include("allauth.urls")),
    path("", include("billing.urls")),
    path("", include("apikeys.urls")),
    path("", include("ratings.urls")),
    path("", include("debates.urls")),
    path("", include("evals.urls")),
    path("", include("privacy.urls")),
    path("", include("providerkeys.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

if settings.PROMETHEUS_ENABLED:
    # /metrics: prometheus-client's default registry, with ops' figures (ops/prometheus.py).
    urlpatterns.append(path("metrics", views.metrics, name="prometheus-metrics"))

handler400 = "consultation.views.bad_request"
handler403 = "consultation.views.permission_denied"
handler404 = "consultation.views.page_not_found"
handler500 = "consultation.views.server_error"
