"""WebSocket routes of the debates app (gathered by consultation/routing.py)."""

from django.urls import URLPattern, URLResolver

websocket_urlpatterns: list[URLPattern | URLResolver] = []
