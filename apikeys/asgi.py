"""ASGI glue for keys: a WebSocket handshake that carries a key skips the Origin check.

The Origin check stops another site's page from opening a socket with the visitor's session
cookie. A key is not ambient (a browser's WebSocket API cannot even set the Authorization or
X-API-Key header), so a handshake carrying one is a program's, which sends no Origin; its
consumer then reads the key alone and ignores any cookie.
"""

from typing import Any

from apikeys.authentication import key_from_scope

ASGIApp = Any


class KeyOrOriginChecked:
    def __init__(self, *, keyed: ASGIApp, browser: ASGIApp) -> None:
        self.keyed = keyed
        self.browser = browser

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        app = self.keyed if key_from_scope(scope) is not None else self.browser
        return await app(scope, receive, send)
