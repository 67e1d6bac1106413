from django.urls import URLPattern

from evals.views import urlpatterns as pages

urlpatterns: list[URLPattern] = [*pages]
