"""WebSocket routes of the debates app (gathered by consultation/routing.py)."""

from django.urls import URLPattern, URLResolver, path

from debates.consumers import DebateEventsConsumer

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/debates/<uuid:debate_id>/", DebateEventsConsumer.as_asgi()),
]
