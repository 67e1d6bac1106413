"""Channels routes of the debates app (gathered by consultation/routing.py): the live socket,
and the server-sent-events stream, which Channels serves before Django's HTTP handler."""

from channels.auth import AuthMiddlewareStack
from django.urls import URLPattern, URLResolver, path

from debates.consumers import DebateEventsConsumer, DebateStreamConsumer

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/debates/<uuid:debate_id>/", DebateEventsConsumer.as_asgi()),
]

http_urlpatterns: list[URLPattern | URLResolver] = [
    # The session (for browsers) is read only here: Django's own handler reads it elsewhere.
    path(
        "api/v1/debates/<uuid:debate_id>/stream/",
        AuthMiddlewareStack(DebateStreamConsumer.as_asgi()),
    ),
]
