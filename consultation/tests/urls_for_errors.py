"""Test-only URLconf: the project's routes plus throwaway views that raise on purpose.

Used with `@pytest.mark.urls("consultation.tests.urls_for_errors")`; never included by
`consultation.urls`. The error handlers are the project's own, so what the tests see is what
production renders.
"""

from django.urls import URLPattern, URLResolver, path

from consultation.tests import test_errors as views
from consultation.urls import handler400, handler403, handler404, handler500
from consultation.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

# Before the project's routes: its `^api/` catch-all would swallow these.
urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/test-errors/validate/", views.ValidateApi.as_view()),
    path("api/v1/test-errors/protected/", views.ProtectedApi.as_view()),
    path("api/v1/test-errors/app/<str:name>/", views.AppErrorApi.as_view()),
    path("api/v1/test-errors/plain/<str:name>/", views.plain_raise),
    path("api/v1/test-errors/<str:name>/", views.RaiseApi.as_view()),
    path("test-errors/html/<str:name>/", views.plain_raise),
    *project_urlpatterns,
]
