from django.urls import URLPattern

from debates.views import live, pages, threads

urlpatterns: list[URLPattern] = [*pages.urlpatterns, *live.urlpatterns, *threads.urlpatterns]
