from django.urls import URLPattern

from debates.views import live, pages, ratings

urlpatterns: list[URLPattern] = [*pages.urlpatterns, *live.urlpatterns, *ratings.urlpatterns]
