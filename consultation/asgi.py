"""ASGI entry point: HTTP through Django (but for the SSE event streams), WebSockets through
Channels (served by Daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")
# Django must be set up before Channels' auth stack imports the models.
django_asgi_app = get_asgi_application()

from consultation.warmup import warm_up  # noqa: E402

warm_up()  # before the first request, never by all of the first requests at once

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from apikeys.asgi import KeyOrOriginChecked  # noqa: E402
from consultation.routing import http_urlpatterns, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The event streams (SSE) first, with the session for browsers; the rest is Django's.
        "http": URLRouter([*http_urlpatterns, re_path(r"", django_asgi_app)]),  # type: ignore[arg-type]
        "websocket": KeyOrOriginChecked(
            keyed=AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
            browser=AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        ),
    }
)
