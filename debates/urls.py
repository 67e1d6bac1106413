from django.urls import URLPattern

from debates.views import live, pages

urlpatterns: list[URLPattern] = [*pages.urlpatterns, *live.urlpatterns]
