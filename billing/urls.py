from django.urls import URLPattern

from billing import views, views_usage

app_name = views.app_name
urlpatterns: list[URLPattern] = views.urlpatterns + views_usage.urlpatterns
