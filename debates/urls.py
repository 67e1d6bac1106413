from django.urls import URLPattern

from debates.views import live, pages, threads, tidy

urlpatterns: list[URLPattern] = [
    *pages.urlpatterns,
    *live.urlpatterns,
    *tidy.urlpatterns,
    *threads.urlpatterns,
]
