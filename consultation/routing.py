"""WebSocket URL patterns of every app, gathered for asgi.py."""

from django.urls import URLPattern, URLResolver

from debates.routing import websocket_urlpatterns as debate_routes

websocket_urlpatterns: list[URLPattern | URLResolver] = [*debate_routes]
