from django.urls import URLPattern

from billing import views

app_name = views.app_name
urlpatterns: list[URLPattern] = views.urlpatterns
