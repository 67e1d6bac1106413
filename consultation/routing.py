"""Channels URL patterns of every app, gathered for asgi.py."""

from django.urls import URLPattern, URLResolver

from debates.routing import http_urlpatterns as debate_http_routes
from debates.routing import websocket_urlpatterns as debate_routes

websocket_urlpatterns: list[URLPattern | URLResolver] = [*debate_routes]
# Long-lived HTTP responses (server-sent events); every other request goes to Django.
http_urlpatterns: list[URLPattern | URLResolver] = [*debate_http_routes]
