from django.urls import path

from billing.api import UsageApi

urlpatterns = [path("usage/", UsageApi.as_view(), name="api-usage")]
