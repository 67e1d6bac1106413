from django.urls import URLPattern

from ratings import views

urlpatterns: list[URLPattern] = views.urlpatterns
